"""``gateway-parameters-sidecars``: the sidecar container templates of every ``GatewayParameters``.

Besides Envoy (``gateway-parameters-envoy``), the deployers render up to three containers into a
Gateway-API proxy pod from a GatewayParameters, each with the ``securityContext`` of its own
template written verbatim (empty: none):

=============================  =================================  ==================================
template under ``spec.kube``   container the deployer renders      when
=============================  =================================  ==================================
``sdsContainer``               ``sds``                             Istio integration (Gloo Settings
                                                                   ``istioOptions.enableIntegration``,
                                                                   kgateway ``KGW_ENABLE_ISTIO_AUTO_MTLS``);
                                                                   Gloo 1.19+ also glooMtls
``istio.istioProxyContainer``  ``istio-proxy``                     Istio integration
``aiExtension``                ``gloo-ai-extension`` (Gloo 1.18+),  ``aiExtension.enabled``
                               ``kgateway-ai-extension`` (kgateway
                               2.0, 2.1; removed in 2.2, #12690)
=============================  =================================  ==================================

Sources: the API types (``SecurityContext *corev1.SecurityContext`` of each template) in solo-io/gloo
``projects/gateway2/api/v1alpha1/gateway_parameters_types.go`` (v1.17.0: sds 285, istio 387;
v1.18.0: aiExtension 571; v1.22.1: sds 337, istio 439, aiExtension 589) and kgateway
``api/v1alpha1/gateway_parameters_types.go`` (v2.0.0: 323, 426, 576; v2.1.0: 426, 529, 679),
``api/v1alpha1/kgateway/gateway_parameters_types.go@v2.3.0`` (510, 625); the deployers' charts
(``proxy-deployment.yaml``: Gloo v1.19.0 sds 138/180-183, istio-proxy 200/279-282,
gloo-ai-extension 300/327-330; kgateway v2.1.2 sds 135/171-172, istio-proxy 184/263-264,
kgateway-ai-extension 284/311-312; ``pkg/kgateway/helm/envoy/templates/deployment.yaml@v2.3.0``
sds 160/196-197, istio-proxy 209/288-289). Neither deployer gives these containers a security
context of its own: kgateway's in-memory default templates them without one
(``internal/kgateway/deployer/deployer.go@v2.0.0:777-810``,
``pkg/deployer/gateway_parameters.go@v2.3.0:207-231``), and so does the Gloo chart's
``GatewayParameters gloo-gateway`` (``install/helm/gloo/values-template.yaml@v1.22.1:34-55``).

Only templates a GatewayParameters writes are targets (one that templates no sidecar gets
nothing); ``agentgateway`` (kgateway 2.1) is the main container of its own class's pods, not
a sidecar, and is not covered.
"""

from __future__ import annotations

from collections.abc import Iterator

from gloo_harden.gloo.index import StreamIndex
from gloo_harden.resources.model import Resource, child_path
from gloo_harden.resources.podspec import mapping
from gloo_harden.resources.results import Severity
from gloo_harden.scopes.target import Reads, ScopeOptions, Target

ID = "gateway-parameters-sidecars"
READS = Reads(frozenset({"GatewayParameters"}))
GROUPS = ("gateway.gloo.solo.io", "gateway.kgateway.dev")
#: (keys under ``spec.kube``, the container's name in the proxy pod: Gloo, kgateway)
SIDECARS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("sdsContainer",), "sds", "sds"),
    (("istio", "istioProxyContainer"), "istio-proxy", "istio-proxy"),
    (("aiExtension",), "gloo-ai-extension", "kgateway-ai-extension"),
)


def empty(index: StreamIndex) -> tuple[Severity, str] | None:
    """Nothing to say: most GatewayParameters template no sidecar."""
    return None


def targets(index: StreamIndex, options: ScopeOptions) -> Iterator[Target]:
    for group in GROUPS:
        for resource in index.of_kind("GatewayParameters", group=group):
            yield from templates(resource)


def templates(resource: Resource) -> Iterator[Target]:
    """A target per sidecar template ``resource`` writes (a mapping), in ``SIDECARS`` order."""
    kube = mapping(mapping(resource.tree.get("spec")).get("kube"))
    for keys, gloo, kgateway in SIDECARS:
        node: object = kube
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            path = "spec.kube"
            for key in keys:
                path = child_path(path, key)
            name = kgateway if resource.group == "gateway.kgateway.dev" else gloo
            yield Target(ID, resource, node, resource.field(path), "Container",
                         f'sidecar "{name}"')


def container_keys(target: Target) -> tuple[str, ...]:
    """The keys under ``spec.kube`` of a GatewayParameters container target:
    ``("envoyContainer",)`` for Envoy, else its sidecar template's."""
    for keys, _, _ in SIDECARS:
        if target.path.endswith(".".join(keys)):
            return keys
    return ("envoyContainer",)


def container_name(target: Target) -> str:
    """The name the deployer gives the container a GatewayParameters target templates."""
    keys = container_keys(target)
    for known, gloo, kgateway in SIDECARS:
        if known == keys:
            return kgateway if target.resource.group == "gateway.kgateway.dev" else gloo
    return "kgateway-proxy" if target.resource.group == "gateway.kgateway.dev" \
        else "gloo-gateway"
