"""Hypothesis strategies: Gloo-like manifest streams, and mutations of the real corpus.

The generated streams cover what the scopes and guards look at (proxy workloads of every role,
their ports, capabilities, sidecars, ServiceAccounts, Services, Settings, Gateways also
embedded in the chart's ConfigMap, VirtualServices with kube destinations, skip annotations)
written in the ways Helm and people write YAML (compact or wide sequences, flow mappings,
JSON, comments, glued ``---``, CRLF, a BOM).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from gloo_harden.yamltext import stream, yamlio

ROLES = ("gateway-proxy", "ingress-proxy", "knative-external-proxy", "clusteringress-proxy")
PORTS = (80, 443, 1023, 1024, 8080, 8443)
NAMES = ("gateway-proxy", "public-gw", "ingress-proxy", "gloo")
HARDENING_IDS = ("drop-net-bind-service", "disable-sa-token-automount",
                 "read-only-root-filesystem", "disable-kubernetes-destinations")


def _maybe(value: Any) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(None), st.just(value))


@st.composite
def security_context(draw: st.DrawFn) -> dict[str, Any] | None:
    if draw(st.booleans()):
        return None
    context: dict[str, Any] = {}
    add = draw(st.lists(st.sampled_from(["NET_BIND_SERVICE", "NET_ADMIN"]), unique=True))
    drop = draw(st.sampled_from([None, ["ALL"], []]))
    if add or drop is not None:
        context["capabilities"] = {k: v for k, v in (("add", add), ("drop", drop)) if v is not None}
    read_only = draw(st.sampled_from([None, True, False, "true"]))
    if read_only is not None:
        context["readOnlyRootFilesystem"] = read_only
    return context


@st.composite
def proxy(draw: st.DrawFn, name: str) -> dict[str, Any]:
    role = draw(st.sampled_from(ROLES))
    container: dict[str, Any] = {"name": draw(st.sampled_from([name, role, "envoy"])),
                                 "image": "quay.io/solo-io/gloo-envoy-wrapper:1.22.1"}
    ports = draw(st.lists(st.sampled_from(PORTS), max_size=2, unique=True))
    if ports:
        container["ports"] = [{"containerPort": p, "name": f"p{p}"} for p in ports]
    context = draw(security_context())
    if context is not None:
        container["securityContext"] = context
    containers = [container]
    for sidecar in draw(st.lists(st.sampled_from(["sds", "istio-proxy"]), unique=True)):
        containers.append({"name": sidecar, "image": f"example/{sidecar}:1"})
    spec: dict[str, Any] = {"serviceAccountName": name, "containers": containers}
    automount = draw(st.sampled_from([None, True, False]))
    if automount is not None:
        spec["automountServiceAccountToken"] = automount
    if draw(st.booleans()):
        spec["volumes"] = [{"name": draw(st.sampled_from(["istio-token", "envoy-config"])),
                            "emptyDir": {}}]
    metadata: dict[str, Any] = {"name": name, "namespace": "gloo-system",
                                "labels": {"gloo": role, "gateway-proxy-id": name}}
    skip = draw(st.lists(st.sampled_from(HARDENING_IDS), max_size=2, unique=True))
    if skip:
        metadata["annotations"] = {"gloo-harden.dev/skip": ",".join(f"{s}=fuzz" for s in skip)}
    template = {"metadata": {"labels": {"gloo": role, "gateway-proxy-id": name}}, "spec": spec}
    kind = draw(st.sampled_from(["Deployment", "DaemonSet"]))
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": metadata,
            "spec": {"template": template}}


@st.composite
def companions(draw: st.DrawFn, name: str) -> list[dict[str, Any]]:
    """Objects the guards read: the proxy's ServiceAccount, Service, Gateways, routes."""
    out: list[dict[str, Any]] = []
    meta = {"name": name, "namespace": "gloo-system"}
    if draw(st.booleans()):
        account: dict[str, Any] = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}
        if draw(st.booleans()):
            account["automountServiceAccountToken"] = draw(st.booleans())
        out.append(account)
    if draw(st.booleans()):
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": meta,
                    "spec": {"selector": {"gateway-proxy-id": name},
                             "ports": [{"port": 80, "targetPort": draw(st.sampled_from(PORTS))}]}})
    gateway = {"apiVersion": "gateway.solo.io/v1", "kind": "Gateway",
               "metadata": {"name": f"{name}-gw", "namespace": "gloo-system"},
               "spec": {"bindPort": draw(st.sampled_from(PORTS)), "proxyNames": [name]}}
    where = draw(st.sampled_from(["none", "document", "configmap"]))
    if where == "document":
        out.append(gateway)
    elif where == "configmap":
        out.append({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "gloo-custom-resource-config", "namespace": "gloo-system"},
                    "data": {"custom-resources": yamlio.dump(gateway)}})
    if draw(st.booleans()):
        destination = draw(st.sampled_from([{"kube": {"ref": {"name": "svc"}, "port": 80}},
                                            {"upstream": {"name": "up"}}]))
        out.append({"apiVersion": "gateway.solo.io/v1", "kind": "VirtualService",
                    "metadata": {"name": "vs", "namespace": "gloo-system"},
                    "spec": {"virtualHost": {"routes": [
                        {"routeAction": {"single": destination}}]}}})
    return out


@st.composite
def settings(draw: st.DrawFn) -> list[dict[str, Any]]:
    if not draw(st.booleans()):
        return []
    gloo = draw(st.sampled_from([{}, {"disableKubernetesDestinations": False},
                                 {"disableKubernetesDestinations": True},
                                 {"xdsBindAddr": "0.0.0.0:9977"}]))
    spec: dict[str, Any] = {"gloo": gloo}
    if draw(st.booleans()):
        spec["istioOptions"] = {"enableIntegration": draw(st.booleans())}
    return [{"apiVersion": "gloo.solo.io/v1", "kind": "Settings",
             "metadata": {"name": "default", "namespace": "gloo-system"}, "spec": spec}]


PASSENGERS = [
    {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
     "metadata": {"name": "gateways.gateway.solo.io"}, "spec": {"group": "gateway.solo.io"}},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
     "metadata": {"name": "gloo-role"}, "rules": [{"apiGroups": [""], "verbs": ["*"]}]},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "envoy-config"},
     "data": {"on": "on", "mode": "0755", "size": "1.048576e+08"}},
]


def render(obj: dict[str, Any], style: str) -> str:
    """One object as text, in one of the styles real streams use."""
    if style == "json":
        return json.dumps(obj) + "\n"
    if style == "json-pretty":
        return json.dumps(obj, indent=2) + "\n"
    return yamlio.dump(obj, wide_sequences=(style == "wide"))


WRONG_SHAPES: list[Any] = [None, "", "NET_BIND_SERVICE", 80, True, [], {}, [None], [[1]],
                           {"a": None}]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    children = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else []
    for key, child in children:
        found += _paths(child, prefix + (key,))
    return found


@st.composite
def misshaped(draw: st.DrawFn, obj: dict[str, Any]) -> dict[str, Any]:
    """The object with one value (keeping apiVersion/kind) swapped for a wrong type."""
    obj = json.loads(json.dumps(obj))
    paths = [p for p in _paths(obj) if p[0] not in ("apiVersion", "kind")]
    path = draw(st.sampled_from(paths))
    parent = obj
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = draw(st.sampled_from(WRONG_SHAPES))
    return obj


@st.composite
def gloo_stream(draw: st.DrawFn) -> bytes:
    objects: list[dict[str, Any]] = []
    for name in draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True)):
        objects.append(draw(proxy(name)))
        objects += draw(companions(name))
    objects += draw(settings())
    objects += draw(st.lists(st.sampled_from(PASSENGERS), max_size=2))
    if draw(st.integers(0, 3)) == 0:  # hand-edited or templated wrongly: a value of the wrong type
        at = draw(st.integers(0, len(objects) - 1))
        objects[at] = draw(misshaped(objects[at]))
    objects = draw(st.permutations(objects))
    parts = []
    for obj in objects:
        text = render(obj, draw(st.sampled_from(["compact", "compact", "wide", "json",
                                                 "json-pretty"])))
        comment = draw(st.sampled_from(["", "# Source: gloo/templates/x.yaml\n", "\n"]))
        separator = draw(st.sampled_from(["---\n", "---\n", "--- # doc\n", "---"]))
        if separator == "---" and not text.startswith("apiVersion"):
            separator = "---\n"  # glued only where Helm glues: ``---apiVersion:``
        parts.append(separator + (comment if separator.endswith("\n") else "") + text)
    text = "".join(parts) + draw(st.sampled_from(["", "---\n", "# trailing comment\n"]))
    if draw(st.integers(0, 9)) == 0:
        text = text.replace("\n", "\r\n")
    data = text.encode()
    return b"\xef\xbb\xbf" + data if draw(st.integers(0, 9)) == 0 else data


# --- mutations of the real corpus ---------------------------------------------------------

TOKENS = ["[", "]", "{", "}", "&a ", "*a", "\t", '"', "'", "|", ">-", "- ", ": ", "---", "#",
          "!!python/object/apply:os.system ", "<<: *a", "\x00", "\ufeff", "é", "80",
          "- NET_BIND_SERVICE",
          "readOnlyRootFilesystem: false", "kind: List", "apiVersion: v1", "~", "? ", "!!binary "]


def corpus_windows(corpus: list[Path], size: int = 6) -> list[str]:
    """Runs of consecutive documents from the corpus (small, so one example runs fast)."""
    windows = []
    for path in corpus:
        documents = stream.split(stream.decode(path.read_bytes(), path.name), path.name)
        for start in range(0, len(documents), size):
            chunk = documents[start:start + size]
            windows.append("".join(d.separator + d.text for d in chunk))
    return windows


@st.composite
def mutated(draw: st.DrawFn, windows: list[str]) -> bytes:
    lines = draw(st.sampled_from(windows)).splitlines(keepends=True) or [""]
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["insert", "delete", "duplicate", "indent", "dedent",
                                       "swap", "truncate"]))
        line = lines[at]
        if action == "insert":
            column = draw(st.integers(0, len(line)))
            lines[at] = line[:column] + draw(st.sampled_from(TOKENS)) + line[column:]
        elif action == "delete" and len(lines) > 1:
            del lines[at]
        elif action == "duplicate":
            lines.insert(at, line)
        elif action == "indent":
            lines[at] = " " * draw(st.integers(1, 3)) + line
        elif action == "dedent":
            lines[at] = line[min(len(line) - len(line.lstrip(" ")), draw(st.integers(1, 3))):]
        elif action == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif action == "truncate":
            lines[at] = line[:draw(st.integers(0, len(line)))]
            del lines[at + 1:]
    return "".join(lines).encode("utf-8", "surrogatepass")
