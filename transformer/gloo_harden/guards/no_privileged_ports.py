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

from gloo_harden import embedded
from gloo_harden.index import Proxy, StreamIndex
from gloo_harden.model import Resource
from gloo_harden.podspec import items, mapping
from gloo_harden.scopes import Target

ID = "no-privileged-ports"
EVIDENCE = (
    "a containerPort or hostPort below 1024 on the proxy's Envoy container (hostNetwork said)",
    "a Service in the proxy's namespace selecting its pods with a targetPort (or port) below "
    "1024",
    "a Gateway, MatchableHttpGateway or MatchableTcpGateway with bindPort below 1024 whose "
    "proxyNames (default [gateway-proxy]) include the proxy: as documents, in the chart's "
    "gloo-custom-resource-config ConfigMap (1.14+) or its rollout Job's script (1.12-1.13)",
)
PRIVILEGED = 1024
GATEWAY_KINDS = ("Gateway", "MatchableHttpGateway", "MatchableTcpGateway")


def check(target: Target, index: StreamIndex) -> list[str]:
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
    for service in index.of_kind("Service"):
        spec = mapping(service.tree.get("spec"))
        selector = spec.get("selector")
        if not isinstance(selector, dict) or not selector:
            continue
        if service.namespace not in (proxy.namespace, None) and proxy.namespace is not None:
            continue
        if any(proxy.labels.get(str(k)) != str(v) for k, v in selector.items()):
            continue
        for port in items(spec.get("ports")):
            if not isinstance(port, dict):
                continue
            target = port.get("targetPort", port.get("port"))
            number = named.get(str(target)) if isinstance(target, str) else _port(target)
            if number is not None and number < PRIVILEGED:
                found.append(f"Service {service.namespace or '-'}/{service.name} targetPort {number}")
    return found


def _gateway_ports(proxy: Proxy, index: StreamIndex) -> list[str]:
    found = []
    for origin, gateway in _gateways(index):
        spec = mapping(gateway.get("spec"))
        names = items(spec.get("proxyNames")) or ["gateway-proxy"]
        number = _port(spec.get("bindPort"))
        if number is not None and number < PRIVILEGED and proxy.name in names:
            name = mapping(gateway.get("metadata")).get("name")
            found.append(f"Gateway {name} bindPort {number} ({origin})")
    return found


def _gateways(index: StreamIndex) -> list[tuple[str, dict[str, Any]]]:
    documents = [(f"{r.kind} {r.namespace or '-'}/{r.name}", index.derived(r, ID, _plain))
                 for r in index.of_kind(*GATEWAY_KINDS) if r.group == "gateway.solo.io"]
    hidden, _ = embedded.find(index.of_kind("ConfigMap", "Job"))
    documents += [(e.origin, e.data) for e in hidden if e.data.get("kind") in GATEWAY_KINDS]
    return documents


def _plain(resource: Resource) -> Any:
    """A Gateway as plain data, converted once per resource (see ``StreamIndex.derived``)."""
    from gloo_harden.yamlio import to_plain

    return to_plain(resource.tree)
