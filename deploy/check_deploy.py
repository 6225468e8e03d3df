#!/usr/bin/env python3
"""Policy and consistency checks over attend's packaging files, beyond what
the JSON schemas can say: every one of the ten services is deployed the same
way everywhere (compose, Prometheus, Kubernetes), probes and hardening are in
place, references between files resolve, the dashboard's PromQL parses.

Run by deploy/validate.sh after it renders the kustomizations:

    check_deploy.py --rendered base=BASE.yaml --rendered dev=DEV.yaml

Prints one line per group of checks; exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from render_kustomize import StrictLoader, load_yaml_documents  # noqa: E402

SERVICES = ["ingest", "contact", "booking", "automation", "messaging",
            "billing", "reporting", "care", "identity", "gateway"]
HTTP_PORTS = {"gateway": 8080, "ingest": 8081}
AUTOSCALED = {"gateway", "ingest"}
# Schema-only shells (no domain API, nothing calls them yet): one replica in
# the base instead of two idle ones. Every other fixed-size service runs two.
SINGLE_REPLICA = {"billing"}
BASE_REPLICAS = 2
# Own no schema and never connect to Postgres: no database URL anywhere in
# their pods (no migrate init container either), no role, no Secret key.
STATELESS = {"gateway"}
SECRET_NAME = "attend-secrets"
# Signs the tokens the services present to each other: every service
# container reads it from the Secret, compose gives it a local default.
FLEET_KEY = "ATTEND_FLEET_KEY"
FLEET_KEY_MIN_LEN = 32
GRPC_PORT = 50051
IMAGE_NAME = "attend"
METRICS = [
    "attend_http_requests_total", "attend_http_request_duration_seconds", "attend_grpc_requests_total",
    "attend_grpc_request_duration_seconds", "attend_outbox_published_total", "attend_outbox_pending",
    "attend_bus_messages_processed_total", "attend_bus_handle_duration_seconds", "attend_webhooks_received_total",
]
# NetworkPolicy conventions (k8s/base/networkpolicies.yaml): the labels a
# cluster puts on the namespaces allowed in, and the peers each port admits.
INGRESS_NS_LABELS = {"attend-ingress-controller": "true"}
SCRAPER_NS_LABELS = {"attend-metrics-scraper": "true"}
SCRAPER_POD_LABELS = {"app.kubernetes.io/name": "prometheus"}
FLEET_PEER = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "attend"}}}
SCRAPER_PEER = {"namespaceSelector": {"matchLabels": SCRAPER_NS_LABELS},
                "podSelector": {"matchLabels": SCRAPER_POD_LABELS}}
INGRESS_PEER = {"namespaceSelector": {"matchLabels": INGRESS_NS_LABELS}}
# One Postgres major everywhere: the local Postgres that tests and
# development use (psql --version: 15.x), compose and the CloudNativePG
# cluster(s) in k8s/dependencies.
PG_MAJOR = 15
# Third-party images are pinned by digest (name:tag@sha256:<64 hex>), except
# these, with the reason (see the comments in docker-compose.yml).
DIGEST = re.compile(r"[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}")
UNPINNED_COMPOSE_IMAGES: dict[str, str] = {}
SUPPORT_SERVICES = {"postgres", "nats", "migrate", "otel-collector", "tempo-init",
                    "tempo", "prometheus", "grafana"}


class Checks:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.group = ""
        self.count = 0

    def start(self, group: str) -> None:
        self.group = group
        self.count = 0
        self._errors_before = len(self.errors)

    def check(self, ok: bool, message: str) -> bool:
        self.count += 1
        if not ok:
            self.errors.append(f"{self.group}: {message}")
        return ok

    def end(self) -> None:
        failed = len(self.errors) - self._errors_before
        status = "ok" if failed == 0 else f"{failed} FAILED"
        print(f"  {self.group}: {self.count} checks, {status}")


def upper(svc: str) -> str:
    return svc.upper()


def expected_shared_env() -> dict:
    env = {
        "ATTEND_MIGRATE_ON_START": "false",
        "ATTEND_LOG_FORMAT": "json",
        "ATTEND_GATEWAY_ADDR": "0.0.0.0:8080",
        "ATTEND_INGEST_ADDR": "0.0.0.0:8081",
    }
    for s in SERVICES:
        env[f"ATTEND_{upper(s)}_GRPC_ADDR"] = f"0.0.0.0:{GRPC_PORT}"
        env[f"ATTEND_{upper(s)}_GRPC_URL"] = f"http://{s}:{GRPC_PORT}"
    return env


# ---------------------------------------------------------------- syntax

def check_syntax(c: Checks, root: str) -> None:
    c.start("syntax (YAML without duplicate keys, JSON)")
    files = [os.path.join(root, "docker-compose.yml")]
    for pattern in ("deploy/**/*.yaml", "deploy/**/*.yml", "k8s/**/*.yaml", "k8s/**/*.yml"):
        files += glob.glob(os.path.join(root, pattern), recursive=True)
    for path in sorted(set(files)):
        try:
            with open(path, encoding="utf-8") as f:
                list(yaml.load_all(f, Loader=StrictLoader))
            c.check(True, path)
        except yaml.YAMLError as e:
            c.check(False, f"{os.path.relpath(path, root)}: {e}")
    for path in sorted(glob.glob(os.path.join(root, "deploy/**/*.json"), recursive=True)):
        try:
            with open(path, encoding="utf-8") as f:
                json.load(f)
            c.check(True, path)
        except ValueError as e:
            c.check(False, f"{os.path.relpath(path, root)}: {e}")
    c.end()


# ---------------------------------------------------------------- compose

def check_compose(c: Checks, root: str) -> None:
    c.start("docker-compose.yml")
    with open(os.path.join(root, "docker-compose.yml"), encoding="utf-8") as f:
        compose = yaml.load(f, Loader=StrictLoader)
    services = compose.get("services", {})
    c.check(set(services) == SUPPORT_SERVICES | set(SERVICES),
            f"services are {sorted(services)}, expected the ten attend services + {sorted(SUPPORT_SERVICES)}")
    builders = [n for n, s in services.items() if "build" in s]
    c.check(builders == ["migrate"], f"only `migrate` builds the image, found {builders}")
    mig = services.get("migrate", {})
    build = mig.get("build", {})
    c.check(isinstance(build, dict) and build.get("context") == "." and build.get("dockerfile") == "deploy/Dockerfile",
            "migrate builds context . with deploy/Dockerfile")
    c.check(mig.get("image") == f"{IMAGE_NAME}:dev", "migrate tags the image attend:dev")
    c.check(mig.get("command") == ["migrate"], "migrate runs `attend migrate`")
    c.check(mig.get("depends_on", {}).get("postgres", {}).get("condition") == "service_healthy",
            "migrate waits for a healthy postgres")
    shared = expected_shared_env()
    for svc in SERVICES:
        s = services.get(svc, {})
        where = f"service {svc}"
        c.check(s.get("image") == f"{IMAGE_NAME}:dev", f"{where}: image attend:dev")
        c.check(s.get("pull_policy") == "never", f"{where}: pull_policy never (the image is local)")
        c.check(s.get("command") == ["run", svc], f"{where}: command is [run, {svc}]")
        dep = s.get("depends_on", {})
        c.check(isinstance(dep, dict) and dep.get("migrate", {}).get("condition") == "service_completed_successfully",
                f"{where}: depends on migrate completing successfully")
        c.check(isinstance(dep, dict) and dep.get("nats", {}).get("condition") == "service_healthy",
                f"{where}: depends on a healthy nats")
        env = s.get("environment", {})
        c.check(isinstance(env, dict), f"{where}: environment is a mapping")
        for k, v in shared.items():
            c.check(str(env.get(k)) == v, f"{where}: {k}={env.get(k)!r}, expected {v!r}")
        c.check(env.get("NATS_URL") == "nats://nats:4222", f"{where}: NATS_URL")
        c.check(str(env.get("ATTEND_BUS_REPLICAS")) == "1",
                f"{where}: ATTEND_BUS_REPLICAS=1 (compose runs one NATS server)")
        fleet = re.fullmatch(r"\$\{" + FLEET_KEY + r":-([^}]*)\}", str(env.get(FLEET_KEY, "")))
        c.check(fleet is not None and len(fleet.group(1)) >= FLEET_KEY_MIN_LEN,
                f"{where}: {FLEET_KEY} from the shell with a local default of at least "
                f"{FLEET_KEY_MIN_LEN} characters (${{{FLEET_KEY}:-...}})")
        db_vars = {k: v for k, v in env.items() if k.endswith("DATABASE_URL")}
        shared_db = mig.get("environment", {}).get("DATABASE_URL")
        c.check(bool(shared_db) and db_vars.get("DATABASE_URL") == shared_db,
                f"{where}: DATABASE_URL is the shared one the migrate service uses")
        if svc in STATELESS:
            # Never connects; the shared DATABASE_URL is ignored, and nothing
            # gives it a role of its own.
            c.check(set(db_vars) == {"DATABASE_URL"},
                    f"{where}: no database URL but the shared DATABASE_URL (has {sorted(db_vars)})")
        c.check(env.get("OTEL_EXPORTER_OTLP_ENDPOINT") == "http://otel-collector:4317",
                f"{where}: OTEL_EXPORTER_OTLP_ENDPOINT")
        ports = [str(p) for p in s.get("ports", [])]
        if svc in HTTP_PORTS:
            c.check(any(p.endswith(f":{HTTP_PORTS[svc]}") for p in ports),
                    f"{where}: publishes port {HTTP_PORTS[svc]}")
        else:
            c.check(not ports, f"{where}: publishes no port")
        hc = json.dumps(s.get("healthcheck", {}).get("test", []))
        c.check(f"127.0.0.1/{GRPC_PORT}" in hc and "/readyz" in hc
                and not any(str(p) in hc for p in HTTP_PORTS.values()),
                f"{where}: healthcheck asks /readyz on the ops port {GRPC_PORT}, never a public port")
        grace = str(s.get("stop_grace_period", ""))
        c.check(re.fullmatch(r"\d+s", grace) is not None and int(grace[:-1]) > 30,
                f"{where}: stop_grace_period above the 30s shutdown grace")
    nats = services.get("nats", {})
    c.check("--jetstream" in nats.get("command", []), "nats runs with JetStream")
    c.check(str(nats.get("image", "")).startswith("nats:2.12"), "nats image is 2.12")
    c.check("8222/healthz" in json.dumps(nats.get("healthcheck", {})), "nats healthcheck uses :8222/healthz")
    c.check(any(str(v).endswith(":/data") for v in nats.get("volumes", [])), "nats stores JetStream on a volume")
    for name, s in services.items():
        image = str(s.get("image", ""))
        if image == f"{IMAGE_NAME}:dev":
            continue
        if name in UNPINNED_COMPOSE_IMAGES:
            continue
        c.check(DIGEST.fullmatch(image) is not None,
                f"service {name}: third-party image pinned by digest, tag kept ({image})")
    c.check("healthcheck" in services.get("postgres", {}), "postgres has a healthcheck")
    pg_image = str(services.get("postgres", {}).get("image", ""))
    m = re.match(r"postgres:(\d+)", pg_image)
    c.check(m is not None and int(m.group(1)) == PG_MAJOR, f"postgres image is Postgres {PG_MAJOR} ({pg_image})")
    # Every bind-mounted file or directory exists.
    for name, s in services.items():
        for v in s.get("volumes", []):
            src = str(v).split(":")[0]
            if src.startswith("./"):
                c.check(os.path.exists(os.path.join(root, src)), f"service {name}: mount source {src} exists")
    c.end()


# ---------------------------------------------------------------- dockerfile

def check_dockerfile(c: Checks, root: str) -> None:
    from dockerfile_parse import DockerfileParser

    c.start("deploy/Dockerfile, .dockerignore")
    df = DockerfileParser(path=os.path.join(root, "deploy/Dockerfile"))
    instr = [(s["instruction"], s["value"]) for s in df.structure]
    parents = df.parent_images
    c.check(parents[0].startswith("rust:1.95") and "bookworm" in parents[0],
            f"builder is rust:1.95 on bookworm ({parents[0]})")
    c.check(df.baseimage == "debian:bookworm-slim", f"runtime is debian:bookworm-slim ({df.baseimage})")
    runs = " ".join(v for i, v in instr if i == "RUN")
    c.check("cargo build --release --locked --bin attend" in runs, "builds with cargo build --release --locked --bin attend")
    c.check("ca-certificates" in runs, "installs ca-certificates")
    c.check(any(p.startswith("node:20") for p in parents), f"a node:20 stage builds the web UI ({parents})")
    c.check("npm ci" in runs and "npm run build" in runs, "builds the web UI with npm ci and npm run build")
    copies = [v for i, v in instr if i == "COPY"]
    c.check(any("--from=web" in v and "/usr/share/attend/web" in v for v in copies),
            "copies the built web UI to /usr/share/attend/web")
    envs = " ".join(v for i, v in instr if i == "ENV")
    c.check("ATTEND_WEB_DIR=/usr/share/attend/web" in envs, "ATTEND_WEB_DIR points the gateway at the UI")
    users = [v for i, v in instr if i == "USER"]
    c.check(bool(users) and users[-1].split(":")[0] not in ("root", "0"), f"runs as a non-root user ({users})")
    c.check(bool(users) and users[-1].split(":")[0].isdigit(), "USER is numeric (runAsNonRoot can verify it)")
    c.check(df.json is not None, "parses")
    entry = [v for i, v in instr if i == "ENTRYPOINT"]
    cmd = [v for i, v in instr if i == "CMD"]
    c.check(entry and json.loads(entry[-1]) == ["/usr/local/bin/attend"], "ENTRYPOINT [/usr/local/bin/attend]")
    c.check(cmd and json.loads(cmd[-1]) == ["run", "all"], "CMD [run, all]")
    hcs = [v for i, v in instr if i == "HEALTHCHECK"]
    c.check(bool(hcs) and f"127.0.0.1/{GRPC_PORT}" in hcs[-1] and "/healthz" in hcs[-1]
            and not any(str(p) in hcs[-1] for p in HTTP_PORTS.values()),
            f"HEALTHCHECK asks /healthz on the ops port {GRPC_PORT} (the public listeners 404 it)")
    exposed = " ".join(v for i, v in instr if i == "EXPOSE").split()
    for port in ("50051", "8080", "8081"):
        c.check(port in exposed, f"EXPOSE {port}")
    with open(os.path.join(root, ".dockerignore"), encoding="utf-8") as f:
        ignored = {line.strip() for line in f if line.strip() and not line.startswith("#")}
    for must in ("target/", ".git/", "node_modules/", "web/dist/"):
        c.check(must in ignored, f".dockerignore excludes {must}")
    for keep in ("Cargo.toml", "Cargo.lock", "proto/", "shared/", "services/"):
        c.check(keep not in ignored, f".dockerignore keeps {keep}")
    c.end()


# ---------------------------------------------------------------- telemetry configs

def check_telemetry(c: Checks, root: str) -> None:
    c.start("prometheus, otel-collector, tempo, grafana")

    def load(rel: str):
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            return yaml.load(f, Loader=StrictLoader)

    prom = load("deploy/prometheus.yml")
    jobs = {j["job_name"]: j for j in prom.get("scrape_configs", [])}
    attend = jobs.get("attend", {})
    targets = {t for sc in attend.get("static_configs", []) for t in sc.get("targets", [])}
    c.check(targets == {f"{s}:{GRPC_PORT}" for s in SERVICES},
            f"Prometheus scrapes exactly the ten services on {GRPC_PORT} (has {sorted(targets)})")
    c.check(attend.get("metrics_path", "/metrics") == "/metrics", "Prometheus scrapes /metrics")
    for sc in attend.get("static_configs", []):
        c.check("service" not in sc.get("labels", {}),
                "no target label `service` (it would clash with the metrics' own label)")

    otel = load("deploy/otel-collector.yaml")
    grpc = otel.get("receivers", {}).get("otlp", {}).get("protocols", {}).get("grpc", {})
    c.check(str(grpc.get("endpoint", "")).endswith(":4317"), "collector receives OTLP gRPC on 4317")
    pipes = otel.get("service", {}).get("pipelines", {})
    c.check("traces" in pipes, "collector has a traces pipeline")
    for p in pipes.values():
        for kind in ("receivers", "processors", "exporters"):
            for name in p.get(kind, []):
                c.check(name in otel.get(kind, {}), f"collector pipeline uses a defined {kind[:-1]} {name}")
    exporters = otel.get("exporters", {})
    c.check(any(str(e.get("endpoint", "")).startswith("tempo:") for e in exporters.values()),
            "collector exports to Tempo")

    tempo = load("deploy/tempo.yaml")
    tgrpc = tempo.get("distributor", {}).get("receivers", {}).get("otlp", {}).get("protocols", {}).get("grpc", {})
    c.check(str(tgrpc.get("endpoint", "")).endswith(":4317"), "Tempo receives OTLP gRPC on 4317")
    c.check(tempo.get("server", {}).get("http_listen_port") == 3200, "Tempo serves its API on 3200")

    ds_files = glob.glob(os.path.join(root, "deploy/grafana/provisioning/datasources/*.yaml"))
    uids = {}
    for path in ds_files:
        with open(path, encoding="utf-8") as f:
            for ds in yaml.load(f, Loader=StrictLoader).get("datasources", []):
                uids[ds.get("uid")] = ds.get("type")
    c.check(uids.get("prometheus") == "prometheus" and uids.get("tempo") == "tempo",
            f"Grafana datasources prometheus and tempo with fixed uids ({uids})")
    for path in ds_files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for ref in re.findall(r"datasourceUid:\s*(\S+)", text):
            c.check(ref in uids, f"{os.path.basename(path)}: datasourceUid {ref} exists")

    prov = glob.glob(os.path.join(root, "deploy/grafana/provisioning/dashboards/*.yaml"))
    c.check(bool(prov), "a dashboard provider is provisioned")
    for path in prov:
        with open(path, encoding="utf-8") as f:
            for p in yaml.load(f, Loader=StrictLoader).get("providers", []):
                c.check(p.get("options", {}).get("path") == "/var/lib/grafana/dashboards",
                        "dashboard provider reads the mounted dashboards directory")
    c.end()


METRIC_CALL = re.compile(r"\b(counter|gauge|histogram)!\(\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\"")
# Metrics from elsewhere that the alerts may name: Prometheus' own `up`,
# kube-state-metrics (kube_*), the NATS chart's exporter (nats_*, -prefix=nats).
EXTERNAL_METRICS = re.compile(r"up|kube_[a-z0-9_]+|nats_[a-z0-9_]+")


def exported_metrics(root: str) -> set:
    """Every metric name the code records (metrics::counter!/gauge!/
    histogram! in services/ and shared/), with the _bucket/_sum/_count
    series of the histograms."""
    names = set()
    for top in ("services", "shared"):
        for path in glob.glob(os.path.join(root, top, "**", "*.rs"), recursive=True):
            with open(path, encoding="utf-8") as f:
                for kind, name in METRIC_CALL.findall(f.read()):
                    names.add(name)
                    if kind == "histogram":
                        names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return names


def selectors(node: object) -> list:
    """Every VectorSelector in a parsed PromQL expression (promql_parser)."""
    found = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n is None:
            continue
        if type(n).__name__ == "VectorSelector":
            found.append(n)
            continue
        for attr in ("lhs", "rhs", "expr", "vector_selector", "param"):
            child = getattr(n, attr, None)
            if child is not None and type(child).__module__.startswith("promql_parser"):
                stack.append(child)
        for child in getattr(n, "args", None) or []:
            stack.append(child)
    return found


def check_dashboard(c: Checks, root: str) -> None:
    import promql_parser

    c.start("deploy/grafana/dashboards/attend.json")
    with open(os.path.join(root, "deploy/grafana/dashboards/attend.json"), encoding="utf-8") as f:
        dash = json.load(f)
    c.check(bool(dash.get("uid")) and bool(dash.get("title")), "has a uid and a title")
    variables = {v["name"] for v in dash.get("templating", {}).get("list", [])}
    exprs = []
    ids = set()
    for p in dash.get("panels", []):
        c.check(p.get("id") not in ids, f"panel id {p.get('id')} is unique")
        ids.add(p.get("id"))
        for t in p.get("targets", []):
            exprs.append((p.get("title"), t.get("expr", "")))
            uid = (t.get("datasource") or p.get("datasource") or {}).get("uid")
            c.check(uid in ("${datasource}", "prometheus"), f"panel {p.get('title')!r}: Prometheus datasource")
    c.check(len(exprs) >= 10, f"has panels with queries ({len(exprs)})")
    substitutions = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}
    for title, expr in exprs:
        for var in re.findall(r"\$(\w+)", expr):
            c.check(var.startswith("__") or var in variables, f"panel {title!r}: variable ${var} is defined")
        e = expr
        for k, v in substitutions.items():
            e = e.replace(k, v)
        e = re.sub(r"\$\{?\w+\}?", ".*", e)
        try:
            promql_parser.parse(e)
            c.check(True, title)
        except ValueError as err:
            c.check(False, f"panel {title!r}: PromQL does not parse: {err}: {expr}")
    known = exported_metrics(root)
    for title, expr in exprs:
        e = expr
        for k, v in substitutions.items():
            e = e.replace(k, v)
        e = re.sub(r"\$\{?\w+\}?", ".*", e)
        try:
            names = {s.name for s in selectors(promql_parser.parse(e)) if s.name}
        except ValueError:
            continue  # reported above
        c.check(names <= known, f"panel {title!r}: metrics the code exports (unknown: {sorted(names - known)})")
    text = " ".join(e for _, e in exprs)
    for m in METRICS:
        c.check(re.search(rf"\b{m}(_bucket)?\b", text) is not None, f"some panel uses {m}")
    c.end()


# ---------------------------------------------------------------- kubernetes

def pod_labels(dep: dict) -> dict:
    return dep["spec"]["template"]["metadata"].get("labels", {})


def selects(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_container_hardening(c: Checks, where: str, ctr: dict) -> None:
    sc = ctr.get("securityContext", {})
    c.check(sc.get("runAsNonRoot") is True, f"{where}: runAsNonRoot")
    c.check(sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem")
    c.check(sc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation false")
    c.check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: drops ALL capabilities")
    res = ctr.get("resources", {})
    for kind in ("requests", "limits"):
        for r in ("cpu", "memory"):
            c.check(r in res.get(kind, {}), f"{where}: resources.{kind}.{r}")


def selector_matches(selector: dict, labels: dict) -> bool:
    """A LabelSelector (matchLabels only: the policies here use nothing
    else) against a pod's labels; an empty selector selects every pod."""
    if selector.get("matchExpressions"):
        raise ValueError("matchExpressions are not supported by this check")
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def canonical(peer: object) -> str:
    return json.dumps(peer, sort_keys=True)


def check_network_policies(c: Checks, by: dict, deps: dict) -> None:
    """Per attend pod: isolated for ingress, and the union of the policies
    that select it admits exactly the expected (port, peer) pairs: 50051
    from the fleet and from Prometheus; the public port, if any, from the
    ingress controller's namespace. Nothing else, and no egress policy."""
    pols = by.get("NetworkPolicy", {})
    c.check(bool(pols), "NetworkPolicies exist")
    for name, pol in pols.items():
        spec = pol.get("spec", {})
        c.check(spec.get("policyTypes") == ["Ingress"],
                f"NetworkPolicy {name}: ingress only (egress, DNS included, is left alone)")
        c.check("egress" not in spec, f"NetworkPolicy {name}: no egress rules")
        for rule in spec.get("ingress", []):
            for peer in rule.get("from", []):
                c.check("ipBlock" not in peer, f"NetworkPolicy {name}: no ipBlock peers")
            for port in rule.get("ports", []):
                c.check(isinstance(port.get("port"), int) and port.get("protocol", "TCP") == "TCP",
                        f"NetworkPolicy {name}: numeric TCP ports ({port})")
    for svc, dep in deps.items():
        labels = pod_labels(dep)
        selecting = {n: p["spec"] for n, p in pols.items()
                     if selector_matches(p["spec"].get("podSelector", {}), labels)}
        c.check(any("Ingress" in s.get("policyTypes", []) and not s.get("ingress") for s in selecting.values()),
                f"pods of {svc}: a default-deny ingress policy selects them")
        allowed = set()
        for s in selecting.values():
            for rule in s.get("ingress", []):
                ports = [p.get("port") for p in rule.get("ports", [])] or ["any port"]
                peers = [canonical(p) for p in rule.get("from", [])] or ["anyone"]
                allowed |= {(port, peer) for port in ports for peer in peers}
        want = {(GRPC_PORT, canonical(FLEET_PEER)), (GRPC_PORT, canonical(SCRAPER_PEER))}
        if svc in HTTP_PORTS:
            want.add((HTTP_PORTS[svc], canonical(INGRESS_PEER)))
        c.check(allowed == want,
                f"pods of {svc}: ingress allowed exactly from the fleet and Prometheus on {GRPC_PORT}"
                + (f" and the ingress controller on {HTTP_PORTS[svc]}" if svc in HTTP_PORTS else "")
                + f" (extra: {sorted(allowed - want)}, missing: {sorted(want - allowed)})")


def check_kubernetes(c: Checks, root: str, label: str, path: str, secret_keys: set) -> None:
    c.start(f"kubernetes ({label}, rendered)")
    objs = load_yaml_documents(path)
    by = {}
    for o in objs:
        by.setdefault(o["kind"], {})[o["metadata"]["name"]] = o
    deps = by.get("Deployment", {})
    svcs = by.get("Service", {})
    pdbs = by.get("PodDisruptionBudget", {})
    hpas = by.get("HorizontalPodAutoscaler", {})
    c.check(set(deps) == set(SERVICES), f"one Deployment per service (has {sorted(deps)})")
    c.check(set(svcs) == set(SERVICES), f"one Service per service (has {sorted(svcs)})")
    c.check(set(pdbs) == set(SERVICES), f"one PodDisruptionBudget per service (has {sorted(pdbs)})")
    c.check(set(hpas) == AUTOSCALED, f"HorizontalPodAutoscalers for {sorted(AUTOSCALED)} (has {sorted(hpas)})")
    c.check("Job" not in by and "CronJob" not in by, "no Job: migrations run in init containers")
    cm = by.get("ConfigMap", {}).get("attend-config")
    c.check(cm is not None, "ConfigMap attend-config exists")
    data = (cm or {}).get("data", {})
    for k, v in expected_shared_env().items():
        c.check(data.get(k) == v, f"attend-config {k}={data.get(k)!r}, expected {v!r}")
    for k in ("NATS_URL", "ATTEND_NATS_PREFIX", "OTEL_EXPORTER_OTLP_ENDPOINT", "RUST_LOG"):
        c.check(bool(data.get(k)), f"attend-config sets {k}")
    c.check(not [k for k in data if k.endswith("DATABASE_URL")],
            "attend-config holds no database URL (every container reads it)")
    c.check("Secret" not in by, "no Secret in the rendering (secret.example.yaml stays out)")

    for svc in SERVICES:
        dep = deps.get(svc)
        if dep is None:
            continue
        where = f"Deployment {svc}"
        spec = dep["spec"]
        pod = spec["template"]["spec"]
        labels = pod_labels(dep)
        c.check(selects(spec["selector"].get("matchLabels", {}), labels), f"{where}: selector matches its pods")
        if svc in AUTOSCALED and label == "base":
            c.check("replicas" not in spec, f"{where}: no replicas field (the HPA owns it)")
        elif label == "base":
            want = 1 if svc in SINGLE_REPLICA else BASE_REPLICAS
            c.check(spec.get("replicas") == want,
                    f"{where}: {want} replica(s) in the base (has {spec.get('replicas')})")
        ann = spec["template"]["metadata"].get("annotations", {})
        c.check(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == str(GRPC_PORT)
                and ann.get("prometheus.io/path") == "/metrics", f"{where}: Prometheus scrape annotations")
        psc = pod.get("securityContext", {})
        c.check(psc.get("runAsNonRoot") is True, f"{where}: pod runAsNonRoot")
        c.check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{where}: RuntimeDefault seccomp")
        c.check(pod.get("automountServiceAccountToken") is False, f"{where}: no service account token")
        c.check(pod.get("terminationGracePeriodSeconds", 30) >= 35,
                f"{where}: terminationGracePeriodSeconds covers the 30s shutdown grace")
        inits = pod.get("initContainers", [])
        if svc in STATELESS:
            c.check(not inits, f"{where}: no init container (owns no schema, never connects to Postgres)")
        else:
            c.check(len(inits) == 1 and inits[0].get("name") == "migrate" and inits[0].get("args") == ["migrate"],
                    f"{where}: a `migrate` init container")
        ctrs = pod.get("containers", [])
        c.check(len(ctrs) == 1, f"{where}: one container")
        if not ctrs:
            continue
        ctr = ctrs[0]
        c.check(ctr.get("args") == ["run", svc], f"{where}: runs `attend run {svc}`")
        for x in inits + ctrs:
            image = x.get("image", "")
            c.check(image.split("@")[0].split(":")[0].rsplit("/", 1)[-1] == IMAGE_NAME,
                    f"{where}/{x.get('name')}: image is attend ({image})")
            if label != "base":
                c.check(":" in image.rsplit("/", 1)[-1] or "@" in image,
                        f"{where}/{x.get('name')}: the overlay pins an image tag ({image})")
            check_container_hardening(c, f"{where}/{x.get('name')}", x)
            c.check({"configMapRef": {"name": "attend-config"}} in x.get("envFrom", []),
                     f"{where}/{x.get('name')}: env from attend-config")
            # A whole-Secret envFrom would hand every key (the admin
            # DATABASE_URL included) to the container: secrets go key by key.
            c.check(all("secretRef" not in src for src in x.get("envFrom", [])),
                    f"{where}/{x.get('name')}: no envFrom secretRef (secrets are referenced key by key)")
            for e in x.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    c.check(ref.get("name") == "attend-secrets", f"{where}: secret refs name attend-secrets")
                    c.check(ref.get("key") in secret_keys,
                            f"{where}: secret key {ref.get('key')} is in k8s/base/secret.example.yaml")
        envs = {e["name"] for e in ctr.get("env", [])}
        keys = {e["name"]: e.get("valueFrom", {}).get("secretKeyRef", {}).get("key")
                for e in ctr.get("env", [])}
        init_keys = {e["name"]: e.get("valueFrom", {}).get("secretKeyRef", {}).get("key")
                     for x in inits for e in x.get("env", [])}
        own = f"ATTEND_{upper(svc)}_DATABASE_URL"
        # Database URLs the service container sees, by variable name or by
        # Secret key (a literal `value` counts too).
        db_names = {n for n in envs if n.endswith("DATABASE_URL")}
        db_keys = {k for k in keys.values() if k and k.endswith("DATABASE_URL")}
        if svc in STATELESS:
            # Owns no schema and never connects to Postgres, even at start-up:
            # no DATABASE_URL, no ATTEND_<SVC>_DATABASE_URL, no role.
            c.check(not db_names, f"{where}: no database URL variable (has {sorted(db_names)})")
            c.check(not db_keys, f"{where}: reads no database URL from the Secret (has {sorted(db_keys)})")
        else:
            c.check(init_keys.get("DATABASE_URL") == "DATABASE_URL",
                    f"{where}: the migrate init container gets the admin DATABASE_URL")
            # With ATTEND_MIGRATE_ON_START=false the binary connects only as
            # the service's own role: that URL is the only one it gets.
            c.check(keys.get(own) == own, f"{where}: gets its own {own}")
            c.check(db_names == {own}, f"{where}: {own} is its only database URL variable (has {sorted(db_names)})")
            c.check(db_keys == {own}, f"{where}: reads only its own role's URL from the Secret (has {sorted(db_keys)})")
            c.check("DATABASE_URL" not in envs, f"{where}: the service container gets no DATABASE_URL")
        for v in pod.get("volumes", []):
            refs = [v.get("secret", {}).get("secretName")]
            refs += [s.get("secret", {}).get("name") for s in v.get("projected", {}).get("sources", [])]
            c.check(SECRET_NAME not in refs, f"{where}: volume {v.get('name')} does not mount {SECRET_NAME}")
        if svc == "ingest":
            c.check({"ATTEND_WIX_PUBLIC_KEY", "ATTEND_WEBHOOK_SECRET"} <= envs, f"{where}: webhook secrets")
        fleet = [e for e in ctr.get("env", []) if e.get("name") == FLEET_KEY]
        ref = fleet[0].get("valueFrom", {}).get("secretKeyRef", {}) if len(fleet) == 1 else {}
        c.check(ref.get("name") == SECRET_NAME and ref.get("key") == FLEET_KEY and not ref.get("optional"),
                f"{where}: {FLEET_KEY} from {SECRET_NAME} key {FLEET_KEY}, not optional")
        c.check(all(e.get("name") != FLEET_KEY for x in inits for e in x.get("env", [])),
                f"{where}: the migrate init container gets no {FLEET_KEY} (it runs no service)")
        ports = {p.get("name"): p.get("containerPort") for p in ctr.get("ports", [])}
        c.check(ports.get("grpc") == GRPC_PORT, f"{where}: container port grpc={GRPC_PORT}")
        if svc in HTTP_PORTS:
            c.check(ports.get("http") == HTTP_PORTS[svc], f"{where}: container port http={HTTP_PORTS[svc]}")
        for x in inits + ctrs:
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                if probe in x:
                    p_ = x[probe]
                    port = p_.get("httpGet", p_.get("tcpSocket", p_.get("grpc", {}))).get("port")
                    c.check(port in ("grpc", GRPC_PORT),
                            f"{where}/{x.get('name')}: {probe} on the ops port (grpc), not {port!r}")
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            hg = ctr.get(probe, {}).get("httpGet", {})
            c.check(hg.get("path") == path and hg.get("port") == "grpc", f"{where}: {probe} GET {path} on port grpc")

        s = svcs.get(svc)
        if s is not None:
            c.check(selects(s["spec"].get("selector", {}), labels), f"Service {svc}: selects its Deployment's pods")
            sports = {p.get("name"): p for p in s["spec"].get("ports", [])}
            c.check(sports.get("grpc", {}).get("port") == GRPC_PORT and sports["grpc"].get("targetPort") == "grpc",
                    f"Service {svc}: port grpc {GRPC_PORT}")
            if svc in HTTP_PORTS:
                c.check(sports.get("http", {}).get("port") == HTTP_PORTS[svc], f"Service {svc}: port http")
        p = pdbs.get(svc)
        if p is not None:
            c.check(selects(p["spec"].get("selector", {}).get("matchLabels", {}), labels),
                    f"PodDisruptionBudget {svc}: selects its Deployment's pods")
            c.check("maxUnavailable" in p["spec"], f"PodDisruptionBudget {svc}: maxUnavailable")
        h = hpas.get(svc)
        if h is not None:
            ref = h["spec"]["scaleTargetRef"]
            c.check(ref.get("kind") == "Deployment" and ref.get("name") == svc, f"HPA {svc}: targets its Deployment")
            c.check(h["spec"].get("minReplicas", 1) <= h["spec"]["maxReplicas"], f"HPA {svc}: min <= max")

    check_network_policies(c, by, deps)

    if label == "dev":
        for o in objs:
            if o["kind"] == "Namespace":
                c.check(o["metadata"]["name"] == "attend-dev", "the dev overlay creates namespace attend-dev")
            else:
                c.check(o["metadata"].get("namespace") == "attend-dev", f"{o['kind']}/{o['metadata']['name']} in attend-dev")
        for svc, dep in deps.items():
            c.check(dep["spec"].get("replicas") == 1, f"Deployment {svc}: 1 replica in dev")
        for svc, h in hpas.items():
            c.check(h["spec"].get("minReplicas") == 1, f"HPA {svc}: minReplicas 1 in dev")
    else:
        for o in objs:
            c.check("namespace" not in o["metadata"], f"{o['kind']}/{o['metadata']['name']}: base is namespace-agnostic")
    c.end()


def check_monitoring(c: Checks, root: str, path: str) -> None:
    """k8s/monitoring: a PodMonitor per service on the ops port, and alerts
    whose PromQL parses and names only metrics that exist."""
    import promql_parser

    c.start("k8s/monitoring (rendered)")
    objs = load_yaml_documents(path)
    by: dict = {}
    for o in objs:
        by.setdefault(o["kind"], {})[o["metadata"]["name"]] = o
    pms = by.get("PodMonitor", {})
    c.check(set(pms) == {f"attend-{s}" for s in SERVICES},
            f"one PodMonitor per service, attend-<service> (has {sorted(pms)})")
    for svc in SERVICES:
        pm = pms.get(f"attend-{svc}")
        if pm is None:
            continue
        where = f"PodMonitor attend-{svc}"
        spec = pm["spec"]
        c.check(spec.get("selector", {}).get("matchLabels")
                == {"app.kubernetes.io/name": "attend", "app.kubernetes.io/component": svc},
                f"{where}: selects the {svc} pods (the Deployment's selector)")
        c.check(spec.get("jobLabel") == "app.kubernetes.io/name",
                f"{where}: job taken from app.kubernetes.io/name (job=\"attend\", as in compose)")
        eps = spec.get("podMetricsEndpoints", [])
        c.check(len(eps) == 1, f"{where}: one endpoint")
        for ep in eps:
            c.check(ep.get("port") == "grpc" and ep.get("path", "/metrics") == "/metrics",
                    f"{where}: scrapes /metrics on the ops port grpc ({GRPC_PORT}), never a public port")
            c.check(all(r.get("targetLabel") != "service" for r in ep.get("relabelings", [])),
                    f"{where}: no target label `service` (it would clash with the metrics' own)")

    rules = by.get("PrometheusRule", {})
    c.check(bool(rules), "a PrometheusRule")
    known = exported_metrics(root)
    cm = load_yaml_documents(os.path.join(root, "k8s/base/configmap.yaml"))[0].get("data", {})
    stream = f"{cm.get('ATTEND_NATS_PREFIX', 'attend').upper().replace('-', '_')}_EVENTS"
    alerts: dict = {}
    for rname, rule in rules.items():
        for group in rule["spec"].get("groups", []):
            for r in group.get("rules", []):
                name = r.get("alert") or r.get("record")
                where = f"PrometheusRule {rname}, {name}"
                c.check(name not in alerts, f"{where}: unique name")
                try:
                    sels = selectors(promql_parser.parse(r.get("expr", "")))
                    alerts[name] = r
                except ValueError as err:
                    c.check(False, f"{where}: PromQL does not parse: {err}")
                    continue
                for s in sels:
                    # Equality matchers only: job=~"attend" would not count.
                    matchers = {m.name: m.value for m in s.matchers.matchers
                                if str(m.op).endswith("Equal") and "Not" not in str(m.op)} if s.matchers else {}
                    if EXTERNAL_METRICS.fullmatch(s.name or ""):
                        c.check(s.name != "up" or matchers.get("job") == "attend",
                                f"{where}: up is selected with job=\"attend\"")
                        if s.name.startswith("nats_"):
                            c.check(matchers.get("stream_name") == stream,
                                    f"{where}: NATS series of the event stream {stream} (ATTEND_NATS_PREFIX)")
                        continue
                    c.check(s.name in known,
                            f"{where}: metric {s.name!r} is exported by the code (metrics::counter!/gauge!/histogram!)")
                    c.check(matchers.get("job") == "attend", f"{where}: {s.name} selected with job=\"attend\"")
                if "alert" in r:
                    c.check(r.get("labels", {}).get("severity") in ("critical", "warning"),
                            f"{where}: severity critical or warning")
                    ann = r.get("annotations", {})
                    c.check(bool(ann.get("summary")) and bool(ann.get("description")),
                            f"{where}: summary and description")
    # The conditions an operator is woken for, each by a metric that exists.
    def uses(alert: str, metric: str) -> bool:
        return alert in alerts and re.search(rf"\b{metric}\b", alerts[alert].get("expr", "")) is not None

    for alert, metric in (("AttendOutboxNotPublishing", "attend_outbox_pending"),
                          ("AttendConsumerBacklog", "nats_consumer_num_pending"),
                          ("AttendDeadLetters", "attend_bus_dead_letters_total"),
                          ("AttendWebhookRejectionsSpike", "attend_webhooks_received_total"),
                          ("AttendHttp5xxRate", "attend_http_requests_total"),
                          ("AttendServiceUnavailable", "kube_deployment_status_replicas_available"),
                          ("AttendTargetDown", "up")):
        c.check(uses(alert, metric), f"alert {alert} on {metric}")
        c.check(alerts.get(alert, {}).get("labels", {}).get("severity") == "critical",
                f"alert {alert} pages (severity critical)")
    c.end()


def check_kustomizations(c: Checks, root: str) -> set:
    c.start("k8s sources")
    secret = load_yaml_documents(os.path.join(root, "k8s/base/secret.example.yaml"))
    keys = set()
    if c.check(len(secret) == 1 and secret[0].get("kind") == "Secret"
               and secret[0]["metadata"]["name"] == "attend-secrets", "secret.example.yaml is Secret attend-secrets"):
        keys = set(secret[0].get("stringData", {})) | set(secret[0].get("data", {}))
    c.check("DATABASE_URL" in keys, "example secret has DATABASE_URL")
    for s in SERVICES:
        if s in STATELESS:
            c.check(f"ATTEND_{upper(s)}_DATABASE_URL" not in keys,
                    f"example secret has no ATTEND_{upper(s)}_DATABASE_URL ({s} never connects to Postgres)")
        else:
            c.check(f"ATTEND_{upper(s)}_DATABASE_URL" in keys, f"example secret has ATTEND_{upper(s)}_DATABASE_URL")
    c.check(not {k for k in keys if k.endswith("DATABASE_URL")}
            - {"DATABASE_URL"} - {f"ATTEND_{upper(s)}_DATABASE_URL" for s in SERVICES},
            "example secret has no other database URL")
    c.check({"ATTEND_WIX_PUBLIC_KEY", "ATTEND_WEBHOOK_SECRET"} <= keys, "example secret has the ingest secrets")
    c.check(FLEET_KEY in keys, f"example secret has {FLEET_KEY}")
    if secret:
        example = os.path.join(root, "k8s/base/secret.example.yaml")
        with open(example, encoding="utf-8") as f:
            c.check("openssl rand -base64 48" in f.read(),
                    f"secret.example.yaml says how to generate {FLEET_KEY} (openssl rand -base64 48)")
    for path in glob.glob(os.path.join(root, "k8s/**/kustomization.yaml"), recursive=True):
        with open(path, encoding="utf-8") as f:
            k = yaml.load(f, Loader=StrictLoader)
        c.check(not any("secret" in str(r) for r in k.get("resources", [])),
                f"{os.path.relpath(path, root)} does not include a secret file")
    c.end()
    return keys


def check_dependencies(c: Checks, root: str) -> None:
    c.start("k8s/dependencies")
    pg_docs = load_yaml_documents(os.path.join(root, "k8s/dependencies/postgres-cluster.yaml"))
    kinds = sorted(d.get("kind", "") for d in pg_docs)
    c.check(kinds == ["Cluster", "ScheduledBackup"],
            f"postgres-cluster.yaml holds a Cluster and a ScheduledBackup (has {kinds})")
    pg = [d for d in pg_docs if d.get("kind") == "Cluster"]
    spec = pg[0].get("spec", {}) if pg else {}
    c.check(bool(pg) and pg[0].get("apiVersion") == "postgresql.cnpg.io/v1",
            "a CloudNativePG postgresql.cnpg.io/v1 Cluster")
    name = pg[0]["metadata"]["name"] if pg else ""
    c.check(spec.get("instances") == 3, "3 instances")
    image = str(spec.get("imageName", ""))
    c.check(re.match(rf"ghcr\.io/cloudnative-pg/postgresql:{PG_MAJOR}\.\d+", image) is not None,
            f"the cluster runs Postgres {PG_MAJOR} ({image})")
    c.check(spec.get("bootstrap", {}).get("initdb", {}).get("database") == "attend", "bootstraps database attend")
    sqls = " ".join(spec.get("bootstrap", {}).get("initdb", {}).get("postInitApplicationSQL", []))
    c.check("CREATEROLE" in sqls, "the owner role may create the per-service roles")
    secret = load_yaml_documents(os.path.join(root, "k8s/base/secret.example.yaml"))
    url = secret[0].get("stringData", {}).get("DATABASE_URL", "") if secret else ""
    c.check(bool(name) and f"@{name}-rw:" in url, "the example DATABASE_URL points at the cluster's -rw Service")

    # Backups: WAL archiving and base backups to an S3-compatible object
    # store, credentials from a Secret, a retention policy, a daily backup.
    backup = spec.get("backup", {})
    store = backup.get("barmanObjectStore", {})
    c.check(str(store.get("destinationPath", "")).startswith("s3://"), "backups go to an s3:// destinationPath")
    creds = store.get("s3Credentials", {})
    refs = [creds.get(k, {}) for k in ("accessKeyId", "secretAccessKey")]
    c.check(all(r.get("name") and r.get("key") for r in refs) and len({r.get("name") for r in refs}) == 1,
            "S3 credentials come from one Secret, key by key")
    c.check(bool(store.get("wal", {}).get("compression")), "archived WAL is compressed")
    c.check(re.fullmatch(r"[1-9][0-9]*[dwm]", str(backup.get("retentionPolicy", ""))) is not None,
            "a retention policy (e.g. 30d)")
    c.check(DIGEST.fullmatch(image) is not None, f"the cluster's image is pinned by digest, tag kept ({image})")
    c.check("-system-" in image,
            "the image is CloudNativePG's `system` flavour (the one with Barman Cloud, which barmanObjectStore runs)")
    sched = [d for d in pg_docs if d.get("kind") == "ScheduledBackup"]
    sspec = sched[0].get("spec", {}) if sched else {}
    c.check(sspec.get("cluster", {}).get("name") == name, f"the ScheduledBackup backs up {name}")
    c.check(sspec.get("method", "barmanObjectStore") == "barmanObjectStore",
            "the ScheduledBackup uses the object store")
    fields = str(sspec.get("schedule", "")).split()
    c.check(len(fields) == 6 and all(f.isdigit() for f in fields[:3]) and fields[3:] == ["*", "*", "*"],
            f"the ScheduledBackup runs once a day (six-field schedule, seconds first: {sspec.get('schedule')!r})")
    c.check(sspec.get("immediate") is True, "the first base backup is taken at once")

    # The restore example: a new cluster that recovers from this one's
    # archive, with the same image, store and credentials.
    rpath = os.path.join(root, "k8s/dependencies/postgres-restore.example.yaml")
    restore = load_yaml_documents(rpath) if os.path.isfile(rpath) else []
    c.check(len(restore) == 1 and restore[0].get("kind") == "Cluster",
            "postgres-restore.example.yaml holds one Cluster")
    if restore:
        r = restore[0]
        rspec = r.get("spec", {})
        c.check(r["metadata"]["name"] != name, "the restored cluster has a name of its own")
        c.check(rspec.get("imageName") == image, "the restored cluster runs the same image (same major)")
        rec = rspec.get("bootstrap", {}).get("recovery", {})
        ext = {e.get("name"): e for e in rspec.get("externalClusters", [])}
        c.check(rec.get("source") == name and name in ext,
                f"the restore bootstraps by recovery from externalClusters entry {name!r}")
        estore = ext.get(name, {}).get("barmanObjectStore", {})
        for k in ("destinationPath", "endpointURL", "s3Credentials"):
            c.check(estore.get(k) == store.get(k), f"the restore reads the object store's {k} the backups write")
        c.check(estore.get("serverName", name) == store.get("serverName", name),
                "the restore reads the serverName the backups are written under")
        c.check(rec.get("database") == "attend" and rec.get("owner") == "attend", "the restore keeps database attend")
        when = str(rec.get("recoveryTarget", {}).get("targetTime", ""))
        c.check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", when) is not None,
                f"the example recovers to a point in time (RFC 3339 targetTime: {when!r})")
        c.check("backup" not in rspec or
                rspec["backup"].get("barmanObjectStore", {}).get("serverName", r["metadata"]["name"]) != name,
                "the restored cluster never archives into the origin's serverName")

    with open(os.path.join(root, "k8s/dependencies/nats-values.yaml"), encoding="utf-8") as f:
        values = yaml.load(f, Loader=StrictLoader)
    cfg = values.get("config", {})
    js = cfg.get("jetstream", {})
    c.check(js.get("enabled") is True, "JetStream enabled")
    c.check(js.get("fileStore", {}).get("enabled") is True and js.get("fileStore", {}).get("pvc", {}).get("enabled") is True,
            "JetStream file storage on a persistent volume")
    c.check(cfg.get("cluster", {}).get("enabled") is True and cfg.get("cluster", {}).get("replicas") == 3,
            "a 3-node NATS cluster")
    c.check(js.get("merge", {}).get("sync_interval") == "always", "JetStream sync_interval: always")
    c.check(values.get("promExporter", {}).get("enabled") is True
            and values.get("promExporter", {}).get("podMonitor", {}).get("enabled") is True,
            "the NATS exporter runs and is scraped (AttendConsumerBacklog reads nats_consumer_num_pending)")
    # The event stream's replicas (applied by the services) fit the cluster.
    base = os.path.join(root, "k8s/base/configmap.yaml")
    cm = load_yaml_documents(base)[0].get("data", {})
    replicas = str(cm.get("ATTEND_BUS_REPLICAS", ""))
    servers = cfg.get("cluster", {}).get("replicas")
    c.check(replicas.isdigit() and int(replicas) == servers,
            f"attend-config ATTEND_BUS_REPLICAS ({replicas!r}) equals the NATS servers ({servers})")
    readme = os.path.join(root, "k8s/dependencies/README.md")
    c.check(os.path.isfile(readme), "k8s/dependencies/README.md exists")
    if os.path.isfile(readme):
        with open(readme, encoding="utf-8") as f:
            text = f.read()
        c.check("nats-values.yaml" in text and "postgres-cluster.yaml" in text, "README uses both files")
        c.check("attend-pg-backup-s3" in text and "ACCESS_KEY_ID" in text and "ACCESS_SECRET_KEY" in text,
                "README creates the backup credentials Secret the cluster reads")
        c.check(f'--from-literal={FLEET_KEY}="$(openssl rand -base64 48)"' in text,
                f"README's attend-secrets command creates {FLEET_KEY}")
        # The role-creation loop creates a role for exactly the services that
        # own a schema (none for the gateway).
        loops = re.findall(r"^for svc in ([^;\n]*); do$", text, re.M)
        c.check(bool(loops), "README has the role-creation loop (for svc in ...; do)")
        want = [s for s in SERVICES if s not in STATELESS]
        for loop in loops:
            got = loop.split()
            c.check(sorted(got) == sorted(want) and len(got) == len(set(got)),
                    f"README's role loop covers exactly {want} (has {got})")
    c.end()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--rendered", action="append", default=[], metavar="LABEL=FILE",
                    help="a rendered kustomization (render_kustomize.py output); LABEL base, dev or monitoring")
    args = ap.parse_args()
    c = Checks()

    def run(fn, *fargs):
        # A file that does not even load fails its group with the reason,
        # not with a traceback that hides the other groups' results.
        try:
            return fn(c, *fargs)
        except Exception as e:  # noqa: BLE001 - reported as a failed check
            c.check(False, f"could not check: {type(e).__name__}: {e}")
            c.end()
            return None

    run(check_syntax, args.root)
    run(check_compose, args.root)
    run(check_dockerfile, args.root)
    run(check_telemetry, args.root)
    run(check_dashboard, args.root)
    keys = run(check_kustomizations, args.root) or set()
    for item in args.rendered:
        label, path = item.split("=", 1)
        if label == "monitoring":
            run(check_monitoring, args.root, path)
        else:
            run(check_kubernetes, args.root, label, path, keys)
    run(check_dependencies, args.root)
    for e in c.errors:
        print(f"FAIL {e}", file=sys.stderr)
    return 1 if c.errors else 0


if __name__ == "__main__":
    sys.exit(main())
