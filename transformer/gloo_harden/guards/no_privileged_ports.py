"""``no-privileged-ports``: keep NET_BIND_SERVICE while the proxy can be seen to bind below 1024.

Evidence, for the proxy the target belongs to:

- a ``containerPort`` or ``hostPort`` below 1024 on its Envoy container (with ``hostNetwork``
  the container ports are host ports, which is said in the message);
- a Service in its namespace whose selector matches the proxy pods and whose ``targetPort``
  (or ``port``, when no targetPort is given) is below 1024;
- a Gateway with ``bindPort`` below 1024 whose ``proxyNames`` (default ``[gateway-proxy]``)
  include the proxy: Gateway documents, Gateways embedded in the ``gloo-custom-resource-config``
  ConfigMap (1.14+) and in the rollout Job's script (1.12–1.13).

Gateways applied outside the stream cannot be seen; the Service and container ports are what the
chart derives them from, so they are the safest signal we have.
"""

from __future__ import annotations

from typing import Any

from gloo_harden.gloo import helm_hooks
from gloo_harden.gloo.index import EMBEDDING_KINDS, Proxy, StreamIndex
from gloo_harden.resources.model import Resource
from gloo_harden.resources.podspec import items, mapping
from gloo_harden.scopes import Target

ID = "no-privileged-ports"
EVIDENCE = (
    "a containerPort or hostPort below 1024 on the proxy's Envoy container (hostNetwork said)",
    "a Service in the proxy's namespace selecting its pods with a targetPort (or port) below "
    "1024",
    "a Gateway, MatchableHttpGateway or MatchableTcpGateway with bindPort below 1024 whose "
    "proxyNames (default [gateway-proxy]) include the proxy: as documents, in the chart's "
    "gloo-custom-resource-config ConfigMap (1.14+) or its rollout Job's script (1.12-1.13)",
    "a kgateway GatewayParameters with omitDefaultSecurityContext: true (the deployer then "
    "adds no net.ipv4.ip_unprivileged_port_start sysctl) and no such sysctl of its own, used "
    "by a Gateway with a listener below 1024 or by no Gateway in the stream",
    "(a Helm 3 post-renderer is handed no hooks, so there the 1.12-1.13 rollout Job's Gateways "
    "cannot be seen: the decision then rests on the rest, and a warning says so)",
)
PRIVILEGED = 1024
GATEWAY_KINDS = ("Gateway", "MatchableHttpGateway", "MatchableTcpGateway")


def check(target: Target, index: StreamIndex) -> list[str]:
    if target.resource.kind == "GatewayParameters":
        return _omitted_port_sysctl(target.resource, index)
    proxy = target.proxy
    if proxy is None or target.scope != "proxy-container":
        return []
    host = " on the host network" if proxy.spec.get("hostNetwork") is True else ""
    evidence = _container_ports(target.node, host)
    evidence += _service_ports(proxy, target.node, index)
    evidence += _gateway_ports(proxy, index)
    return evidence


def _port(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def broken(target: Target, index: StreamIndex) -> list[str]:
    """Nothing yet: a proxy that binds a privileged port without NET_BIND_SERVICE is not
    judged here (an empty list is what a guard without this check would say)."""
    return []


def unseen(target: Target, index: StreamIndex) -> list[str]:
    """Gateways a Helm 3 post-renderer is not shown (Gloo 1.12-1.13's rollout hook Job)."""
    if target.proxy is None or target.scope != "proxy-container":
        return []
    return [f"{why}; judged by the container ports and Services the chart derives them from "
            f"({helm_hooks.SEE_THEM})" for why in helm_hooks.unseen_gateways(index)]


def _container_ports(container: Any, host: str) -> list[str]:
    found = []
    for port in items(container.get("ports")):
        if not isinstance(port, dict):
            continue
        for key in ("containerPort", "hostPort"):
            number = _port(port.get(key))
            if number is not None and number < PRIVILEGED:
                found.append(f"{key} {number}{host}")
    return found


def _service_ports(proxy: Proxy, container: Any, index: StreamIndex) -> list[str]:
    named = {str(p.get("name")): _port(p.get("containerPort"))
             for p in items(container.get("ports")) if isinstance(p, dict)}
    found = []
    for service in index.services_selecting(proxy):
        for port in items(mapping(service.tree.get("spec")).get("ports")):
            if not isinstance(port, dict):
                continue
            target = port.get("targetPort", port.get("port"))
            number = named.get(str(target)) if isinstance(target, str) else _port(target)
            if number is not None and number < PRIVILEGED:
                found.append(f"Service {service.namespace or '-'}/{service.name} targetPort {number}")
    return found


def _gateway_ports(proxy: Proxy, index: StreamIndex) -> list[str]:
    return list(index.view(f"{ID}/gateway-ports", GATEWAY_KINDS + EMBEDDING_KINDS,
                           _privileged_binds).get(proxy.name, ()))


def _privileged_binds(index: StreamIndex) -> dict[str, list[str]]:
    """proxy name → each Gateway that binds it below 1024, in stream order."""
    found: dict[str, list[str]] = {}
    for origin, gateway in _gateways(index):
        spec = mapping(gateway.get("spec"))
        number = _port(spec.get("bindPort"))
        if number is None or number >= PRIVILEGED:
            continue
        name = mapping(gateway.get("metadata")).get("name")
        names = items(spec.get("proxyNames")) or ["gateway-proxy"]
        for proxy in dict.fromkeys(n for n in names if isinstance(n, str)):
            found.setdefault(proxy, []).append(f"Gateway {name} bindPort {number} ({origin})")
    return found


def _gateways(index: StreamIndex) -> list[tuple[str, dict[str, Any]]]:
    documents = [(f"{r.kind} {r.namespace or '-'}/{r.name}", _plain(r))
                 for r in index.of_kind(*GATEWAY_KINDS) if r.group == "gateway.solo.io"]
    hidden, _ = index.embedded()
    documents += [(e.origin, e.data) for e in hidden if e.data.get("kind") in GATEWAY_KINDS]
    return documents


def _plain(resource: Resource) -> Any:
    """A Gateway as plain data, converted once per render (see ``StreamIndex.view``)."""
    from gloo_harden.yamltext.yamlio import to_plain

    return to_plain(resource.tree)


UNPRIVILEGED_PORT_START = "net.ipv4.ip_unprivileged_port_start"


def _omitted_port_sysctl(parameters: Resource, index: StreamIndex) -> list[str]:
    """kgateway ≥2.1 binds listener ports itself and lets ports below 1024 bind through the pod
    sysctl ``net.ipv4.ip_unprivileged_port_start=0``, which the deployer adds unless the merged
    GatewayParameters set ``omitDefaultSecurityContext: true``
    (``pkg/deployer/gateway_parameters.go@v2.1.0:29-81``; notes gateway-api.md §0.2, §2b). Then
    NET_BIND_SERVICE is the only way such a listener binds."""
    kube = mapping(mapping(parameters.tree.get("spec")).get("kube"))
    if parameters.group != "gateway.kgateway.dev" or kube.get("omitDefaultSecurityContext") is not True:
        return []
    context = mapping(mapping(kube.get("podTemplate")).get("securityContext"))
    if any(mapping(s).get("name") == UNPRIVILEGED_PORT_START and str(mapping(s).get("value")) == "0"
           for s in items(context.get("sysctls"))):
        return []
    users = [g for g in index.of_kind("Gateway", group="gateway.networking.k8s.io")
             if g.namespace == parameters.namespace and mapping(mapping(mapping(
                 g.tree.get("spec")).get("infrastructure")).get("parametersRef")).get("name")
             == parameters.name]
    omitted = f"omitDefaultSecurityContext: true (no {UNPRIVILEGED_PORT_START} sysctl)"
    if not users:
        return [f"{omitted} and no Gateway using these parameters in the stream to show its ports"]
    found = []
    for gateway in users:
        for listener in items(mapping(gateway.tree.get("spec")).get("listeners")):
            number = _port(mapping(listener).get("port"))
            if number is not None and number < PRIVILEGED:
                found.append(f"{omitted} for Gateway {gateway.namespace or '-'}/{gateway.name} "
                             f"listener port {number}")
    return found
