"""``no-privileged-ports``: keep NET_BIND_SERVICE while the proxy can be seen to bind below 1024.

Evidence, for the proxy the target belongs to:

- a ``containerPort`` or ``hostPort`` below 1024 on its Envoy container (with ``hostNetwork``
  the container ports are host ports, which is said in the message);
- a Service in its namespace whose selector matches the proxy pods and whose ``targetPort``
  (or ``port``, when no targetPort is given) is below 1024;
- a Gateway with ``bindPort`` below 1024 whose ``proxyNames`` (default ``[gateway-proxy]``)
  include the proxy: Gateway documents, Gateways embedded in the ``gloo-custom-resource-config``
  ConfigMap (1.14+) and in the rollout Job's script (1.12–1.13).

Gateways are evidence only when something shows them. A gateway proxy (``gloo: gateway-proxy``)
whose Envoy container adds NET_BIND_SERVICE while no Gloo Gateway is in the stream or the
evidence (``disableGeneratedGateways: true`` with the Gateways in another repository; Gateways
applied as Helm hooks, which a Helm 3 post-renderer is not handed, for any Gloo version or
chart) keeps it: the user asked for the capability, and only a Gateway's ``bindPort`` says
which port the proxy binds, so dropping it could stop the gateway from listening. kgateway
does the same for parameters with ``omitDefaultSecurityContext: true`` and no Gateway API
Gateway in sight. ``--evidence`` with the Gateways decides instead (``KINDS_READ``).

The final state is judged too (``broken``): an Envoy container that binds below 1024 (the
evidence above) with neither NET_BIND_SERVICE in effect nor the
``net.ipv4.ip_unprivileged_port_start`` sysctl on its pod cannot bind, e.g. a kustomize overlay
that puts a proxy whose capability was dropped on ``hostNetwork`` with ports 80 and 443 (a
``hostNetwork`` pod cannot set network sysctls: the kubelet refuses it, kubernetes/kubernetes
``pkg/kubelet/sysctl/allowlist.go``).
"""

from __future__ import annotations

from typing import Any

from gloo_harden.gloo import evidence as kinds
from gloo_harden.gloo import helm_hooks
from gloo_harden.gloo.evidence import KindRead, Unseen
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
    "by a Gateway with a listener below 1024 (its own, or one of a ListenerSet or "
    "XListenerSet whose parentRef names it)",
    "(after the change, never reported as hardened: privileged: true, capabilities.add [ALL], "
    "or runAsUser 0 without drop [ALL] keep NET_BIND_SERVICE in effect; a warning says so and "
    "--check fails)",
    "(not evidence: ports at or above the proxy pod's net.ipv4.ip_unprivileged_port_start "
    "sysctl, which lets any user bind them, except on hostNetwork, where a pod cannot set "
    "network sysctls and the node's value applies)",
    "no Gloo Gateway in the stream or the evidence while a gateway proxy adds NET_BIND_SERVICE "
    "(disableGeneratedGateways, Gateways applied as Helm hooks that a Helm 3 post-renderer is "
    "not handed), or no Gateway API Gateway for such GatewayParameters: kept, with an "
    "evidence-unseen warning",
    "with NET_BIND_SERVICE already gone: a port below 1024 as above with no "
    "net.ipv4.ip_unprivileged_port_start sysctl on the pod (none is possible on hostNetwork) "
    "is reported as an install that is already broken",
)
_KEEP = ("the proxy asked for NET_BIND_SERVICE and only a Gateway's bindPort shows whether "
         "it binds below 1024: without the capability it may not listen")
KINDS_READ = (
    KindRead(kinds.SERVICE, "the ports a proxy's Service sends traffic to (targetPort below "
             "1024)"),
    KindRead(kinds.GLOO_GATEWAY, "bindPort of the proxies in proxyNames (also the chart's "
             "Gateways in the gloo-custom-resource-config ConfigMap or the rollout Job)",
             kinds.KEEPS, _KEEP),
    KindRead(kinds.HTTP_GATEWAY, "bindPort of matchable HTTP gateways"),
    KindRead(kinds.TCP_GATEWAY, "bindPort of matchable TCP gateways"),
    KindRead(kinds.CONFIG_MAP, "the chart's Gateways embedded in gloo-custom-resource-config "
             "(Gloo 1.14+)"),
    KindRead(kinds.KUBE_GATEWAY, "listener ports of the Gateways that use a GatewayParameters "
             "(kgateway, omitDefaultSecurityContext)", kinds.KEEPS,
             "without the deployer's sysctl NET_BIND_SERVICE is the only way such parameters' "
             "proxies bind below 1024"),
)
PRIVILEGED = 1024
GATEWAY_KINDS = ("Gateway", "MatchableHttpGateway", "MatchableTcpGateway")
GLOO_GATEWAY_KINDS = (kinds.GLOO_GATEWAY, kinds.HTTP_GATEWAY, kinds.TCP_GATEWAY)


def check(target: Target, index: StreamIndex) -> list[str]:
    if target.resource.kind == "GatewayParameters":
        return _omitted_port_sysctl(target.resource, index)
    return [said for _, said in _low_ports(target, index)]


def _low_ports(target: Target, index: StreamIndex) -> list[tuple[int, str]]:
    """(port, evidence) for every port below 1024 the proxy of ``target`` is seen to bind."""
    proxy = target.proxy
    if proxy is None or target.scope != "proxy-container":
        return []
    if not _is_envoy(target, proxy):
        # a sidecar (--sidecars): the Service's targetPorts and the Gateways' bindPorts are
        # Envoy's listeners; only the ports it declares itself are its own
        host = " on the host network" if proxy.spec.get("hostNetwork") is True else ""
        start = None if host else port_start(proxy.spec)
        return _container_ports(target.node, host,
                                PRIVILEGED if start is None else min(start, PRIVILEGED))
    return _ports_below(proxy, target.node, index)


def _is_envoy(target: Target, proxy: Proxy) -> bool:
    """Whether ``target`` is the proxy's Envoy container, not a sidecar (``--sidecars``)."""
    return proxy.envoy is not None and target.path == proxy.container_path(proxy.envoy)


def _ports_below(proxy: Proxy, container: Any, index: StreamIndex) -> list[tuple[int, str]]:
    """(port, evidence) for every port below what an unprivileged user may bind that this
    proxy's Envoy ``container`` binds. A pod sysctl ``net.ipv4.ip_unprivileged_port_start``
    lowers that bound, as kgateway's deployer does (gateway-api.md §1c); the kubelet refuses
    network sysctls on ``hostNetwork`` pods (``pkg/kubelet/sysctl/allowlist.go``, evidence.md
    §c), so there it counts for nothing."""
    on_host = proxy.spec.get("hostNetwork") is True
    host = " on the host network" if on_host else ""
    start = None if on_host else port_start(proxy.spec)
    below = PRIVILEGED if start is None else min(start, PRIVILEGED)
    return (_container_ports(container, host, below)
            + _service_ports(proxy, container, index, below)
            + _gateway_ports(proxy, index, below))


def low_ports(proxy: Proxy, container: Any, index: StreamIndex) -> list[str]:
    """Every port of ``_ports_below`` as its statement (the decision and other modules read
    the same list)."""
    return [said for _, said in _ports_below(proxy, container, index)]


def in_effect(target: Target, index: StreamIndex) -> list[str]:
    """Why NET_BIND_SERVICE stays in effect on an Envoy container that no longer adds it:
    ``privileged: true`` and ``capabilities.add: [ALL]`` grant every capability, and a
    container that runs as root (``runAsUser: 0``) keeps the runtime's default set, which holds
    NET_BIND_SERVICE for containerd and CRI-O, unless it drops ALL or NET_BIND_SERVICE
    (``../shared/notes/evidence.md`` §d)."""
    if target.scope != "proxy-container":
        return []
    context = mapping(target.node.get("securityContext"))
    capabilities = mapping(context.get("capabilities"))
    added = {_capability(c) for c in items(capabilities.get("add"))}
    dropped = {_capability(c) for c in items(capabilities.get("drop"))}
    if NET_BIND in added:
        return []  # kept on purpose (a guard, an opt-out): not claimed as hardened
    found = []
    if context.get("privileged") is True:
        found.append("privileged: true grants every capability, NET_BIND_SERVICE included")
    if "ALL" in added:
        found.append("capabilities.add [ALL] grants NET_BIND_SERVICE")
    if _user(target) == 0 and not dropped & {"ALL", NET_BIND}:
        found.append("it runs as root (runAsUser 0) without capabilities.drop [ALL], so "
                     "NET_BIND_SERVICE stays in the runtime's default set; drop ALL (or "
                     "NET_BIND_SERVICE) to take it away")
    return found


NET_BIND = "NET_BIND_SERVICE"


def _capability(name: Any) -> str:
    """A capability as runtimes read it: upper case, without ``CAP_``."""
    text = str(name).upper()
    return text[len("CAP_"):] if text.startswith("CAP_") else text


def _user(target: Target) -> int | None:
    """The user the container runs as: its own runAsUser, else its pod's."""
    for context in (mapping(target.node.get("securityContext")), _pod_context(target)):
        user = context.get("runAsUser")
        if isinstance(user, int) and not isinstance(user, bool):
            return user
    return None


def _pod_context(target: Target) -> Any:
    if target.proxy is not None:
        return mapping(target.proxy.spec.get("securityContext"))
    if target.resource.kind == "GatewayParameters":
        kube = mapping(mapping(target.resource.tree.get("spec")).get("kube"))
        return mapping(mapping(kube.get("podTemplate")).get("securityContext"))
    return {}


def _port(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def unseen(target: Target, index: StreamIndex) -> list[Unseen]:
    """Gloo Gateways, for a gateway proxy, and Gateway API Gateways, for kgateway parameters
    without the sysctl, when none can be seen: either keeps NET_BIND_SERVICE."""
    if target.resource.kind == "GatewayParameters":
        if _omits_sysctl(target.resource) and not index.covers(kinds.KUBE_GATEWAY):
            return [Unseen((kinds.KUBE_GATEWAY,), "the listener ports of the Gateways that use "
                           "GatewayParameters with omitDefaultSecurityContext: true", True)]
        return []
    proxy = target.proxy
    if proxy is None or target.scope != "proxy-container" or proxy.role != "gateway-proxy" \
            or not _is_envoy(target, proxy):  # the Gateways' bindPorts are Envoy's
        return []
    if any(index.covers(k) for k in GLOO_GATEWAY_KINDS) or index.view(
            f"{ID}/any-gateway", GATEWAY_KINDS + EMBEDDING_KINDS, lambda i: bool(edge_gateways(i))):
        return []
    hooks = helm_hooks.unseen_gateways(index)
    why = f" ({'; '.join(hooks)})" if hooks else ""
    return [Unseen((kinds.GLOO_GATEWAY,), f"the bindPort of the gateway proxies{why}", True)]


def broken(target: Target, index: StreamIndex) -> list[str]:
    """An Envoy container that binds below 1024 with neither NET_BIND_SERVICE in effect nor
    the unprivileged-port sysctl on its pod (impossible with hostNetwork)."""
    proxy = target.proxy
    if proxy is None or target.scope != "proxy-container" or has_net_bind(target.node, proxy.spec):
        return []
    low = _low_ports(target, index)
    if not low:
        return []
    ports, lowest = [said for _, said in low], min(number for number, _ in low)
    if proxy.spec.get("hostNetwork") is True:
        return [f"{'; '.join(ports)}, without NET_BIND_SERVICE, and a hostNetwork pod cannot set "
                f"the {UNPRIVILEGED_PORT_START} sysctl"]
    start = port_start(proxy.spec)
    if start is not None and start <= lowest:
        return []
    has = "" if start is None else f" ({UNPRIVILEGED_PORT_START} is {start})"
    return [f"{'; '.join(ports)}, without NET_BIND_SERVICE or the {UNPRIVILEGED_PORT_START} "
            f"sysctl{has}"]


def has_net_bind(container: Any, pod: Any) -> bool:
    """NET_BIND_SERVICE in effect for ``container``: added (any spelling, or ALL), privileged,
    or root (runAsUser 0 on the container or its pod) without dropping it or ALL (the runtime's
    default set holds it: containerd ``defaultUnixCaps``, CRI-O ``Default()``)."""
    context = mapping(container.get("securityContext"))
    caps = mapping(context.get("capabilities"))
    names = {str(c).upper().removeprefix("CAP_") for c in items(caps.get("add"))}
    if names & {"NET_BIND_SERVICE", "ALL"} or context.get("privileged") is True:
        return True
    user = context.get("runAsUser", mapping(pod.get("securityContext")).get("runAsUser"))
    dropped = {str(c).upper().removeprefix("CAP_") for c in items(caps.get("drop"))}
    return user == 0 and not dropped & {"NET_BIND_SERVICE", "ALL"}


def port_start(pod: Any) -> int | None:
    """The pod's ``net.ipv4.ip_unprivileged_port_start`` sysctl, or None."""
    for sysctl in items(mapping(pod.get("securityContext")).get("sysctls")):
        if mapping(sysctl).get("name") == UNPRIVILEGED_PORT_START:
            try:
                return int(str(mapping(sysctl).get("value")))
            except ValueError:
                return None
    return None


def _container_ports(container: Any, host: str, below: int = PRIVILEGED
                     ) -> list[tuple[int, str]]:
    found = []
    for port in items(container.get("ports")):
        if not isinstance(port, dict):
            continue
        for key in ("containerPort", "hostPort"):
            number = _port(port.get(key))
            if number is not None and number < below:
                found.append((number, f"{key} {number}{host}"))
    return found


def _service_ports(proxy: Proxy, container: Any, index: StreamIndex,
                   below: int = PRIVILEGED) -> list[tuple[int, str]]:
    named = {str(p.get("name")): _port(p.get("containerPort"))
             for p in items(container.get("ports")) if isinstance(p, dict)}
    found = []
    for service in index.services_selecting(proxy):
        for port in items(mapping(service.tree.get("spec")).get("ports")):
            if not isinstance(port, dict):
                continue
            target = port.get("targetPort", port.get("port"))
            number = named.get(str(target)) if isinstance(target, str) else _port(target)
            if number is not None and number < below:
                found.append((number, f"Service {service.namespace or '-'}/{service.name} "
                              f"targetPort {number}"))
    return found


def _gateway_ports(proxy: Proxy, index: StreamIndex, below: int = PRIVILEGED
                   ) -> list[tuple[int, str]]:
    return [(number, said) for number, said in index.view(
        f"{ID}/gateway-ports", GATEWAY_KINDS + EMBEDDING_KINDS,
        _privileged_binds).get(proxy.name, ()) if number < below]


def _privileged_binds(index: StreamIndex) -> dict[str, list[tuple[int, str]]]:
    """proxy name → (port, each Gateway that binds it below 1024), in stream order."""
    found: dict[str, list[tuple[int, str]]] = {}
    for origin, gateway in edge_gateways(index):
        spec = mapping(gateway.get("spec"))
        number = _port(spec.get("bindPort"))
        if number is None or number >= PRIVILEGED:
            continue
        name = mapping(gateway.get("metadata")).get("name")
        names = items(spec.get("proxyNames")) or ["gateway-proxy"]
        for proxy in dict.fromkeys(n for n in names if isinstance(n, str)):
            found.setdefault(proxy, []).append(
                (number, f"Gateway {name} bindPort {number} ({origin})"))
    return found


def edge_gateways(index: StreamIndex) -> list[tuple[str, dict[str, Any]]]:
    """Every gateway.solo.io Gateway as (origin, plain data): documents and those the chart
    embeds, read once per render for every guard that needs them."""
    return index.view(f"{ID}/gateways", GATEWAY_KINDS + EMBEDDING_KINDS, _edge_gateways)


def _edge_gateways(index: StreamIndex) -> list[tuple[str, dict[str, Any]]]:
    documents = [(f"{r.kind} {r.namespace or '-'}/{r.name}", _plain(r))
                 for r in index.seen(*GATEWAY_KINDS) if r.group == "gateway.solo.io"]
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
    if not _omits_sysctl(parameters):
        return []
    start = parameters_port_start(mapping(mapping(parameters.tree.get("spec")).get("kube")))
    below = PRIVILEGED if start is None else min(start, PRIVILEGED)
    users = [g for g in index.seen("Gateway", group="gateway.networking.k8s.io")
             if g.namespace == parameters.namespace and mapping(mapping(mapping(
                 g.tree.get("spec")).get("infrastructure")).get("parametersRef")).get("name")
             == parameters.name]
    omitted = f"omitDefaultSecurityContext: true (no {UNPRIVILEGED_PORT_START} sysctl)"
    found = []
    for gateway in users:
        for where, number in listener_ports(gateway, index):
            if number < below:
                found.append(f"{omitted} for Gateway {gateway.namespace or '-'}/{gateway.name} "
                             f"{where} port {number}")
    return found


def parameters_port_start(kube: Any) -> int | None:
    """The unprivileged-port sysctl a GatewayParameters' ``spec.kube`` gives its pods."""
    return port_start(mapping(mapping(kube).get("podTemplate")))


LISTENER_SETS = (("ListenerSet", "gateway.networking.k8s.io"),
                 ("XListenerSet", "gateway.networking.x-k8s.io"))


def listener_ports(gateway: Resource, index: StreamIndex) -> list[tuple[str, int]]:
    """(where, port) of every listener of a Gateway API ``gateway``: its own, and those of
    each ListenerSet (standard since Gateway API v1.5) or XListenerSet (v1.3-1.4
    experimental) whose ``spec.parentRef`` names it: the Gateway "will have the merged list of
    all listeners from itself and attached ListenerSets" (kgateway-dev/kgateway#11255,
    evidence.md §c). Counted even when the Gateway's ``allowedListeners`` would refuse them:
    the conservative side."""
    found = [("listener", number) for listener in items(mapping(gateway.tree.get("spec"))
                                                       .get("listeners"))
             if (number := _port(mapping(listener).get("port"))) is not None]
    for kind, group in LISTENER_SETS:
        for listener_set in index.seen(kind, group=group):
            ref = mapping(mapping(listener_set.tree.get("spec")).get("parentRef"))
            namespace = ref.get("namespace") or listener_set.namespace
            if ref.get("name") != gateway.name or ref.get("kind", "Gateway") != "Gateway" \
                    or namespace not in (gateway.namespace, None):
                continue
            found += [(f"{listener_set.origin} listener", number)
                      for listener in items(mapping(listener_set.tree.get("spec")).get("listeners"))
                      if (number := _port(mapping(listener).get("port"))) is not None]
    return found


def _omits_sysctl(parameters: Resource) -> bool:
    """kgateway GatewayParameters with ``omitDefaultSecurityContext: true`` and no
    ``net.ipv4.ip_unprivileged_port_start: 0`` sysctl of their own."""
    kube = mapping(mapping(parameters.tree.get("spec")).get("kube"))
    if parameters.group != "gateway.kgateway.dev" \
            or kube.get("omitDefaultSecurityContext") is not True:
        return False
    return parameters_port_start(kube) != 0
