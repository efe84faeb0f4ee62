"""Patches that turn an object as read into the object gloo-harden wrote, nothing else.

Two kinds, as kustomize and Flux take them (``../shared/notes/reach.md`` §d):

- **strategic merge** for the built-in kinds gloo-harden patches (workloads, ServiceAccounts,
  Services …: ``patching.schema.KIND_TYPES`` in the built-in API groups): lists with a merge
  key are merged element by element (``containers`` by ``name``), so the patch names only the
  elements and fields that change; a removed field is ``null``; a primitive list without
  ``patchStrategy: merge`` (``capabilities.add``) is replaced, as apimachinery and kyaml do.
- **JSON 6902** for everything else (custom resources: Settings, GatewayParameters …):
  strategic merge without a schema replaces whole lists, so each change is an operation on
  its path. A value that was there is pinned by a ``test`` operation before it is replaced or
  removed: when the render changes under the patch, the build fails instead of writing over a
  value nobody decided on.

``strategic(before, after)`` / ``json6902(before, after)`` are pure and exact: applying the
result to ``before`` gives ``after`` as data (the suite proves it with kustomize itself on
every corpus render). One freedom of strategic merge is left to the client: an element new
to a merge list goes first with apimachinery and last with kustomize (kyaml); the built-in
hardenings add none.
"""

from __future__ import annotations

import re
from typing import Any

from gloo_harden.patching.schema import KIND_TYPES, field_info

#: API groups whose kinds kustomize knows the schema of (built-in Kubernetes kinds)
BUILTIN_GROUPS = frozenset({"", "apps", "batch", "policy", "extensions"})


def is_strategic(api_version: str, kind: str) -> bool:
    """Whether an object of this kind is patched by strategic merge (else JSON 6902)."""
    group = api_version.rpartition("/")[0]
    return kind in KIND_TYPES and group in BUILTIN_GROUPS


def strategic(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """A strategic-merge patch from ``before`` to ``after``: apiVersion, kind, the name and
    namespace that identify the object, then only what differs."""
    meta = after.get("metadata") or {}
    head: dict[str, Any] = {"apiVersion": after["apiVersion"], "kind": after["kind"],
                            "metadata": {k: meta[k] for k in ("name", "namespace") if k in meta}}
    body = _map_patch(before, after, KIND_TYPES.get(str(after.get("kind"))))
    for key in ("apiVersion", "kind"):
        body.pop(key, None)
    if isinstance(body.get("metadata"), dict):
        head["metadata"].update({k: v for k, v in body.pop("metadata").items()})
    return {**head, **body}


def _map_patch(before: dict[str, Any], after: dict[str, Any],
               type_name: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, new in after.items():
        if key not in before:
            out[key] = new
        elif before[key] != new or type(before[key]) is not type(new):
            out[key] = _value_patch(before[key], new, type_name, key)
    for key in before:
        if key not in after:
            out[key] = None
    return out


def _value_patch(old: Any, new: Any, type_name: str | None, key: str) -> Any:
    info = field_info(type_name, key)
    if isinstance(old, dict) and isinstance(new, dict):
        return _map_patch(old, new, info.type)
    if isinstance(old, list) and isinstance(new, list) and info.merge_key \
            and info.strategy == "merge" and _keyed(old + new, info.merge_key):
        return _list_patch(old, new, info.merge_key, info.type)
    return new  # a scalar, or a list replaced whole


def _keyed(items: list[Any], key: str) -> bool:
    return all(isinstance(i, dict) and key in i for i in items)


def _list_patch(old: list[Any], new: list[Any], key: str,
                type_name: str | None) -> list[Any]:
    """Elements of a merge list that change, are added (whole) or go (``$patch: delete``)."""
    by_key = {item[key]: item for item in old}
    out: list[Any] = []
    for item in new:
        was = by_key.get(item[key])
        if was is None:
            out.append(item)
        elif was != item:
            out.append({key: item[key], **_map_patch(was, item, type_name)})
    kept = {item[key] for item in new}
    out += [{key: item[key], "$patch": "delete"} for item in old if item[key] not in kept]
    return out


def json6902(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """JSON 6902 operations from ``before`` to ``after`` (RFC 6902, paths RFC 6901)."""
    ops: list[dict[str, Any]] = []
    _ops(before, after, "", ops)
    return ops


def _ops(old: Any, new: Any, path: str, ops: list[dict[str, Any]]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key, value in new.items():
            where = f"{path}/{pointer(str(key))}"
            if key not in old:
                ops.append({"op": "add", "path": where, "value": value})
            elif old[key] != value or type(old[key]) is not type(value):
                _ops(old[key], value, where, ops)
        for key, value in old.items():
            if key not in new:
                where = f"{path}/{pointer(str(key))}"
                ops += [{"op": "test", "path": where, "value": value},
                        {"op": "remove", "path": where}]
        return
    ops += [{"op": "test", "path": path, "value": old},
            {"op": "replace", "path": path, "value": new}]


def pointer(key: str) -> str:
    """One reference token of a JSON pointer (RFC 6901: ``~`` → ``~0``, ``/`` → ``~1``)."""
    return key.replace("~", "~0").replace("/", "~1")


def target(obj: dict[str, Any]) -> dict[str, str]:
    """The kustomize/Flux patch target that selects exactly ``obj``: group, version, kind,
    name, and namespace when it has one. kustomize matches name and namespace as anchored
    regular expressions (``types.Selector``), so their metacharacters are escaped:
    ``${NAMESPACE}`` (a glooctl dry run) is ``\\$\\{NAMESPACE\\}``."""
    group, _, version = str(obj["apiVersion"]).rpartition("/")
    meta = obj.get("metadata") or {}
    out = {"group": group} if group else {}  # the core group: no group selects it
    out.update({"version": version, "kind": str(obj["kind"]),
                "name": literal(str(meta.get("name", "")))})
    if meta.get("namespace") is not None:
        out["namespace"] = literal(str(meta["namespace"]))
    return out


def literal(text: str) -> str:
    """``text`` as a regular expression (RE2) that matches only itself."""
    return re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", text)
