"""``no-class-level-capabilities``: never write an empty ``capabilities.add`` over capabilities
a class-level GatewayParameters adds.

Gloo Gateway (1.17+) and kgateway (2.x) merge a Gateway's own GatewayParameters over what comes
before it (kgateway's in-memory default, then the class-level GatewayParameters) with one rule
for lists, ``deepMergeSlices``: an absent list keeps the one before, an **empty list replaces
it**, any other is appended (solo-io/gloo ``projects/gateway2/deployer/merge.go@v1.17.0:37-50,
534`` and ``@v1.22.1:38-51, 691``; kgateway ``internal/kgateway/deployer/merge.go@v2.0.0:39-52,
680``, ``pkg/deployer/merge.go@v2.1.2:75-88, 702``, ``@v2.2.0:73-86, 702``,
``@v2.3.0:72-85, 765``). So ``add: []`` in a per-Gateway GatewayParameters whose class-level
one adds NET_ADMIN takes NET_ADMIN from the proxy: hardening it would break the gateway.

The guard keeps an empty ``add`` from being written into GatewayParameters (by
``clear-default-capabilities``, which writes ``add: []`` where ``add`` is absent, or by
``drop-net-bind-service``, which leaves ``[]`` where ``add`` held only NET_BIND_SERVICE) when
some use of them (``gloo.parameters_merge.merged_over``) is merged over a chain that adds a
capability other than NET_BIND_SERVICE: the message names the Gateway, the class-level
GatewayParameters and what they add. That list's own NET_BIND_SERVICE is
``drop-net-bind-service``'s to remove where it is written. On kgateway 2.0/2.1 the deployer's
default NET_BIND_SERVICE then stays too (the class-level list is appended to it), which no
GatewayParameters can change but an empty list, and the message says so.

When a use's chain cannot be seen (no Gateway or GatewayClass in the stream or ``--evidence``
names the parameters, the Gateway's GatewayClass, the class-level GatewayParameters it names,
or from kgateway 2.2 the controller Deployment whose env names them), the change is kept back
too, with what is missing and how to hand it in: a missed hardening keeps a capability the
proxy does not use, a wrong empty list stops a gateway that needs one.
"""

from __future__ import annotations

from gloo_harden.gloo import evidence as kinds
from gloo_harden.gloo.evidence import KindRead
from gloo_harden.gloo.index import StreamIndex
from gloo_harden.gloo.parameters_merge import DEFAULT, added_capabilities, merged_over
from gloo_harden.resources.podspec import items, mapping
from gloo_harden.resources.results import show_value
from gloo_harden.scopes import Target

ID = "no-class-level-capabilities"
EVIDENCE = (
    "a GatewayParameters that would be left with an empty capabilities.add (absent, or holding "
    "only NET_BIND_SERVICE), used by a Gateway whose class-level GatewayParameters add another "
    "capability (e.g. NET_ADMIN): the empty list would replace them",
    "what such parameters are merged over cannot be seen: no Gateway or GatewayClass naming "
    "them, the Gateway's GatewayClass, the class-level GatewayParameters it names, or (kgateway "
    "2.2+) the controller Deployment whose env KGW_GATEWAY_CLASS_PARAMETERS_REFS names them, in "
    "the stream or the evidence: kept",
)
_KEEP = ("an empty capabilities.add replaces every capability the class-level GatewayParameters "
         "add: without seeing them, writing it could stop a gateway that needs one")
KINDS_READ = (
    KindRead(kinds.KUBE_GATEWAY, "which Gateways use a GatewayParameters, and their class",
             kinds.KEEPS, _KEEP),
    KindRead(kinds.GATEWAY_CLASS, "the class-level GatewayParameters of a Gateway's class "
             "(kgateway up to 2.1, Gloo)", kinds.KEEPS, _KEEP),
    KindRead(kinds.KGATEWAY_PARAMETERS, "the capabilities class-level parameters add",
             kinds.KEEPS, _KEEP),
    KindRead(kinds.GLOO_GATEWAY_PARAMETERS, "the capabilities class-level parameters add",
             kinds.KEEPS, _KEEP),
    KindRead(kinds.DEPLOYMENT, "the kgateway controller's env KGW_GATEWAY_CLASS_PARAMETERS_REFS "
             "(kgateway 2.2+: the class-level GatewayParameters)", kinds.KEEPS, _KEEP),
)
NET_BIND = "NET_BIND_SERVICE"
ENVOY = "envoyContainer"  # ``proxy-container``'s name for a GatewayParameters' Envoy container
#: the hardening whose opt-out on class-level parameters keeps their NET_BIND_SERVICE on purpose
DROPS_NET_BIND = "drop-net-bind-service"
CONTROLLER = "controller Deployment"
_COLLECT = ("kubectl get gatewayclasses.gateway.networking.k8s.io,"
            "gateways.gateway.networking.k8s.io,{parameters} -A -o yaml")


def check(target: Target, index: StreamIndex) -> list[str]:
    """Why ``target`` must not be left with an empty ``capabilities.add``."""
    parameters = target.resource
    if parameters.kind != "GatewayParameters" or not _leaves_empty(target):
        return []
    uses, missing = merged_over(parameters, index)
    if missing:
        collect = _COLLECT.format(parameters=f"gatewayparameters.{parameters.group}"
                                  + (",deployments.apps" if any(CONTROLLER in m for m in missing)
                                     else ""))
        return ["an empty capabilities.add here would replace every capability the class-level "
                "GatewayParameters it is merged over add, and what that is cannot be seen: "
                f"{'; '.join(dict.fromkeys(missing))} not in the stream or the evidence; pass "
                "--evidence PATH with the Gateways, their GatewayClass and its GatewayParameters "
                f"({collect})"]
    said: dict[str, list[str]] = {}  # what a use's chain keeps -> the uses (Gateways) it is
    for by, chain in uses:
        added = added_capabilities(chain, DROPS_NET_BIND)
        if not added:
            continue
        links = list({id(link): link for _, link in added}.values())
        names = show_value(list(dict.fromkeys(name for name, _ in added)))
        over = ", ".join(f"{link.origin} ({link.located})" for link in links)
        default = (f"; on kgateway 2.0/2.1 the deployer's default {NET_BIND} stays too, "
                   "appended before them" if chain and chain[0] is DEFAULT
                   and _default_adds(index) else "")
        said.setdefault(f"{over}, which add {names}: an empty capabilities.add here would "
                        "replace that list (deepMergeSlices: an empty list replaces, any other is "
                        f"appended) and the proxy would lose {names}; left out, the proxy keeps "
                        f"them{default}", []).append(by)
    return [f"{' and '.join(uses)} merge{'s' * (len(uses) == 1)} these parameters over {what}"
            for what, uses in said.items()]


def _leaves_empty(target: Target) -> bool:
    """The hardened state of ``target`` is an empty ``add``: ``clear-default-capabilities``'s
    targets (``add`` absent), or an Envoy container whose ``add`` holds only NET_BIND_SERVICE
    (in any spelling), which ``drop-net-bind-service`` empties."""
    if target.scope == "gateway-parameters-capabilities":
        return True
    if target.scope != "proxy-container" or target.what != ENVOY:
        return False  # sidecars' lists are merged the same way; only Envoy's are read here
    added = items(mapping(mapping(target.node.get("securityContext")).get("capabilities"))
                  .get("add"))
    return bool(added) and all(str(c).upper().removeprefix("CAP_") == NET_BIND for c in added)


def _default_adds(index: StreamIndex) -> bool:
    """kgateway's default adds NET_BIND_SERVICE: 2.0 and 2.1, or a release not known."""
    found = index.generation
    return found.version is None or not found.at_least(2, 2)
