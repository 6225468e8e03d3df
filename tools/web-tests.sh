#!/usr/bin/env bash
# The web UI's tests: its dependencies, API types generated from the
# gateway's OpenAPI document (stale types fail), Vitest unit tests, the
# production build, and the browser tests (tools/e2e.sh) against
# `attend run all` with demo data. Part of the README's test command.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> web: %s\n' "$*"; }

step "npm ci"
npm --prefix web ci --no-audit --no-fund

step "API types match the gateway's /api/openapi.json"
cargo build --locked -q --bin attend
api=$(mktemp -d)
trap 'rm -rf "$api"' EXIT
target/debug/attend openapi > "$api/openapi.json"
(cd web && npx openapi-typescript "$api/openapi.json" -o "$api/schema.d.ts" >/dev/null)
if ! cmp -s "$api/openapi.json" web/openapi.json || ! cmp -s "$api/schema.d.ts" web/src/api/schema.d.ts; then
    echo "web/openapi.json or web/src/api/schema.d.ts is stale: the gateway's API changed." >&2
    echo "Run: npm --prefix web run gen:api, and commit both." >&2
    diff -u web/openapi.json "$api/openapi.json" | head -40 >&2 || true
    exit 1
fi
echo "up to date"

step "unit tests (Vitest)"
npm --prefix web test

step "build"
npm --prefix web run build

step "browser tests (Chromium)"
bash tools/e2e.sh
