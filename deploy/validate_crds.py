#!/usr/bin/env python3
"""Validate custom resources (kinds kubernetes-validate has no schema for)
against the closed subset schemas in deploy/schemas/, object by object.

    validate_crds.py FILE [FILE...]

Each FILE may hold several YAML documents (duplicate keys rejected, as
everywhere here). Every object must be of a kind listed in SCHEMAS: an
unknown kind is an error, not a skip, so a new custom resource cannot slip
past CI without a schema. Prints one line per object; exits 1 if any object
is invalid or unknown.
"""

from __future__ import annotations

import json
import os
import sys

from jsonschema import Draft7Validator

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from render_kustomize import RenderError, load_yaml_documents  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# (apiVersion, kind) -> schema file in deploy/schemas/.
SCHEMAS = {
    ("postgresql.cnpg.io/v1", "Cluster"): "cnpg-cluster-subset.schema.json",
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): "cnpg-scheduledbackup-subset.schema.json",
    ("monitoring.coreos.com/v1", "PodMonitor"): "podmonitor-subset.schema.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule-subset.schema.json",
}


def validator(name: str) -> Draft7Validator:
    with open(os.path.join(HERE, "schemas", name), encoding="utf-8") as f:
        schema = json.load(f)
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    validators: dict = {}
    failed = 0
    for path in paths:
        try:
            docs = load_yaml_documents(path)
        except (RenderError, OSError) as e:
            print(f"{path}: cannot load: {e}")
            failed += 1
            continue
        if not docs:
            print(f"{path}: no objects")
            failed += 1
        for doc in docs:
            key = (doc.get("apiVersion"), doc.get("kind")) if isinstance(doc, dict) else (None, None)
            name = (doc.get("metadata") or {}).get("name") if isinstance(doc, dict) else None
            where = f"{path}: {key[1]}/{name}"
            if key not in SCHEMAS:
                print(f"{where}: no schema for {key[0]} {key[1]} (add one to deploy/schemas/ and SCHEMAS)")
                failed += 1
                continue
            v = validators.setdefault(key, validator(SCHEMAS[key]))
            errors = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
            if errors:
                failed += 1
                for e in errors:
                    at = "/".join(str(p) for p in e.absolute_path) or "(root)"
                    print(f"{where}: {at}: {e.message}")
            else:
                print(f"{where}: valid against deploy/schemas/{SCHEMAS[key]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
