"""``gateway-parameters-envoy``: the ``spec.kube.envoyContainer`` of every ``GatewayParameters``.

Gloo 1.17+ and kgateway create Gateway-API proxies at runtime from these resources, so their
pods never appear in a render; the Envoy container template is the one place to harden them.
A patch body written for a container (``securityContext…``) applies to it as is.
"""

from __future__ import annotations

from collections.abc import Iterator

from gloo_harden.gloo.index import StreamIndex
from gloo_harden.resources.model import Resource
from gloo_harden.resources.results import Severity
from gloo_harden.scopes.target import Reads, ScopeOptions, Target

ID = "gateway-parameters-envoy"
READS = Reads(frozenset({"GatewayParameters"}))


def empty(index: StreamIndex) -> tuple[Severity, str]:
    """What a run says when the stream holds nothing in this scope."""
    return (Severity.INFO, "no GatewayParameters in the stream")


GROUPS = ("gateway.gloo.solo.io", "gateway.kgateway.dev")


def targets(index: StreamIndex, options: ScopeOptions) -> Iterator[Target]:
    for group in GROUPS:
        for resource in index.of_kind("GatewayParameters", group=group):
            yield from template(resource)


def template(resource: Resource) -> Iterator[Target]:
    """The Envoy container template of ``resource``, when it writes one (a mapping)."""
    spec = resource.tree.get("spec")
    kube = spec.get("kube") if isinstance(spec, dict) else None
    envoy = kube.get("envoyContainer") if isinstance(kube, dict) else None
    if isinstance(envoy, dict):
        yield Target(ID, resource, envoy, resource.field("spec.kube.envoyContainer"),
                     "Container", "envoyContainer")
