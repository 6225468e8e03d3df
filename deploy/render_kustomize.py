#!/usr/bin/env python3
"""Render a kustomization the way `kustomize build` does, for the few
kustomize features this repository uses, so CI can validate what would be
applied without a kustomize binary.

Supported, and nothing else (anything else is an error, not a silent skip):
  resources   files (multi-document YAML) and directories holding a
              kustomization; no URLs
  namespace   set on every namespaced object
  images      name -> newName / newTag / digest, in containers,
              initContainers and ephemeralContainers anywhere in an object
  replicas    name -> count, on Deployment / StatefulSet / ReplicaSet /
              ReplicationController
  patches     JSON 6902 patches (inline `patch` or `path`) with a `target`
              selecting kind / name / group / version / namespace (name and
              namespace are anchored regular expressions, as in kustomize)

Transformers run in kustomize's order: patches, namespace, replicas, images.

    python3 deploy/render_kustomize.py k8s/overlays/dev > rendered.yaml
    python3 deploy/render_kustomize.py k8s/overlays/dev --compare rendered-by-kustomize.yaml

`--compare FILE` exits non-zero unless FILE (e.g. the output of
`kubectl kustomize DIR`) holds exactly the same objects, field for field;
validate.sh uses it wherever kubectl is installed, to show this renderer
agrees with the real one.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import sys
from typing import Any

import yaml

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SUPPORTED_KEYS = {"apiVersion", "kind", "resources", "namespace", "images", "replicas", "patches"}

# Kinds that are not namespaced (kustomize leaves their namespace alone).
CLUSTER_SCOPED = {
    "APIService", "CertificateSigningRequest", "ClusterIssuer", "ClusterRole",
    "ClusterRoleBinding", "ComponentStatus", "CSIDriver", "CSINode",
    "CustomResourceDefinition", "IngressClass", "MutatingWebhookConfiguration",
    "Namespace", "Node", "PersistentVolume", "PodSecurityPolicy", "PriorityClass",
    "RuntimeClass", "StorageClass", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration",
    "VolumeAttachment",
}
SCALABLE = {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}

# kustomize's default ("legacy") output order.
ORDER_FIRST = [
    "Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition",
    "ServiceAccount", "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding",
    "ClusterRoleBinding", "ConfigMap", "Secret", "Endpoints", "Service",
    "LimitRange", "PriorityClass", "PersistentVolume", "PersistentVolumeClaim",
    "Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget",
]
ORDER_LAST = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]


class RenderError(Exception):
    pass


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys, as kustomize does
    (PyYAML alone keeps the last one silently)."""


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"found duplicate key {key!r}", key_node.start_mark)
        seen[key] = True
    loader.flatten_mapping(node)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml_documents(path: str) -> list:
    with open(path, encoding="utf-8") as f:
        try:
            return [d for d in yaml.load_all(f, Loader=StrictLoader) if d is not None]
        except yaml.YAMLError as e:
            raise RenderError(f"{path}: {e}") from e


def find_kustomization(directory: str) -> str:
    for name in KUSTOMIZATION_FILES:
        p = os.path.join(directory, name)
        if os.path.isfile(p):
            return p
    raise RenderError(f"{directory}: no kustomization file")


# ---------------------------------------------------------------- selection

def group_version(obj: dict) -> tuple[str, str]:
    api = obj.get("apiVersion", "")
    if "/" in api:
        g, v = api.split("/", 1)
        return g, v
    return "", api


def anchored(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value or "") is not None


def matches_target(obj: dict, target: dict) -> bool:
    unsupported = set(target) - {"kind", "name", "group", "version", "namespace"}
    if unsupported:
        raise RenderError(f"patch target fields not supported: {sorted(unsupported)}")
    g, v = group_version(obj)
    meta = obj.get("metadata") or {}
    if "kind" in target and obj.get("kind") != target["kind"]:
        return False
    if "group" in target and g != target["group"]:
        return False
    if "version" in target and v != target["version"]:
        return False
    if "name" in target and not anchored(target["name"], meta.get("name", "")):
        return False
    if "namespace" in target and not anchored(target["namespace"], meta.get("namespace", "")):
        return False
    return True


# ---------------------------------------------------------------- JSON 6902

def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise RenderError(f"JSON pointer must start with '/': {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str], path: str) -> Any:
    cur = doc
    for p in parts:
        if isinstance(cur, dict):
            if p not in cur:
                raise RenderError(f"path {path!r}: no key {p!r}")
            cur = cur[p]
        elif isinstance(cur, list):
            if not p.isdigit() or int(p) >= len(cur):
                raise RenderError(f"path {path!r}: bad index {p!r}")
            cur = cur[int(p)]
        else:
            raise RenderError(f"path {path!r}: cannot descend into a scalar at {p!r}")
    return cur


def _get(doc: Any, path: str) -> Any:
    return _walk(doc, _pointer(path), path)


def _remove(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        raise RenderError("cannot remove the whole document")
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise RenderError(f"remove {path!r}: no such key")
        return parent.pop(last)
    if isinstance(parent, list):
        if not last.isdigit() or int(last) >= len(parent):
            raise RenderError(f"remove {path!r}: bad index")
        return parent.pop(int(last))
    raise RenderError(f"remove {path!r}: parent is a scalar")


def _add(doc: Any, path: str, value: Any, replace: bool) -> None:
    parts = _pointer(path)
    if not parts:
        raise RenderError("cannot replace the whole document")
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise RenderError(f"replace {path!r}: no such key")
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
            return
        if not last.isdigit():
            raise RenderError(f"{path!r}: bad index {last!r}")
        i = int(last)
        if replace:
            if i >= len(parent):
                raise RenderError(f"replace {path!r}: index out of range")
            parent[i] = value
        else:
            if i > len(parent):
                raise RenderError(f"add {path!r}: index out of range")
            parent.insert(i, value)
    else:
        raise RenderError(f"{path!r}: parent is a scalar")


def apply_json6902(obj: dict, ops: list) -> None:
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise RenderError(f"not a JSON 6902 operation: {op!r}")
        kind, path = op["op"], op["path"]
        if kind == "add":
            _add(obj, path, copy.deepcopy(op["value"]), replace=False)
        elif kind == "replace":
            _add(obj, path, copy.deepcopy(op["value"]), replace=True)
        elif kind == "remove":
            _remove(obj, path)
        elif kind == "test":
            if _get(obj, path) != op["value"]:
                raise RenderError(f"test {path!r} failed")
        elif kind in ("move", "copy"):
            value = _get(obj, op["from"])
            if kind == "move":
                _remove(obj, op["from"])
            _add(obj, path, copy.deepcopy(value), replace=False)
        else:
            raise RenderError(f"unknown JSON 6902 op {kind!r}")


# ---------------------------------------------------------------- transformers

def transform_patches(objs: list, patches: list, base_dir: str) -> None:
    for i, entry in enumerate(patches):
        unsupported = set(entry) - {"patch", "path", "target"}
        if unsupported:
            raise RenderError(f"patches[{i}]: fields not supported: {sorted(unsupported)}")
        if ("patch" in entry) == ("path" in entry):
            raise RenderError(f"patches[{i}]: exactly one of `patch` and `path`")
        if "path" in entry:
            with open(os.path.join(base_dir, entry["path"]), encoding="utf-8") as f:
                text = f.read()
        else:
            text = entry["patch"]
        ops = yaml.load(text, Loader=StrictLoader)
        if not isinstance(ops, list):
            raise RenderError(f"patches[{i}]: only JSON 6902 patches (a list of operations) "
                              "are supported, not strategic merge patches")
        target = entry.get("target")
        if not target:
            raise RenderError(f"patches[{i}]: a JSON 6902 patch needs a target")
        hits = [o for o in objs if matches_target(o, target)]
        if not hits:
            raise RenderError(f"patches[{i}]: target {target} matches nothing")
        for o in hits:
            try:
                apply_json6902(o, ops)
            except RenderError as e:
                raise RenderError(f"patches[{i}] on {describe(o)}: {e}") from e


def transform_namespace(objs: list, namespace: str) -> None:
    for o in objs:
        if o.get("kind") in CLUSTER_SCOPED:
            continue
        o.setdefault("metadata", {})["namespace"] = namespace
        # kustomize also rewrites the namespace of ServiceAccount subjects in
        # RoleBindings; this repository has none, so refuse rather than guess.
        if o.get("kind") in ("RoleBinding", "ClusterRoleBinding"):
            raise RenderError(f"{describe(o)}: RoleBinding subjects are not supported")


def transform_replicas(objs: list, replicas: list) -> None:
    for entry in replicas:
        if set(entry) - {"name", "count"} or "name" not in entry or "count" not in entry:
            raise RenderError(f"replicas entry must be {{name, count}}: {entry!r}")
        hits = [o for o in objs
                if o.get("kind") in SCALABLE and (o.get("metadata") or {}).get("name") == entry["name"]]
        if not hits:
            raise RenderError(f"replicas: nothing scalable named {entry['name']!r}")
        for o in hits:
            o.setdefault("spec", {})["replicas"] = int(entry["count"])


def split_image(image: str) -> tuple[str, str]:
    """'reg:5000/app:1.2' -> ('reg:5000/app', ':1.2'); 'app@sha256:..' -> ('app', '@sha256:..')."""
    if "@" in image:
        name, digest = image.split("@", 1)
        return name, "@" + digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon:]
    return image, ""


def transform_images(objs: list, images: list) -> None:
    for entry in images:
        unsupported = set(entry) - {"name", "newName", "newTag", "digest"}
        if unsupported or "name" not in entry:
            raise RenderError(f"images entry not supported: {entry!r}")

    def fix(container: dict) -> None:
        image = container.get("image")
        if not isinstance(image, str):
            return
        name, ref = split_image(image)
        for entry in images:
            if name != entry["name"]:
                continue
            new_name = entry.get("newName", name)
            if "digest" in entry:
                ref = "@" + entry["digest"]
            elif "newTag" in entry:
                ref = ":" + str(entry["newTag"])
            container["image"] = new_name + ref
            return

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("containers", "initContainers", "ephemeralContainers") and isinstance(v, list):
                    for c in v:
                        if isinstance(c, dict):
                            fix(c)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for o in objs:
        walk(o)


# ---------------------------------------------------------------- build

def describe(o: dict) -> str:
    meta = o.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{o.get('kind')}/{meta.get('name')}" + (f" (namespace {ns})" if ns else "")


def object_key(o: dict) -> tuple:
    meta = o.get("metadata") or {}
    return (o.get("apiVersion"), o.get("kind"), meta.get("namespace") or "", meta.get("name"))


def build(directory: str, _stack: tuple = ()) -> list:
    directory = os.path.abspath(directory)
    if directory in _stack:
        raise RenderError(f"kustomization cycle through {directory}")
    kpath = find_kustomization(directory)
    docs = load_yaml_documents(kpath)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise RenderError(f"{kpath}: expected one mapping")
    k = docs[0]
    unsupported = set(k) - SUPPORTED_KEYS
    if unsupported:
        raise RenderError(f"{kpath}: kustomize fields not supported by this renderer: "
                          f"{sorted(unsupported)} (extend deploy/render_kustomize.py or drop them)")
    if k.get("kind", "Kustomization") != "Kustomization":
        raise RenderError(f"{kpath}: kind must be Kustomization")

    objs: list = []
    for res in k.get("resources") or []:
        if "://" in res or res.startswith("github.com/"):
            raise RenderError(f"{kpath}: remote resources are not supported: {res}")
        p = os.path.join(directory, res)
        if os.path.isdir(p):
            objs.extend(build(p, _stack + (directory,)))
        elif os.path.isfile(p):
            for d in load_yaml_documents(p):
                if not isinstance(d, dict) or "kind" not in d or "apiVersion" not in d:
                    raise RenderError(f"{p}: every document must be an object with apiVersion and kind")
                objs.append(d)
        else:
            raise RenderError(f"{kpath}: resource not found: {res}")

    seen = {}
    for o in objs:
        key = object_key(o)
        if key in seen:
            raise RenderError(f"{kpath}: {describe(o)} is defined twice")
        seen[key] = True

    transform_patches(objs, k.get("patches") or [], directory)
    if k.get("namespace"):
        transform_namespace(objs, k["namespace"])
    transform_replicas(objs, k.get("replicas") or [])
    transform_images(objs, k.get("images") or [])
    return objs


def sort_like_kustomize(objs: list) -> list:
    def rank(o: dict) -> tuple:
        kind = o.get("kind", "")
        if kind in ORDER_FIRST:
            r = ORDER_FIRST.index(kind)
        elif kind in ORDER_LAST:
            r = len(ORDER_FIRST) + 1 + ORDER_LAST.index(kind)
        else:
            r = len(ORDER_FIRST)
        meta = o.get("metadata") or {}
        return (r, kind, meta.get("namespace") or "", meta.get("name") or "")
    return sorted(objs, key=rank)


def first_difference(a: Any, b: Any, path: str = "") -> str:
    """The first JSON-pointer-like path where a and b differ, with both values."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                return f"{path}/{k}: {a.get(k)!r} != {b.get(k)!r}"
            if a[k] != b[k]:
                return first_difference(a[k], b[k], f"{path}/{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, f"{path}/{i}")
    return f"{path or '/'}: {a!r} != {b!r}"


def compare(ours: list, theirs: list) -> list[str]:
    a = {object_key(o): o for o in ours}
    b = {object_key(o): o for o in theirs}
    problems = []
    for key in sorted(set(a) | set(b), key=str):
        if key not in b:
            problems.append(f"only in this renderer: {key}")
        elif key not in a:
            problems.append(f"only in the other rendering: {key}")
        elif a[key] != b[key]:
            problems.append(f"differs: {key} at {first_difference(a[key], b[key])}")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("directory")
    ap.add_argument("--compare", metavar="FILE",
                    help="compare with another rendering (e.g. `kubectl kustomize DIR`) instead of printing")
    args = ap.parse_args()
    try:
        objs = sort_like_kustomize(build(args.directory))
        if args.compare:
            theirs = load_yaml_documents(args.compare)
            problems = compare(objs, theirs)
            for p in problems:
                print(f"render_kustomize: {args.directory}: {p}", file=sys.stderr)
            if problems:
                return 1
            print(f"render_kustomize: {args.directory}: {len(objs)} objects, identical to {args.compare}")
            return 0
        yaml.safe_dump_all(objs, sys.stdout, sort_keys=True, default_flow_style=False)
    except (RenderError, OSError) as e:
        print(f"render_kustomize: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
