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
    GatewayClass and no Gateway of the stream or ``--evidence`` names, or named by a Gateway
    whose class or class-level parameters cannot be seen (``merged_over``).

    kgateway parameters: ``[(DEFAULT,)]``, or ``[()]`` with ``omitDefaultSecurityContext: true``
    (their class-level parameters are ``merged_over``'s). Anything else: ``[()]``.
    """
    if parameters.kind != "GatewayParameters":
        return [()]
    if parameters.group == KGATEWAY_GROUP:
        return [(DEFAULT,)] if kgateway_defaults_apply(parameters) else [()]
    if parameters.group != GLOO_GROUP:
        return [()]
    uses, missing = merged_over(parameters, index)
    return None if missing else [chain for _, chain in uses]


#: the kinds ``chains`` reads
READS = ("Gateway", "GatewayClass", "GatewayParameters")


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


# ------------------------------------------------- what a GatewayParameters is merged over, seen

#: a use of GatewayParameters (``merged_over``): who uses them (``Gateway apps/web`` or
#: ``GatewayClass kgateway``) and the chain that use merges them over, class-level parameters
#: included
Use = tuple[str, Chain]
#: the controller env naming each class's GatewayParameters from kgateway 2.2 (Helm
#: ``gatewayClassParametersRefs``; ``install/helm/kgateway/templates/deployment.yaml@v2.3.0:135-136``)
CLASS_REFS_ENV = "KGW_GATEWAY_CLASS_PARAMETERS_REFS"
#: the classes a kgateway 2.2+ controller applies itself (``pkg/kgateway/controller/start.go``
#: ``@v2.2.0:393-425``: the envoy, waypoint and agentgateway classes, parametersRef from its env);
#: any other class keeps the parametersRef it is applied with
CONTROLLER_CLASSES = frozenset({"kgateway", "kgateway-waypoint", "agentgateway"})
#: the kinds ``merged_over`` reads (``seen``: the stream and ``--evidence``)
SEEN_READS = ("Gateway", "GatewayClass", "GatewayParameters", "Deployment")
_Key = tuple[str, Any, Any]  # (group, namespace, name) of GatewayParameters


def merged_over(parameters: Resource, index: StreamIndex) -> tuple[list[Use], list[str]]:
    """Every use of ``parameters`` the stream and ``--evidence`` show (``index.seen``), each with
    the chain the deployer merges them over, **class-level GatewayParameters included** for
    kgateway too (``chains`` leaves them out); and what cannot be seen for a use, one statement
    each (e.g. ``GatewayClass kgateway (of Gateway apps/web)``), or that no use can be seen.
    A caller that needs the whole chain takes the safe side unless the second list is empty.

    Gloo (``deployer.go@v1.22.1:207-245``): a class-level use (a GatewayClass names them)
    merges over nothing; a Gateway naming them by annotation merges over its class's
    parameters. kgateway (``internal/kgateway/deployer/deployer.go@v2.0.0:192-283``,
    ``internal/kgateway/deployer/gateway_parameters.go@v2.1.2:163-278``,
    ``pkg/kgateway/deployer/gateway_parameters.go@v2.2.0:262-400``, ``@v2.3.0:210-336``): a
    class-level use merges over the in-memory default (``DEFAULT``); a Gateway naming them by
    ``spec.infrastructure.parametersRef`` over the default and then its class's parameters. The
    class's parameters are those its ``spec.parametersRef`` names, except, from 2.2, for the
    classes the controller applies itself (``CONTROLLER_CLASSES`` and those its env names): the
    env ``KGW_GATEWAY_CLASS_PARAMETERS_REFS`` names theirs (the controller applies the class
    with that ref, ``pkg/kgateway/controller/gatewayclass.go@v2.3.0:205-225``); with the release
    unknown, either. ``omitDefaultSecurityContext: true`` on the Gateway's
    parameters: 2.1 regenerates the default without a securityContext and drops the class's
    parameters (``@v2.1.2:196-203``), 2.2 wipes the class's Envoy securityContext
    (``@v2.2.0:305-313``): nothing before them for capabilities; 2.3 keeps the class's fields
    over a default without securityContext (#13811); 2.0 does not know the field.
    """
    uses = index.view("parameters-merge/uses-seen", ("Gateway", "GatewayClass"), _seen_uses)
    group = parameters.group or ""
    key = (group, parameters.namespace, parameters.name)
    found: list[Use] = []
    missing: list[str] = []
    kgateway = group == KGATEWAY_GROUP
    if kgateway:
        for class_name in sorted(_class_names(index, uses)):
            links, _ = _class_parameters(class_name, index, uses)
            if any(link is parameters for link in links):
                found.append((f"GatewayClass {class_name}",
                              (DEFAULT,) if kgateway_defaults_apply(parameters) else ()))
    else:
        found += [(f"GatewayClass {name}", ()) for name in uses.gloo_classes.get(key, [])]
    for gateway, class_name in uses.gateways.get(key, []):
        before = _kgateway_before(parameters, index) if kgateway else ()
        if before is None:  # the class's parameters do not count (omit on 2.1 / 2.2)
            found.append((gateway, ()))
            continue
        links, lacking = _class_parameters(class_name, index, uses) if kgateway \
            else _gloo_class_parameters(class_name, uses)
        missing += [f"{what} (of {gateway})" for what in lacking]
        found += [(gateway, before + (link,)) for link in links] or [(gateway, before)]
    if not found and not missing:
        if kgateway and _kgateway_before(parameters, index) is None:
            # omit on 2.1/2.2: merged over nothing, whether a class or a Gateway uses them
            return [(f"every use of {parameters.origin}", ())], []
        missing.append(f"a Gateway or GatewayClass that uses {parameters.origin}")
    return found, missing


class _Uses:
    """Names and references only (``view``): GatewayParameters' contents are read where used."""

    def __init__(self) -> None:
        self.parameters: dict[_Key, Resource] = {}
        #: (group, namespace, name) -> (``Gateway ns/name``, its gatewayClassName)
        self.gateways: dict[_Key, list[tuple[str, Any]]] = {}
        #: GatewayClass name -> the (group, namespace, name) its parametersRef names, or None
        self.class_refs: dict[Any, _Key | None] = {}
        #: Gloo (group, namespace, name) -> the GatewayClasses naming them
        self.gloo_classes: dict[_Key, list[Any]] = {}


def _seen_uses(index: StreamIndex) -> _Uses:
    uses = _Uses()
    for group in (GLOO_GROUP, KGATEWAY_GROUP):
        for resource in index.seen("GatewayParameters", group=group):
            uses.parameters.setdefault((group, resource.namespace, resource.name), resource)
    for gateway_class in index.seen("GatewayClass", group=GATEWAY_API_GROUP):
        ref = mapping(mapping(gateway_class.tree.get("spec")).get("parametersRef"))
        key = None
        if ref.get("kind") == "GatewayParameters" and ref.get("group") in (GLOO_GROUP,
                                                                           KGATEWAY_GROUP):
            key = (str(ref.get("group")), _text(ref.get("namespace")), _text(ref.get("name")))
            if key[0] == GLOO_GROUP:
                uses.gloo_classes.setdefault(key, []).append(gateway_class.name)
        uses.class_refs.setdefault(gateway_class.name, key)
    for gateway in index.seen("Gateway", group=GATEWAY_API_GROUP):
        spec = mapping(gateway.tree.get("spec"))
        ref = mapping(mapping(spec.get("infrastructure")).get("parametersRef"))
        named = _text(gateway.annotations.get(GLOO_ANNOTATION))
        key = None
        if named is not None:
            key = (GLOO_GROUP, gateway.namespace, named)
        elif ref.get("group") == KGATEWAY_GROUP and ref.get("kind") == "GatewayParameters":
            key = (KGATEWAY_GROUP, gateway.namespace, _text(ref.get("name")))
        if key is not None:
            uses.gateways.setdefault(key, []).append((f"Gateway {gateway.namespace or '-'}/"
                                                      f"{gateway.name}",
                                                      _text(spec.get("gatewayClassName"))))
    return uses


def _gloo_class_parameters(class_name: Any, uses: _Uses) -> tuple[list[Resource], list[str]]:
    """The Gloo GatewayParameters a class names, or what of them cannot be seen."""
    if class_name not in uses.class_refs:
        return [], [f"GatewayClass {class_name}"]
    key = uses.class_refs[class_name]
    if key is None or key[0] != GLOO_GROUP:
        return [], []  # no parameters: the deployer makes no proxy for it
    found = uses.parameters.get(key)
    return ([found], []) if found is not None else \
        ([], [f"GatewayParameters {key[1] or '-'}/{key[2]} (named by GatewayClass {class_name})"])


def _class_parameters(class_name: Any, index: StreamIndex,
                      uses: _Uses) -> tuple[list[Resource], list[str]]:
    """The kgateway GatewayParameters class ``class_name`` merges its Gateways' over (one per
    way the release may name them), and what of them cannot be seen."""
    release = _kgateway_release(index)
    controllers, env = index.view("parameters-merge/class-env", ("Deployment",), _class_env)
    own = class_name in CONTROLLER_CLASSES or class_name in env
    sources: list[tuple[bool, _Key | None, str]] = []  # (seen, reference, what to show)
    if release is None or release < (2, 2) or not own:
        sources.append((class_name in uses.class_refs, uses.class_refs.get(class_name),
                        f"GatewayClass {class_name}"))
    if (release is None or release >= (2, 2)) and own:
        ref = env.get(class_name)
        sources.append((controllers, None if ref is None else
                        (KGATEWAY_GROUP, ref[0], ref[1]),
                        f"the kgateway controller Deployment (env {CLASS_REFS_ENV})"))
    if not any(seen for seen, _, _ in sources):
        return [], [what for _, _, what in sources]
    links: list[Resource] = []
    missing: list[str] = []
    for seen, key, _ in sources:
        if not seen or key is None or key[0] != KGATEWAY_GROUP:
            continue
        found = uses.parameters.get(key)
        if found is None:
            missing.append(f"GatewayParameters {key[1] or '-'}/{key[2]} (class {class_name}'s)")
        elif all(found is not link for link in links):
            links.append(found)
    return links, missing


def _class_names(index: StreamIndex, uses: _Uses) -> set[Any]:
    names = set(uses.class_refs)
    release = _kgateway_release(index)
    if release is None or release >= (2, 2):
        names |= set(index.view("parameters-merge/class-env", ("Deployment",), _class_env)[1])
    return names


def _kgateway_before(parameters: Resource, index: StreamIndex) -> Chain | None:
    """What a Gateway's kgateway ``parameters`` merge over before its class's: the default,
    ``()`` without it (2.3+ omit), or None when the class's securityContext does not count
    either (omit on 2.1 and 2.2)."""
    if kgateway_defaults_apply(parameters):
        return (DEFAULT,)
    release = _kgateway_release(index)
    if release is not None and release < (2, 1):
        return (DEFAULT,)  # 2.0 has no omitDefaultSecurityContext
    if release is not None and release < (2, 3):
        return None
    return ()


def _kgateway_release(index: StreamIndex) -> tuple[int, int] | None:
    found = index.generation
    if found.product is None or found.version is None or found.product.value != "kgateway":
        return None
    return (found.version[0], found.version[1])


def _class_env(index: StreamIndex) -> tuple[bool, dict[Any, tuple[Any, Any]]]:
    """Whether a kgateway controller Deployment is seen, and the class -> (namespace, name) its
    env ``KGW_GATEWAY_CLASS_PARAMETERS_REFS`` (JSON) names."""
    from gloo_harden.resources.podspec import containers, pod_spec

    seen = False
    refs: dict[Any, tuple[Any, Any]] = {}
    for deployment in index.seen("Deployment"):
        located = pod_spec(deployment.tree, deployment.kind)
        envs = [env for container in containers(located[0] if located else {})
                for env in (container.get("env") or []) if isinstance(env, dict)]
        if deployment.labels.get("app.kubernetes.io/name") != "kgateway" and \
                not any(str(env.get("name", "")).startswith("KGW_") for env in envs):
            continue
        seen = True
        for env in envs:
            if env.get("name") == CLASS_REFS_ENV:
                import json  # here, not at the top: 2 ms of every run

                try:
                    value = json.loads(str(env.get("value") or "{}"))
                except ValueError:
                    value = {}
                for name, ref in (value.items() if isinstance(value, dict) else ()):
                    ref = mapping(ref)
                    refs[name] = (_text(ref.get("namespace")), _text(ref.get("name")))
    return seen, refs


def added_capabilities(chain: Chain, keeps: str = "") -> list[tuple[str, Resource]]:
    """(capability, the link adding it) for every capability but NET_BIND_SERVICE that
    ``chain`` leaves in the Envoy container's ``capabilities.add``, folded as ``deepMergeSlices``
    does (an absent list keeps the one before, an empty one replaces it, any other is
    appended). kgateway's default adds NET_BIND_SERVICE only (2.0/2.1) or nothing. A link that
    opts out of the hardening ``keeps`` (its id) keeps its NET_BIND_SERVICE on purpose: it
    counts as well."""
    merged: list[tuple[str, Resource]] = []
    for link in chain:
        if link is None:
            continue  # kgateway's default: NET_BIND_SERVICE at most, appended before the rest
        context = _kube(link, "envoyContainer")
        add = mapping(context.get("capabilities")).get("add")
        if not isinstance(add, list):
            continue
        if not add:
            merged = []
            continue
        kept = bool(keeps) and keeps in link.skip_reasons()
        merged += [(str(c), link) for c in add
                   if kept or str(c).upper().removeprefix("CAP_") != "NET_BIND_SERVICE"]
    return merged


def _text(value: Any) -> str | None:
    """A name as the API server would take it: a string, else None (a malformed reference
    names nothing)."""
    return value if isinstance(value, str) else None
