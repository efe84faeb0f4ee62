"""Helpers of the emit proofs: run ``gloo-harden emit``, build with the real kustomize, and
compare object streams as data (kustomize rewrites layout, quoting and key order)."""

from __future__ import annotations

import copy
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from conftest import run_tool
from gloo_harden.resources.podspec import pod_spec


def objects(text: str) -> list[Any]:
    """Every object of a stream as data; a ``kind: List`` as its items (kustomize flattens
    them)."""
    out: list[Any] = []
    for doc in yaml.safe_load_all(text):
        if not isinstance(doc, dict):
            continue
        if doc.get("kind") == "List" and isinstance(doc.get("items"), list):
            out += [item for item in doc["items"] if isinstance(item, dict)]
        else:
            out.append(doc)
    return out


def _number(value: Any) -> Any:
    """A value as the API server reads it: ``1.048576e+08`` and ``104857600`` are one number
    (kustomize writes Helm's floats as integers), and a key with a null value is no key
    (kustomize drops ``annotations:`` left empty by a template)."""
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_number(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: API groups of built-in kinds: their list fields are ``omitempty`` in the Go types
BUILTIN_GROUPS = ("", "apps", "batch", "policy")


def _stored(value: Any) -> Any:
    """A built-in object as the API server stores it: an empty list is no list (every list
    field of the core and apps types is ``omitempty``, e.g. ``Capabilities.Add``). Not for
    custom resources, where ``add: []`` replaces a controller's default."""
    if isinstance(value, dict):
        return {k: _stored(v) for k, v in value.items() if v != []}
    if isinstance(value, list):
        return [_stored(v) for v in value]
    return value


#: keys a container inherits from its pod's ``securityContext`` (Kubernetes
#: ``PodSecurityContext``): "if set in both SecurityContext and PodSecurityContext, the value
#: specified in SecurityContext takes precedence", so a container's value equal to its pod's
#: has no effect of its own
POD_LEVEL = ("runAsNonRoot", "runAsUser", "runAsGroup", "seccompProfile", "seLinuxOptions",
             "windowsOptions", "appArmorProfile")


def _effective(obj: Any) -> Any:
    """A workload with each container's security-context keys that repeat its pod's removed
    (an empty context then removed too): the same pods, as the kubelet runs them."""
    if not isinstance(obj, dict):
        return obj
    if pod_spec(obj, str(obj.get("kind", ""))) is None:
        return obj
    obj = copy.deepcopy(obj)
    spec, _ = pod_spec(obj, str(obj["kind"])) or ({}, "")
    pod = spec.get("securityContext") if isinstance(spec.get("securityContext"), dict) else {}
    for field in ("initContainers", "containers"):
        for container in spec.get(field) or []:
            context = container.get("securityContext") if isinstance(container, dict) else None
            if not isinstance(context, dict):
                continue
            for key in POD_LEVEL:
                if key in context and key in pod and context[key] == pod[key]:
                    del context[key]
            if not context:
                del container["securityContext"]
    return obj


def same_objects(a: str, b: str, as_stored: bool = False,
                 effective: bool = False) -> tuple[list[Any], list[Any]]:
    """Objects only in ``a`` and only in ``b`` (order does not count; kustomize sorts);
    ``as_stored``: built-in objects compared as the API server stores them (``_stored``);
    ``effective``: workloads compared as the kubelet runs them (``_effective``)."""
    def key(obj: Any) -> str:
        group = str(obj.get("apiVersion", "")).rpartition("/")[0]
        if as_stored and group in BUILTIN_GROUPS:
            obj = _stored(obj)
        if effective and group in BUILTIN_GROUPS:
            obj = _effective(obj)
        return yaml.safe_dump(_number(obj), sort_keys=True)

    left, right = Counter(map(key, objects(a))), Counter(map(key, objects(b)))
    return ([yaml.safe_load(k) for k in (left - right).elements()],
            [yaml.safe_load(k) for k in (right - left).elements()])


def hardened(render: Path, *options: str) -> str:
    """What ``gloo-harden`` writes for ``render``."""
    done = run_tool(str(render), *options)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def kustomize_build(kustomize: str, folder: Path) -> str:
    done = subprocess.run([kustomize, "build", str(folder)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout
