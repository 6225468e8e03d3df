#!/usr/bin/env bash
# Validates attend's packaging and deployment files. CI runs it as
#
#   bash deploy/validate.sh
#
# Needs python3 (3.9+) with venv and pip, and PyPI. Installs its pinned tools
# (deploy/validate-requirements.txt) into a venv cached under
# ${XDG_CACHE_HOME:-$HOME/.cache}/attend-ci-venv/, so later runs are offline
# and fast. No Docker engine, cluster, kustomize or helm needed.
#
# What it checks:
#   1. k8s/base, k8s/overlays/dev and k8s/monitoring render
#      (deploy/render_kustomize.py); where `kubectl` is installed,
#      `kubectl kustomize` must render the very same objects.
#   2. Every rendered object of k8s/base and k8s/overlays/dev, and
#      k8s/base/secret.example.yaml, validates against the Kubernetes JSON
#      schemas (kubernetes-validate --strict: an unknown field is an error)
#      for each version in $K8S_VERSIONS. (k8s/monitoring holds only custom
#      resources: step 4.)
#   3. k8s/dependencies: the CloudNativePG Cluster and ScheduledBackup (and
#      the restore example) object by object with deploy/validate_crds.py,
#      and the NATS chart values, against closed subset schemas in
#      deploy/schemas/ (kubernetes-validate has no schema for a CRD, Helm none
#      for these values).
#   4. k8s/monitoring: the PodMonitors and the PrometheusRule (Prometheus
#      Operator CRDs) object by object against closed subset schemas in
#      deploy/schemas/ (deploy/validate_crds.py).
#   5. docker-compose.yml against the compose-spec JSON schema (vendored in
#      check-jsonschema).
#   6. deploy/check_deploy.py: YAML/JSON syntax with duplicate keys rejected,
#      and the policy that ties the files together (every service in compose,
#      Prometheus and Kubernetes alike; probes, hardening, secrets, network
#      policies, backups, the dashboard's and the alerts' PromQL and the
#      metrics they name, the Dockerfile).
#
# Exits non-zero if anything fails; every step runs, and each prints what it
# validated.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

K8S_VERSIONS=${K8S_VERSIONS:-"1.30.0 1.37.0"}
PYTHON=${PYTHON:-python3}
REQUIREMENTS=deploy/validate-requirements.txt
CACHE_ROOT="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/attend-ci-venv"

log() { printf '%s\n' "$*"; }

# ---------------------------------------------------------------- tools
# One venv per (python version, requirements) pair: changing a pin makes a
# new venv instead of mutating one another run may be using.
sha256() { if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi; }
key=$({ "$PYTHON" -c 'import sys; print(sys.version)'; cat "$REQUIREMENTS"; } | sha256 | cut -c1-16)
VENV="$CACHE_ROOT/$key"
mkdir -p "$CACHE_ROOT"
if [ ! -f "$VENV/.complete" ]; then
  (
    # Serialise concurrent first runs on one machine.
    if command -v flock >/dev/null 2>&1; then
      exec 9>"$CACHE_ROOT/.lock"
      flock 9
    fi
    if [ ! -f "$VENV/.complete" ]; then
      log "==> installing validation tools into $VENV"
      rm -rf "$VENV"
      "$PYTHON" -m venv "$VENV"
      "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        -r "$REQUIREMENTS"
      touch "$VENV/.complete"
    fi
  )
else
  log "==> validation tools: $VENV (cached)"
fi
PY="$VENV/bin/python"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

failures=()
steps=0
step() {
  # step NAME COMMAND...: run one check, record its failure, keep going.
  local name=$1
  shift
  steps=$((steps + 1))
  log ""
  log "==> $name"
  if "$@"; then
    log "    ok"
  else
    log "    FAILED: $name"
    failures+=("$name")
  fi
}

# ---------------------------------------------------------------- 1. render
OVERLAYS=(k8s/base k8s/overlays/dev k8s/monitoring)
render_all() {
  local dir out ok=0
  for dir in "${OVERLAYS[@]}"; do
    out="$WORK/$(basename "$dir").yaml"
    if "$PY" deploy/render_kustomize.py "$dir" >"$out"; then
      log "    $dir: $(grep -c '^kind:' "$out") objects"
    else
      ok=1
    fi
  done
  return $ok
}

compare_with_kubectl() {
  if ! command -v kubectl >/dev/null 2>&1 || ! kubectl kustomize --help >/dev/null 2>&1; then
    log "    skipped: no kubectl on PATH (the Python rendering is validated as is)"
    return 0
  fi
  local dir ok=0
  for dir in "${OVERLAYS[@]}"; do
    if kubectl kustomize "$dir" >"$WORK/kubectl-$(basename "$dir").yaml"; then
      "$PY" deploy/render_kustomize.py "$dir" --compare "$WORK/kubectl-$(basename "$dir").yaml" \
        | sed 's/^/    /' || ok=1
    else
      ok=1
    fi
  done
  return $ok
}

# ---------------------------------------------------------------- 2. k8s schemas
kubernetes_schemas() {
  local version file ok=0 out
  for version in $K8S_VERSIONS; do
    for file in "$WORK/base.yaml" "$WORK/dev.yaml" k8s/base/secret.example.yaml; do
      # kubernetes-validate only warns (exit 0) about a kind it has no schema
      # for; every kind here is built in, so treat that as a failure too.
      if out=$("$VENV/bin/kubernetes-validate" --strict -k "$version" "$file" 2>&1) \
        && ! grep -q "Couldn't find schema" <<<"$out" \
        && grep -q 'passed for resource' <<<"$out"; then
        log "    $(grep -c 'passed for resource' <<<"$out") object(s) valid against Kubernetes $version: ${file#"$WORK"/}"
      else
        [ -s "$file" ] || log "    ${file#"$WORK"/}: nothing to validate (did it render?)"
        grep -v -e 'passed for resource' -e '^$' <<<"$out" | sed 's/^/    /' || true
        ok=1
      fi
    done
  done
  return $ok
}

# ---------------------------------------------------------------- 3. dependencies
dependencies() {
  log "    kubernetes-validate has no schema for the CloudNativePG CRDs: each object is"
  log "    checked against its closed subset schema in deploy/schemas/ (deploy/validate_crds.py)"
  local ok=0
  "$PY" deploy/validate_crds.py k8s/dependencies/postgres-cluster.yaml \
    k8s/dependencies/postgres-restore.example.yaml | sed 's/^/    /' || ok=1
  log "    k8s/dependencies/nats-values.yaml against deploy/schemas/nats-helm-values-subset.schema.json"
  "$VENV/bin/check-jsonschema" --schemafile deploy/schemas/nats-helm-values-subset.schema.json \
    k8s/dependencies/nats-values.yaml | sed 's/^/    /' || ok=1
  return $ok
}

# ---------------------------------------------------------------- 4. monitoring
monitoring() {
  log "    kubernetes-validate has no schema for the Prometheus Operator CRDs: the rendered"
  log "    k8s/monitoring is checked object by object against deploy/schemas/ (deploy/validate_crds.py)"
  [ -s "$WORK/monitoring.yaml" ] || { log "    k8s/monitoring: nothing to validate (did it render?)"; return 1; }
  "$PY" deploy/validate_crds.py "$WORK/monitoring.yaml" | sed "s|$WORK/||; s/^/    /"
}

# ---------------------------------------------------------------- 5. compose
compose_schema() {
  log "    docker-compose.yml against the compose-spec schema ($("$VENV/bin/check-jsonschema" --version))"
  "$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml | sed 's/^/    /'
}

# ---------------------------------------------------------------- 6. policy
policy() {
  "$PY" deploy/check_deploy.py --rendered "base=$WORK/base.yaml" --rendered "dev=$WORK/dev.yaml" \
    --rendered "monitoring=$WORK/monitoring.yaml" 2>&1 \
    | sed "s/^/  /"
}

step "render k8s/base, k8s/overlays/dev, k8s/monitoring (deploy/render_kustomize.py)" render_all
step "same objects as kubectl kustomize" compare_with_kubectl
step "Kubernetes schemas (kubernetes-validate --strict; versions: $K8S_VERSIONS)" kubernetes_schemas
step "k8s/dependencies (CloudNativePG Cluster, ScheduledBackup, NATS Helm values)" dependencies
step "k8s/monitoring (PodMonitors, PrometheusRule)" monitoring
step "docker-compose.yml (compose-spec)" compose_schema
step "policy and consistency (deploy/check_deploy.py)" policy

log ""
if [ ${#failures[@]} -gt 0 ]; then
  log "deploy/validate.sh: ${#failures[@]} step(s) FAILED:"
  printf '  - %s\n' "${failures[@]}"
  exit 1
fi
log "deploy/validate.sh: all $steps steps OK"
