"""What the Gateway-API deployers merge each GatewayParameters over, and how lists add up there.

Gloo Gateway (1.17+) and kgateway (2.x) build each Gateway's proxy from a chain of parameters
merged in order with one rule for lists (``deepMergeSlices``): an absent list keeps the one
before it, an empty one replaces it, any other is **appended**. So ``capabilities.drop: [ALL]``
written at two levels reaches the proxy Deployment as ``[ALL, ALL]``: a list entry a hardening
needs must be written where the chain first needs it, once.

- **Gloo Gateway 1.17–1.22** (``gateway.gloo.solo.io``): the chain starts with the
  GatewayParameters the Gateway's GatewayClass names (``spec.parametersRef``); a Gateway's own,
  named by its annotation ``gateway.gloo.solo.io/gateway-parameters-name`` in its namespace, is
  deep-merged over a copy of it. There is no in-memory default. Source: solo-io/gloo
  ``projects/gateway2/deployer/deployer.go`` ``getGatewayParametersForGateway``
  (v1.17.0:157-187, v1.22.1:207-237) and ``merge.go`` ``deepMergeSlices`` (v1.17.0:37-50,
  v1.22.1:38-51), used for ``capabilities.add``/``drop`` (v1.17.0:534-535, v1.22.1:691-692) and
  ``podTemplate.securityContext.sysctls`` (v1.17.0:151, v1.22.1:169). The deployer emulator's
  ``gloo-1.19`` family renders it so (``tests/e2e/test_deployer_proof.py``).
- **kgateway 2.x** (``gateway.kgateway.dev``): the chain starts with the deployer's in-memory
  default (``deployer_defaults``), unless ``omitDefaultSecurityContext: true``; the class-level
  and then the Gateway's parameters follow (kgateway ``merge.go``, the same rule; the real
  2.2.0 controller shows the append, ``tests/e2e/test_kgateway_controller.py``). A class-level
  GatewayParameters is not counted here: under a Gateway's ``omitDefaultSecurityContext``,
  2.1 discards it and 2.2 its Envoy securityContext, and from 2.2 the controller's env
  ``KGW_GATEWAY_CLASS_PARAMETERS_REFS``, not the stream's GatewayClass, names it.

Only the stream is read (``of_kind``): what the deployer merges over parameters it cannot see
is not known, and callers take the safe side then.
"""

from __future__ import annotations

from typing import Any

from gloo_harden.gloo.deployer_defaults import (
    DEFAULT_ENVOY_SECURITY_CONTEXT,
    KGATEWAY_GROUP,
    kgateway_defaults_apply,
)
from gloo_harden.gloo.index import StreamIndex
from gloo_harden.resources.model import Resource
from gloo_harden.resources.podspec import mapping

GLOO_GROUP = "gateway.gloo.solo.io"
GATEWAY_API_GROUP = "gateway.networking.k8s.io"
#: the Gateway annotation naming its own Gloo GatewayParameters (``wellknown/controller.go``)
GLOO_ANNOTATION = "gateway.gloo.solo.io/gateway-parameters-name"
#: a link of a chain: kgateway's in-memory default
DEFAULT = None
#: ``chains``: what one use of a GatewayParameters is merged over, in merge order; each link
#: is ``DEFAULT`` or a class-level GatewayParameters of the stream
Chain = tuple[Resource | None, ...]


def chains(parameters: Resource, index: StreamIndex) -> list[Chain] | None:
    """What the deployer merges ``parameters`` over, one chain per use of it (an empty chain:
    nothing, it is the first link); ``None`` when that is not known: Gloo parameters that no
    GatewayClass and no Gateway of the stream names, or named by a Gateway whose class or
    class-level parameters are not in the stream.

    kgateway parameters: ``[(DEFAULT,)]``, or ``[()]`` with ``omitDefaultSecurityContext: true``.
    Anything else: ``[()]``.
    """
    if parameters.kind != "GatewayParameters":
        return [()]
    if parameters.group == KGATEWAY_GROUP:
        return [(DEFAULT,)] if kgateway_defaults_apply(parameters) else [()]
    if parameters.group != GLOO_GROUP:
        return [()]
    # rebuilt when a Gateway or GatewayClass changes, not when GatewayParameters are patched:
    # it holds their names and references only (hardenings change neither), their contents are
    # read where used; else every hardened GatewayParameters would rebuild it (quadratic)
    uses = index.view("parameters-merge/gloo-uses", ("Gateway", "GatewayClass"), _gloo_uses)
    found = uses.get((parameters.namespace, parameters.name), [])
    known = [use for use in found if use is not None]
    return known if found and len(known) == len(found) else None


#: the kinds ``chains`` reads
READS = ("Gateway", "GatewayClass", "GatewayParameters")


def _gloo_uses(index: StreamIndex) -> dict[tuple[str | None, str | None], list[Chain | None]]:
    """(namespace, name) of Gloo GatewayParameters -> the chain of each use the stream shows:
    ``()`` for each GatewayClass naming them, ``(class-level parameters,)`` for each Gateway
    naming them by annotation (None when its class or their parameters are not in the
    stream). Built once per render (``StreamIndex.view``)."""
    parameters = {(r.namespace, r.name): r for r in index.of_kind("GatewayParameters",
                                                                   group=GLOO_GROUP)}
    by_class: dict[Any, Resource | None] = {}
    uses: dict[tuple[str | None, str | None], list[Chain | None]] = {}
    for gateway_class in index.of_kind("GatewayClass", group=GATEWAY_API_GROUP):
        ref = mapping(mapping(gateway_class.tree.get("spec")).get("parametersRef"))
        named = None
        if ref.get("kind") == "GatewayParameters" and ref.get("group") == GLOO_GROUP:
            named = parameters.get((ref.get("namespace"), ref.get("name")))
        by_class.setdefault(gateway_class.name, named)
        if named is not None:
            uses.setdefault((named.namespace, named.name), []).append(())
    for gateway in index.of_kind("Gateway", group=GATEWAY_API_GROUP):
        name = gateway.annotations.get(GLOO_ANNOTATION)
        if name is None:
            continue
        base = by_class.get(mapping(gateway.tree.get("spec")).get("gatewayClassName"))
        uses.setdefault((gateway.namespace, name), []).append(None if base is None else (base,))
    return uses


def inherited_user(parameters: Resource, index: StreamIndex,
                   keys: tuple[str, ...] = ("envoyContainer",)) -> list[int | None] | None:
    """The ``runAsUser`` the container templated under ``spec.kube`` ``keys`` (Envoy's, or a
    sidecar's such as ``("istio", "istioProxyContainer")``) of ``parameters``' proxies gets from
    what they are merged over and from themselves, one per use (``chains``, ``parameters``
    last): the last link that sets it on that container wins, else on the pod
    (``podTemplate.securityContext``, which a sidecar takes too); kgateway's default sets
    10101 on Envoy only (its sidecar templates have no security context). ``None`` for a use
    that gets none, or for all when the uses are not known or a ``floatingUserId: true`` on the
    way deletes it (Gloo 1.17.3+, kgateway 2.0/2.1; from every container's context)."""
    found = chains(parameters, index)
    if found is None or _floating(parameters):
        return None
    users: list[int | None] = []
    for chain in found:
        if any(link is not None and _floating(link) for link in chain):
            return None
        container = pod = None
        for link in (*chain, parameters):
            if link is None:
                context = DEFAULT_ENVOY_SECURITY_CONTEXT if keys == ("envoyContainer",) else {}
            else:
                context = _kube(link, *keys)
            if (value := _user(context)) is not None:
                container = value
            if link is not None and (value := _user(_kube(link, "podTemplate"))) is not None:
                pod = value
        users.append(container if container is not None else pod)
    return users


def _kube(parameters: Resource, *keys: str) -> Any:
    """The ``securityContext`` under ``spec.kube`` ``keys`` (e.g. ``"envoyContainer"``)."""
    node = mapping(mapping(parameters.tree.get("spec")).get("kube"))
    for key in keys:
        node = mapping(node.get(key))
    return mapping(node.get("securityContext"))


def _floating(parameters: Resource) -> bool:
    return mapping(mapping(parameters.tree.get("spec")).get("kube")).get("floatingUserId") is True


def _user(context: Any) -> int | None:
    value = mapping(context).get("runAsUser")
    return value if isinstance(value, int) and not isinstance(value, bool) else None
