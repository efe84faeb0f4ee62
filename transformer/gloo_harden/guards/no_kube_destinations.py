"""``no-kube-destinations``: keep Kubernetes destinations while something routes to them.

With ``disableKubernetesDestinations`` Gloo stops creating the in-memory ``kube-svc:`` upstreams,
so these stop resolving: a ``kube`` destination in VirtualService and RouteTable routes (``single``
and ``multi``), UpstreamGroups, and TCP gateways (also matchable and hybrid ones, and Gateways
embedded in the chart's ConfigMap or Job), and any ``upstream`` reference named ``kube-svc:…``.
An ``Upstream`` with ``spec.kube`` is a real upstream and no conflict. Every location is listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gloo_harden import embedded
from gloo_harden.index import StreamIndex
from gloo_harden.model import Resource, child_path
from gloo_harden.scopes import Target
from gloo_harden.yamlio import to_plain

ID = "no-kube-destinations"
EVIDENCE = (
    "a kube destination in VirtualService or RouteTable routes (routeAction single or multi)",
    "a kube destination in an UpstreamGroup",
    "a kube destination in a TCP Gateway, MatchableTcpGateway or hybrid Gateway, also those "
    "embedded in the chart's gloo-custom-resource-config ConfigMap or rollout Job",
    "an upstream reference named kube-svc:… (Gloo's in-memory Kubernetes upstreams)",
)
ROUTING_KINDS = ("VirtualService", "RouteTable", "UpstreamGroup", "Gateway",
                 "MatchableHttpGateway", "MatchableTcpGateway")
_DESTINATION_PARENTS = ("single", "destination")


def check(target: Target, index: StreamIndex) -> list[str]:
    if target.scope != "gloo-settings":
        return []
    found = [path for r in index.of_kind(*ROUTING_KINDS)
             if r.group in ("gateway.solo.io", "gloo.solo.io")
             for path in index.derived(r, ID, _destinations)]  # once per resource, not target
    hidden, _ = embedded.find(index.of_kind("ConfigMap", "Job"))
    for e in hidden:
        if e.data.get("kind") in ROUTING_KINDS:
            found += [f"{e.origin} {path}"
                      for path in _kube_destinations(e.data.get("spec"), "spec", "")]
    return found


def _destinations(r: Resource) -> list[str]:
    origin = f"{r.kind} {r.namespace or '-'}/{r.name}"
    spec = to_plain(r.tree).get("spec")
    return [f"{origin} {path}" for path in _kube_destinations(spec, "spec", "")]


def _kube_destinations(node: Any, path: str, parent: str) -> Iterator[str]:
    if isinstance(node, dict):
        if parent in _DESTINATION_PARENTS and isinstance(node.get("kube"), dict):
            yield child_path(path, "kube")
        upstream = node.get("upstream")
        if isinstance(upstream, dict) and str(upstream.get("name", "")).startswith("kube-svc:"):
            yield f"{child_path(path, 'upstream')} ({upstream.get('name')})"
        for key, value in node.items():
            yield from _kube_destinations(value, child_path(path, str(key)), str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _kube_destinations(value, child_path(path, i), parent)
