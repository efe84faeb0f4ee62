"""``gateway-parameters-capabilities``: the ``spec.kube`` of every GatewayParameters whose Envoy
container does not write ``securityContext.capabilities.add``.

The controllers merge a GatewayParameters over their defaults list by list: an absent (nil)
``add`` keeps the default's, a present one, even empty, replaces it when the default is the
base (``DeepMergeSlices``, ``merge.go@v2.1.0:75``, Gloo ``@v1.19.0:38``). kgateway 2.0 and 2.1
default to ``add: [NET_BIND_SERVICE]``, so only an explicit list clears it. Covers
``gateway.gloo.solo.io`` and ``gateway.kgateway.dev``; a ``selfManaged`` GatewayParameters
(the deployer renders nothing) is left alone.
"""

from __future__ import annotations

from collections.abc import Iterator

from gloo_harden.gloo.index import StreamIndex
from gloo_harden.resources.podspec import mapping
from gloo_harden.resources.results import Severity
from gloo_harden.scopes.target import Reads, ScopeOptions, Target

ID = "gateway-parameters-capabilities"
#: the kgateway controller (a ``KGW_`` env) too: from 2.2 its env names the class-level parameters
#: the guard ``no-class-level-capabilities`` reads
READS = Reads(frozenset({"GatewayParameters"}), markers=("KGW_",))


def empty(index: StreamIndex) -> tuple[Severity, str] | None:
    """Said only where the Gateway API generation is in the stream."""
    if not index.generation.gateway_api:
        return None
    return Severity.INFO, "no GatewayParameters without an explicit capabilities.add"


GROUPS = ("gateway.gloo.solo.io", "gateway.kgateway.dev")


def targets(index: StreamIndex, options: ScopeOptions) -> Iterator[Target]:
    for group in GROUPS:
        for resource in index.of_kind("GatewayParameters", group=group):
            spec = mapping(resource.tree.get("spec"))
            kube = spec.get("kube")
            if not isinstance(kube, dict) or spec.get("selfManaged") is not None:
                continue
            envoy = kube.get("envoyContainer")
            context = mapping(envoy).get("securityContext") if envoy is not None else None
            capabilities = mapping(context).get("capabilities") if context is not None else None
            if envoy is not None and not isinstance(envoy, dict) or \
                    context is not None and not isinstance(context, dict) or \
                    capabilities is not None and not isinstance(capabilities, dict):
                continue  # a shape the controller would refuse: not ours to fill
            if "add" not in mapping(capabilities):
                yield Target(ID, resource, kube, resource.field("spec.kube"), None,
                             "GatewayParameters")
