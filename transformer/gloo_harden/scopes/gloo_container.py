"""``gloo-container``: every container of every Gloo workload (see ``gloo-pod``).

Init containers and sidecars (``sds``, ``istio-proxy``, ``kubectl`` in the rollout Jobs, …)
included: a profile that brings pods to a Pod Security level has to cover every container,
because the level is judged per container. Also the container templates of
``GatewayParameters``, from which the Gateway-API proxies are made at runtime: the
``envoyContainer`` (see ``gateway-parameters-envoy``) and the sidecars a GatewayParameters
templates (``sdsContainer``, ``istio.istioProxyContainer``, ``aiExtension``; see
``gateway-parameters-sidecars``).
"""

from __future__ import annotations

from collections.abc import Iterator

from gloo_harden.gloo.index import StreamIndex
from gloo_harden.resources.model import child_path
from gloo_harden.resources.results import Severity, show_text
from gloo_harden.scopes import gateway_parameters_envoy, gateway_parameters_sidecars
from gloo_harden.scopes.gloo_pod import workloads
from gloo_harden.scopes.target import Reads, ScopeOptions, Target

ID = "gloo-container"
READS = Reads(frozenset({"GatewayParameters"}), every_workload=True)


def empty(index: StreamIndex) -> tuple[Severity, str]:
    """What a run says when the stream holds nothing in this scope."""
    return (Severity.INFO, "no Gloo workload in the stream")


LISTS = ("initContainers", "containers", "ephemeralContainers")


def targets(index: StreamIndex, options: ScopeOptions) -> Iterator[Target]:
    for resource, spec, path in workloads(index):
        assert isinstance(spec, dict)
        for field in LISTS:
            items = spec.get(field)
            for i, container in enumerate(items if isinstance(items, list) else []):
                if isinstance(container, dict):
                    yield Target(ID, resource, container, child_path(child_path(path, field), i),
                                 "Container", f'container "{show_text(container.get("name"))}"')
    for group in gateway_parameters_envoy.GROUPS:
        for resource in index.of_kind("GatewayParameters", group=group):
            for target in (*gateway_parameters_envoy.template(resource),
                           *gateway_parameters_sidecars.templates(resource)):
                yield target._replace(scope=ID)
