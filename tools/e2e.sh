#!/usr/bin/env bash
# Browser tests of the web UI against a real `attend run all` with demo data.
#
# Uses its own database, NATS subject prefix and ports, so it runs beside a
# development instance; the database and the event stream are removed after.
# Expects the `attend` binary (ATTEND_BIN, default
# target/debug/attend) and the built UI (web/dist). Screenshots land in
# web/test-results/screenshots.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN=${ATTEND_BIN:-target/debug/attend}
run_id="e2e_$$"
export DATABASE_URL="postgres://localhost/attend_${run_id}"
export ATTEND_NATS_PREFIX="$run_id"
export ATTEND_DEMO_PASSWORD="${ATTEND_DEMO_PASSWORD:-e2e-demo-password}"
export ATTEND_WEB_DIR="$PWD/web/dist"
export ATTEND_CARE_STORAGE="$(mktemp -d)"
base=${E2E_PORT_BASE:-18000}
export ATTEND_GATEWAY_ADDR="127.0.0.1:$((base + 80))"
export ATTEND_INGEST_ADDR="127.0.0.1:$((base + 81))"
export ATTEND_PUBLIC_URL="http://${ATTEND_GATEWAY_ADDR}"
i=0
for service in INGEST CONTACT BOOKING AUTOMATION MESSAGING BILLING REPORTING CARE IDENTITY GATEWAY; do
    export "ATTEND_${service}_GRPC_ADDR=127.0.0.1:$((base + 100 + i))"
    i=$((i + 1))
done
export ATTEND_URL="http://${ATTEND_GATEWAY_ADDR}"
log="web/test-results/attend.log"
mkdir -p web/test-results

pid=""
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    dropdb --if-exists -h 127.0.0.1 -U postgres "attend_${run_id}" 2>/dev/null || true
    # The run's event stream (`<PREFIX>_EVENTS`), through JetStream's API.
    python3 - "${run_id^^}_EVENTS" <<'PY' 2>/dev/null || true
import socket, sys
nats = socket.create_connection(("127.0.0.1", 4222), timeout=5)
nats.recv(4096)
stream = sys.argv[1].encode()
nats.sendall(b'CONNECT {"verbose":false}\r\nSUB _INBOX.e2e 1\r\nPUB $JS.API.STREAM.DELETE.' + stream + b' _INBOX.e2e 0\r\n\r\n')
nats.recv(4096)
PY
    rm -rf "$ATTEND_CARE_STORAGE"
}
trap cleanup EXIT

[ -f web/dist/index.html ] || { echo "web/dist is not built: npm --prefix web run build" >&2; exit 1; }
"$BIN" seed-demo > web/test-results/seed-demo.txt
"$BIN" run all > "$log" 2>&1 &
pid=$!

# Ready when a demo user can sign in (identity, its keys and the gateway are up).
for _ in $(seq 1 120); do
    if curl -sf -o /dev/null -X POST "$ATTEND_URL/api/auth/login" -H 'content-type: application/json' \
        -d "{\"email\":\"staff@avatar-imaging.example\",\"password\":\"${ATTEND_DEMO_PASSWORD}\"}"; then
        break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "attend run all exited; its log:" >&2; tail -50 "$log" >&2; exit 1
    fi
    sleep 0.5
done

status=0
npm --prefix web run e2e || status=$?
if [ "$status" -ne 0 ]; then
    echo "browser tests failed; the last of attend's log (all of it in $log):" >&2
    tail -40 "$log" >&2
fi
exit "$status"
