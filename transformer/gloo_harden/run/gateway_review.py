"""What the Gateway API controllers' merge can undo, and what their proxies need: results only.

The proxies of Gloo Gateway 1.17+ and kgateway 2.x are made at run time by merging the
GatewayClass's GatewayParameters, then a Gateway's own, over the controller's defaults
(``../shared/notes/gateway-api.md`` §2b). A hardened GatewayParameters is therefore not yet a
hardened proxy; this module says, per object, what in the stream undoes it or cannot be seen,
and which release each statement assumes. It changes nothing. Each statement has a topic
(``TOPICS``); a built-in patch file's ``review:`` lists the topics said in its name, so every
result names the hardening it is about and ``--disable ID`` silences it with the hardening
(a topic no enabled hardening owns is not said).

- ``omitDefaultSecurityContext: true``: kgateway 2.1.x discards the whole class-level
  GatewayParameters, 2.2.0 its Envoy securityContext (fixed in v2.3.0, #13811), and from 2.1
  no unprivileged-port sysctl is added (``gateway_parameters.go@v2.1.2:195-205``);
- kgateway 2.3+ overlays (``deploymentOverlay``, ``serviceAccountOverlay``…), applied after
  the merge: capabilities added, ``readOnlyRootFilesystem: false``, a securityContext or the
  ``xds-token`` volume deleted or replaced, another ServiceAccount, a token automounted;
- per-Gateway and class references to GatewayParameters that are not in the stream (Gloo:
  annotation ``gateway.gloo.solo.io/gateway-parameters-name``; kgateway:
  ``spec.infrastructure.parametersRef``);
- kgateway 2.2+: the class takes ``parametersRef`` only from the controller env
  ``KGW_GATEWAY_CLASS_PARAMETERS_REFS`` (Helm ``gatewayClassParametersRefs``);
- token automount: already off in every deployer template (the ServiceAccount it renders),
  with kgateway's projected ``xds-token`` the proxy needs: said once, nothing changed.

An overlay that undoes a hardening (adds capabilities, makes the root writable, deletes or
replaces the hardened securityContext, mounts the token) is tagged ``hardening-undone``: a
warning, an error under ``--strict``, and it fails ``--check``, so a gate after the last layer
catches it. The GatewayParameters opts out with ``gloo-harden.dev/skip: "<id>=<reason>"``
(then it is said as info).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from gloo_harden.gloo.index import StreamIndex
from gloo_harden.gloo.release_detection import Generation, Product
from gloo_harden.guards.no_privileged_ports import parameters_port_start
from gloo_harden.resources.model import Resource
from gloo_harden.resources.podspec import containers, mapping, pod_spec
from gloo_harden.resources.podspec import items as listed
from gloo_harden.resources.results import (
    UNDONE,
    Result,
    Severity,
    show_text,
    show_value,
)
from gloo_harden.yamltext.yamlio import to_plain

if TYPE_CHECKING:
    from gloo_harden.patching.hardening import Hardening

#: The topics of the review: capabilities the proxy gets, its root filesystem, its API token,
#: and adopting an added GatewayClass into an installed release.
NBS, READ_ONLY, AUTOMOUNT, ADD_CLASS = ("capabilities", "read-only-root", "token",
                                        "class-adoption")
TOPICS = frozenset({NBS, READ_ONLY, AUTOMOUNT, ADD_CLASS})
PARAMETER_GROUPS = {"gateway.gloo.solo.io": Product.GLOO, "gateway.kgateway.dev": Product.KGATEWAY}
GLOO_ANNOTATION = "gateway.gloo.solo.io/gateway-parameters-name"
CLASS_REFS_ENV = "KGW_GATEWAY_CLASS_PARAMETERS_REFS"
OVERLAYS = ("deploymentOverlay", "serviceAccountOverlay", "serviceOverlay",
            "podDisruptionBudget", "horizontalPodAutoscaler", "verticalPodAutoscaler")


def owners(hardenings: Iterable[Hardening]) -> dict[str, str]:
    """Topic -> the id of the hardening that says it (its patch file's ``review:``)."""
    return {topic: h.id for h in hardenings for topic in h.review}


def review(index: StreamIndex, owned: Mapping[str, str], added_class: bool = False,
           strict: bool = False) -> list[Result]:
    """Every statement about the Gateway API objects of ``index`` whose topic a hardening
    owns (``owners``), named by that hardening."""
    found = index.generation
    if not found.gateway_api:
        return []
    out: list[Result] = []
    parameters = [r for group in PARAMETER_GROUPS
                  for r in index.of_kind("GatewayParameters", group=group)]
    podinfo = found.product is Product.KGATEWAY and found.at_least(2, 4)
    for resource in parameters:
        kube = mapping(mapping(resource.tree.get("spec")).get("kube"))
        if kube.get("omitDefaultSecurityContext") is True:
            out += _omit(resource, found)
        for key in OVERLAYS:
            if isinstance(kube.get(key), dict):
                for severity, hid, path, message, undoes in _overlay(key, to_plain(kube[key]),
                                                                     podinfo):
                    said = _result(severity, hid, resource, f"spec.kube.{key}{path}", message)
                    out.append(said._replace(tag=UNDONE) if undoes else said)
    out += _references(index, parameters)
    out += _class_wiring(index, found, added_class)
    if found.product is not None:
        out.append(Result(Severity.INFO, f"{found.product.value} proxies: the deployer renders "
                          "each Gateway's ServiceAccount with automountServiceAccountToken: false"
                          + (" and mounts the projected xds-token the proxy authenticates xDS "
                             "with (kept)" if found.product is Product.KGATEWAY else "")
                          + "; nothing to change", hardening=AUTOMOUNT))
    by_ref = {r.ref: r for r in parameters}
    # one statement that concerns two topics (capabilities and the root filesystem) comes
    # once per owning hardening; the run says it once (results.said_once, run.pipeline)
    return [_undone(r._replace(hardening=owned[topic]), by_ref, strict) for r in out
            if (topic := r.hardening) is not None and topic in owned]


def _omit(resource: Resource, found: Generation) -> list[Result]:
    field = "spec.kube.omitDefaultSecurityContext"
    if found.product is Product.GLOO:
        return []
    # parameters that carry the unprivileged-port sysctl themselves bind any port
    own_sysctl = parameters_port_start(mapping(resource.tree.get("spec")).get("kube")) == 0
    binds = ("" if own_sysctl else ", and adds no unprivileged-port sysctl: listeners below "
             "1024 need the sysctl in podTemplate or NET_BIND_SERVICE")
    if found.version is None:
        what = "kgateway 2.1.x discards the whole class-level GatewayParameters, 2.2.0 its " \
               "Envoy securityContext"
    elif found.at_least(2, 3):
        if own_sysctl:
            return []
        return [_result(Severity.WARNING, NBS, resource, field,
                        f"kgateway {found.version} keeps the class-level fields but adds no "
                        "net.ipv4.ip_unprivileged_port_start sysctl: its Gateways cannot bind "
                        "listeners below 1024")]
    elif found.at_least(2, 2):
        what = f"kgateway {found.version} discards the class-level Envoy securityContext"
    elif found.at_least(2, 1):
        what = f"kgateway {found.version} discards the whole class-level GatewayParameters"
    else:
        return []
    return [_result(Severity.WARNING, hid, resource, field,
                    f"{what} for Gateways using this one, so it must carry the hardening itself "
                    f"(gloo-harden hardens it here){binds}")
            for hid in (NBS, READ_ONLY)]


def _undone(result: Result, parameters: Mapping[Any, Resource], strict: bool) -> Result:
    """An overlay's result that undoes a hardening (tag ``UNDONE``): it fails ``--check``, an
    error under ``--strict``, unless the GatewayParameters opts out of that hardening (then
    info, untagged)."""
    resource = parameters.get(result.resource)
    if result.tag != UNDONE or resource is None or result.hardening is None:
        return result
    reasons = resource.skip_reasons()
    if result.hardening in reasons:
        why = reasons[result.hardening] or "no reason given"
        return result._replace(severity=Severity.INFO, tag=None, message=result.message
                               + f"; accepted by annotation gloo-harden.dev/skip: {why}")
    return result._replace(severity=Severity.ERROR if strict else Severity.WARNING,
                           message=result.message + " (undoes the hardening; to accept it, "
                           "annotate the GatewayParameters gloo-harden.dev/skip: "
                           f'"{result.hardening}=<reason>")')


def _overlay(key: str, overlay: Any, podinfo: bool = False
             ) -> Iterator[tuple[Severity, str, str, str, bool]]:
    """(severity, hardening, path, message, undoes a hardening) for each thing an overlay
    undoes or breaks; ``podinfo``: the release mounts the podinfo volume (kgateway 2.4+)."""
    applied = "applied after the merge, it"
    for path, node in _walk(overlay, ""):
        if not isinstance(node, dict):
            continue
        caps = mapping(node.get("capabilities"))
        if listed(caps.get("add")):
            yield (Severity.WARNING, NBS, f"{path}.capabilities.add",
                   f"{applied} adds capabilities {show_value(listed(caps.get('add')))} to the "
                   "proxy", True)
        if node.get("readOnlyRootFilesystem") is False:
            yield (Severity.WARNING, READ_ONLY, f"{path}.readOnlyRootFilesystem",
                   f"{applied} makes the root filesystem writable", True)
        context = node.get("securityContext")
        if isinstance(context, dict) and context.get("$patch") in ("delete", "replace"):
            yield (Severity.WARNING, READ_ONLY, f"{path}.securityContext",
                   f"{applied} {show_text(context['$patch'])}s the hardened securityContext",
                   True)
        if node.get("automountServiceAccountToken") is True:
            yield (Severity.WARNING, AUTOMOUNT, f"{path}.automountServiceAccountToken",
                   f"{applied} mounts the API token", True)
        if "serviceAccountName" in node or (key == "serviceAccountOverlay" and path == ".metadata"
                                            and "name" in node):
            yield (Severity.WARNING, AUTOMOUNT, path,
                   f"{applied} renames the proxy ServiceAccount; kgateway derives the proxy's "
                   "xDS identity from the Gateway's ServiceAccount name", False)
        volumes = node.get("volumes")
        if isinstance(volumes, list) and _drops(volumes, "xds-token"):
            yield (Severity.WARNING, AUTOMOUNT, f"{path}.volumes",
                   f"{applied} drops the projected xds-token volume kgateway ≥2.0.5 "
                   "authenticates xDS with: the proxy gets no configuration", False)
        if isinstance(volumes, list) and podinfo and _drops(volumes, "podinfo"):
            yield (Severity.WARNING, AUTOMOUNT, f"{path}.volumes",
                   f"{applied} drops the downwardAPI podinfo volume kgateway ≥2.4 mounts at "
                   "/etc/podinfo on the proxy (#14288): keep it as well as xds-token", False)


def _drops(volumes: list[Any], name: str) -> bool:
    """An overlay's ``volumes`` delete the volume ``name``, or replace the list without it."""
    names = {str(v.get("name")): v for v in volumes if isinstance(v, dict)}
    if names.get(name, {}).get("$patch") == "delete":
        return True
    replaced = any(isinstance(v, dict) and v.get("$patch") == "replace" for v in volumes)
    return replaced and name not in names


def _walk(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


def _references(index: StreamIndex, parameters: list[Resource]) -> list[Result]:
    """Gateways and GatewayClasses naming GatewayParameters the stream does not hold."""
    have = {(r.namespace, r.name) for r in parameters}
    out = []
    for gateway in index.of_kind("Gateway", group="gateway.networking.k8s.io"):
        named = gateway.annotations.get(GLOO_ANNOTATION)
        spec = mapping(gateway.tree.get("spec"))
        ref = mapping(mapping(spec.get("infrastructure")).get("parametersRef"))
        field = f"metadata.annotations.{GLOO_ANNOTATION}"
        if not named and ref.get("kind") == "GatewayParameters":
            named, field = ref.get("name"), "spec.infrastructure.parametersRef"
        if named and (gateway.namespace, str(named)) not in have:
            out += [_result(Severity.WARNING, hid, gateway, field,
                            f'names GatewayParameters "{show_text(named)}", which is not in '
                            "the stream: it is merged over the hardened class parameters unseen "
                            "(capabilities appended, readOnlyRootFilesystem: false wins); run "
                            "gloo-harden where it is applied") for hid in (NBS, READ_ONLY)]
    for gateway_class in index.of_kind("GatewayClass"):
        ref = mapping(mapping(gateway_class.tree.get("spec")).get("parametersRef"))
        if ref.get("kind") == "GatewayParameters" and \
                (ref.get("namespace"), show_text(ref.get("name"))) not in have:
            out.append(_result(Severity.WARNING, NBS, gateway_class, "spec.parametersRef",
                               f'names GatewayParameters {show_text(ref.get("namespace") or "-")}/'
                               f'{show_text(ref.get("name"))}'
                               ", which is not in the stream: it cannot be checked"))
    return out


def _class_wiring(index: StreamIndex, found: Generation, added_class: bool) -> list[Result]:
    """How the kgateway class reaches its GatewayParameters, for this release."""
    from gloo_harden.scopes.kgateway_class import controllers

    if found.product is not Product.KGATEWAY or found.version is None:
        return []
    deployments = controllers(index)
    helm = _by_helm(index, deployments)
    out: list[Result] = _waypoint(found, deployments)
    if added_class:
        release = deployments[0].labels.get("app.kubernetes.io/instance", "RELEASE")
        namespace = deployments[0].namespace or "NAMESPACE"
        out.append(Result(Severity.WARNING if helm else Severity.INFO,
                          f"GatewayClass kgateway, added here, becomes part of what you apply "
                          f"({'the Helm release' if helm else 'with Helm: the release'}): "
                          f"{UPGRADE_DELETES}", hardening=ADD_CLASS))
        return out + [Result(Severity.INFO, f"kgateway {found.version} creates GatewayClass kgateway "
                       "itself when it is missing, so an installed release already has one: "
                       "kubectl apply updates it; Helm adopts it only once labelled and "
                       "annotated for the release (kubectl label gatewayclass kgateway "
                       "app.kubernetes.io/managed-by=Helm; kubectl annotate gatewayclass "
                       f"kgateway meta.helm.sh/release-name={release} "
                       f"meta.helm.sh/release-namespace={namespace})", hardening=ADD_CLASS)]
    if not found.at_least(2, 2):
        return out + [_result(Severity.WARNING, NBS, gateway_class, "spec.parametersRef",
                        f"kgateway {found.version} builds this class's proxies on its default, "
                        "which adds NET_BIND_SERVICE, and no class-level GatewayParameters is "
                        "added while the stream has this class: set spec.parametersRef to a "
                        "GatewayParameters whose envoyContainer has capabilities.add: [] "
                        "(gloo-harden hardens it where it is)")
                for gateway_class in index.of_kind("GatewayClass")
                if gateway_class.name == "kgateway" and deployments
                and mapping(mapping(gateway_class.tree.get("spec")).get("parametersRef"))
                .get("kind") != "GatewayParameters"]
    refs = {}
    for deployment in deployments:
        refs.update(_env_refs(deployment))
    if helm and deployments and not any(c.name == "kgateway" for c in index.of_kind("GatewayClass")):
        out.append(Result(Severity.WARNING, f"kgateway {found.version} under Helm: if an earlier "
                          "run on kgateway 2.0/2.1 added GatewayClass kgateway to this release, "
                          f"this upgrade leaves it out: {UPGRADE_DELETES}", hardening=ADD_CLASS))
    for gateway_class in index.of_kind("GatewayClass"):
        ref = mapping(mapping(gateway_class.tree.get("spec")).get("parametersRef"))
        if gateway_class.name in ("kgateway", "kgateway-waypoint") and ref and \
                gateway_class.name not in refs and deployments:
            out.append(_result(Severity.WARNING, NBS, gateway_class, "spec.parametersRef",
                               f"kgateway {found.version} applies this class itself and takes "
                               f"parametersRef only from {CLASS_REFS_ENV}: set Helm "
                               f"gatewayClassParametersRefs.{gateway_class.name} to "
                               f"{show_text(ref.get('namespace') or '-')}/"
                               f"{show_text(ref.get('name'))}"))
    if deployments and not refs:
        out.append(Result(Severity.INFO, f"kgateway {found.version}: the controller's default "
                          "proxy has no NET_BIND_SERVICE and a read-only root filesystem, so no "
                          "class-level GatewayParameters is added (central ones go in Helm "
                          f"gatewayClassParametersRefs, env {CLASS_REFS_ENV})", hardening=NBS))
    return out


#: What happens to the GatewayClass added for kgateway 2.0/2.1 once it is no longer added, and
#: the safe path (README "Upgrading kgateway 2.0/2.1").
UPGRADE_DELETES = (
    "after moving to kgateway 2.2+ (nothing is added there) or disabling "
    "add-kgateway-class-parameters, the next helm upgrade deletes the class every Gateway uses. "
    "Before that upgrade, run: kubectl annotate gatewayclass kgateway "
    "helm.sh/resource-policy=keep (Helm then leaves it), and afterwards remove its parametersRef "
    "if the GatewayParameters goes too")


def _by_helm(index: StreamIndex, deployments: list[Resource]) -> bool:
    """The stream comes from a Helm post-renderer: Helm 3 (``gloo.clients``) or Helm 4 (its
    annotation on each document)."""
    from gloo_harden.gloo.clients import HELM3_POST_RENDERER, HELM4_ANNOTATION

    return index.client == HELM3_POST_RENDERER or any(
        HELM4_ANNOTATION.decode() in d.annotations for d in deployments)


def _waypoint(found: Generation, deployments: list[Resource]) -> list[Result]:
    """kgateway 2.0/2.1 with ``waypoint.enabled`` (env ``KGW_ENABLE_WAYPOINT``) also serves
    class ``kgateway-waypoint``, whose Envoy proxies take the in-memory default that adds
    NET_BIND_SERVICE unless the class has parameters (gateway-api.md §9). Said, not hardened:
    the class carries Istio's ``ambient.istio.io/waypoint-inbound-binding`` annotation, which
    an added copy would have to repeat exactly."""
    if found.at_least(2, 2):
        return []
    return [_result(Severity.WARNING, NBS, d, "spec.template.spec.containers",
                    f"kgateway {found.version} with waypoint enabled (env KGW_ENABLE_WAYPOINT) "
                    "also serves GatewayClass kgateway-waypoint, whose Envoy proxies keep the "
                    "controller's default NET_BIND_SERVICE: give that class a parametersRef to "
                    "a GatewayParameters with envoyContainer.securityContext.capabilities.add: "
                    "[] (keep the class's ambient.istio.io/waypoint-inbound-binding "
                    "annotation), or move to kgateway 2.2+")
            for d in deployments if _env(d, "KGW_ENABLE_WAYPOINT").lower() == "true"]


def _env(deployment: Resource, name: str) -> str:
    located = pod_spec(deployment.tree, deployment.kind)
    for container in containers(located[0] if located else {}):
        for env in listed(container.get("env")):
            if isinstance(env, dict) and env.get("name") == name:
                return str(env.get("value") or "")
    return ""


def _env_refs(deployment: Resource) -> dict[str, Any]:
    located = pod_spec(deployment.tree, deployment.kind)
    for container in containers(located[0] if located else {}):
        for env in listed(container.get("env")):
            if isinstance(env, dict) and env.get("name") == CLASS_REFS_ENV:
                import json  # here, not at the top: 2 ms of every run

                try:
                    refs = json.loads(str(env.get("value") or "{}"))
                except ValueError:
                    return {}
                return refs if isinstance(refs, dict) else {}
    return {}


def _result(severity: Severity, hardening: str, resource: Resource, field: str,
            message: str) -> Result:
    return Result(severity, message, hardening=hardening, resource=resource.ref,
                  field=resource.field(field), file=resource.document.source,
                  document=resource.document.index)
