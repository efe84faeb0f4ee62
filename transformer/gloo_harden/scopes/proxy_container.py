"""``proxy-container``: the Envoy container of every Gloo proxy.

Covers gateway proxies (label ``gloo: gateway-proxy`` on a Deployment or DaemonSet; the container
is named after the proxy, e.g. ``public-gw``), ``ingress-proxy``, ``clusteringress-proxy``, the two
knative proxies, and ``spec.kube.envoyContainer`` of ``GatewayParameters``
(gateway.gloo.solo.io and gateway.kgateway.dev), from which Gateway-API proxies are created at
runtime. Sidecars (``sds``, ``istio-proxy``, …) are targeted only when the user opts them in.
"""

from __future__ import annotations

from collections.abc import Iterator

from gloo_harden.gloo.index import StreamIndex
from gloo_harden.resources.model import Resource, child_path
from gloo_harden.resources.podspec import containers, mapping
from gloo_harden.resources.podspec import items as listed
from gloo_harden.resources.results import Severity, show_text
from gloo_harden.scopes.target import Reads, ScopeOptions, Target

ID = "proxy-container"
#: the kgateway controller (a ``KGW_`` env) too: from 2.2 its env names the class-level parameters
#: the guard ``no-class-level-capabilities`` reads
READS = Reads(frozenset({"GatewayParameters"}), markers=("KGW_",))


def empty(index: StreamIndex) -> tuple[Severity, str]:
    """What a run says when the stream holds nothing in this scope."""
    return (Severity.INFO, "no Gloo proxy container in the stream")


GATEWAY_PARAMETERS_GROUPS = ("gateway.gloo.solo.io", "gateway.kgateway.dev")
#: GatewayParameters containers beside Envoy, as (path under spec.kube, name).
_PARAMETER_SIDECARS = ((("sdsContainer",), "sds"), (("istio", "istioProxyContainer"), "istio-proxy"),
                       (("aiExtension",), "ai-extension"), (("agentgateway",), "agentgateway"))


def targets(index: StreamIndex, options: ScopeOptions) -> Iterator[Target]:
    for proxy in index.proxies:
        items = containers(proxy.spec)
        for i, container in enumerate(listed(proxy.spec.get("containers"))):
            if container not in items:
                continue
            envoy = i == proxy.envoy
            if envoy or options.sidecars:
                label = "container" if envoy else "sidecar"
                yield Target(ID, proxy.resource, container, proxy.container_path(i), "Container",
                             f'{label} "{show_text(container.get("name"))}"', proxy)
    for group in GATEWAY_PARAMETERS_GROUPS:
        for resource in index.of_kind("GatewayParameters", group=group):
            kube = mapping(resource.tree.get("spec")).get("kube")
            if not isinstance(kube, dict):
                continue
            container = kube.get("envoyContainer")
            if isinstance(container, dict):
                yield Target(ID, resource, container, resource.field("spec.kube.envoyContainer"),
                             "Container", "envoyContainer")
            if options.sidecars:
                yield from _parameter_sidecars(resource, kube)


def _parameter_sidecars(resource: Resource, kube: dict[str, object]) -> Iterator[Target]:
    for keys, name in _PARAMETER_SIDECARS:
        node: object = kube
        path = "spec.kube"
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
            path = child_path(path, key)
        if isinstance(node, dict):
            yield Target(ID, resource, node, resource.field(path), "Container", f'sidecar "{name}"')
