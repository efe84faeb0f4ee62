"""``kgateway-class``: the kgateway 2.0/2.1 controller, when no class-level GatewayParameters
reaches its proxies.

kgateway 2.0 and 2.1 build every proxy on an in-memory default that adds NET_BIND_SERVICE
(``pkg/deployer/gateway_parameters.go@v2.1.0:241-250``); since v2.0.0-beta3 the chart renders
no GatewayParameters and no GatewayClass, and the controller creates the GatewayClass
``kgateway`` without ``parametersRef``, only when it is missing
(``gatewayclass_provisioner.go@v2.1.0:141``). The target is the controller Deployment (label
``app.kubernetes.io/name: kgateway``, a ``KGW_*`` env): what is added for it takes its
namespace and labels. Nothing is targeted when the release is not 2.0/2.1 (2.2+ defaults drop
the capability; an unknown release is said by a warning), or when the stream already has a
GatewayClass ``kgateway`` (whose ``parametersRef`` names the class-level GatewayParameters,
hardened where it is; ``gateway_api`` reviews it).
"""

from __future__ import annotations

from collections.abc import Iterator

from gloo_harden.gloo.index import StreamIndex
from gloo_harden.gloo.release_detection import Product
from gloo_harden.resources.model import Resource
from gloo_harden.resources.podspec import containers, pod_spec
from gloo_harden.resources.results import Severity
from gloo_harden.scopes.target import Reads, ScopeOptions, Target

ID = "kgateway-class"
READS = Reads(frozenset({"GatewayClass"}), markers=("KGW_",))  # the controller: a KGW_ env


def empty(index: StreamIndex) -> tuple[Severity, str] | None:
    """Said only where kgateway is in the stream."""
    if index.generation.product is not Product.KGATEWAY:
        return None
    return Severity.INFO, ("no kgateway 2.0/2.1 controller without a class-level "
                           "GatewayParameters in the stream")


GATEWAY_CLASS = "kgateway"


def targets(index: StreamIndex, options: ScopeOptions) -> Iterator[Target]:
    found = index.generation
    if found.product is not Product.KGATEWAY or found.version is None or found.at_least(2, 2):
        return
    if any(c.name == GATEWAY_CLASS for c in index.of_kind("GatewayClass")):
        return
    for resource in controllers(index):
        yield Target(ID, resource, resource.tree, resource.path, None, "kgateway controller")


def controllers(index: StreamIndex) -> list[Resource]:
    """kgateway controller Deployments: label ``app.kubernetes.io/name: kgateway`` or a
    container with a ``KGW_`` env."""
    return [r for r in index.of_kind("Deployment") if _is_controller(r)]


def _is_controller(resource: Resource) -> bool:
    if resource.labels.get("app.kubernetes.io/name") == "kgateway":
        return True
    located = pod_spec(resource.tree, resource.kind)
    spec = located[0] if located else {}
    return any(str(env.get("name", "")).startswith("KGW_")
               for container in containers(spec)
               for env in (container.get("env") or []) if isinstance(env, dict))
