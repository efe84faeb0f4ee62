"""``emit values``: the Helm values overlay that makes the Gloo or kgateway chart do as much
of the hardening itself as its release allows.

Built only from the decision record: a value is written for a change gloo-harden made, never
for one a guard kept back (no value turns on what a guard kept). Every other change is named
as not expressible, one line each, so the post-renderer or the patches stay in place for it.
Values and the template lines they act on (``../shared/notes/reach.md`` §b; Gloo chart
``install/helm/gloo/templates``):

================================  ====================================================  ========
change (hardening, object)        value                                                 release
================================  ====================================================  ========
drop-net-bind-service, gateway    ``gatewayProxies.<key>.podTemplate.disableNetBind:    all
proxy (label ``gloo:              true`` (``7-gateway-proxy-deployment.yaml``: ``if
gateway-proxy``)                  not …disableNetBind`` → ``add: [NET_BIND_SERVICE]``)
… when the container's security   ``gatewayProxies.<key>.podTemplate.                   1.14+
context is an override (no        glooContainerSecurityContext`` with the changed
``readOnlyRootFilesystem`` or     keys only: Helm merges it into the override the
no ``drop: [ALL]`` as read)       render came from (lists replaced), so the chart
                                  writes the hardened context
read-only-root-filesystem,        the same ``glooContainerSecurityContext`` keys        1.14+
gateway proxy                     (the chart's default has it; only an override
                                  loses it)
drop-net-bind-service /           ``ingressProxy.deployment.                            1.17+
read-only-root-filesystem,        ingressProxyContainerSecurityContext`` /
ingress / knative / cluster-      ``settings.integrations.knative.proxy.
ingress proxies                   containerSecurityContext``: the whole hardened
                                  context (the template's default is replaced, not
                                  merged); one value for the three knative-style proxies,
                                  so only when their hardened contexts are equal
disable-sa-token-automount,       ``gateway.proxyServiceAccount.disableAutomount: true``  all
the chart's proxy ServiceAccount  (``8-gateway-proxy-service-account.yaml``)
disable-kubernetes-destinations   ``settings.disableKubernetesDestinations: true``        all
Settings                          (``18-settings.yaml``)
the envoyContainer of             ``kubeGateway.gatewayParameters.glooGateway.           1.17+
GatewayParameters ``gloo-gateway``  envoyContainer.securityContext``: the whole
(Gloo Gateway, ``kubeGateway``)   hardened context (written verbatim by
                                  ``43-gatewayparameters.yaml``)
its sidecar templates             ``….sdsContainer.securityContext``, ``….istio.          1.17+
(``sdsContainer``, ``istio.       istioProxyContainer.securityContext``, ``….           (AI:
istioProxyContainer``,            aiExtension.securityContext``: the same, each          1.18+)
``aiExtension``)                  template's whole hardened context
``--profile restricted``, every   ``global.podSecurityStandards.container.              1.17+
container the chart's helper      enableRestrictedContainerDefaults: true`` (and
``gloo.containerSecurityContext`` ``defaultSeccompProfileType: RuntimeDefault``;
renders                           ``_helpers.tpl:197-230`` v1.17.0, ``:261-306``
                                  v1.22.1): only when, on every container it
                                  reaches, the keys it fills in are what the run
                                  wrote (a key equal to the pod's counts as the
                                  same); else the component's own value
                                  (``gateway.rolloutJob.containerSecurityContext``,
                                  ``…certGenJob…``, ``gloo.deployment.glooContainer
                                  SecurityContext``, ``global.glooMtls.*.
                                  securityContext`` …) with the whole hardened
                                  context, one value per component, so only when
                                  its containers agree (``values_restricted.py``)
``--profile restricted``, pod     ``gloo.deployment.podSecurityContext``,               1.17+
``seccompProfile`` of the gloo    ``gatewayProxies.<key>.podTemplate.
Deployment and a gateway proxy    podSecurityContext``: the whole hardened pod
                                  context (``1-gloo-deployment.yaml:45-50``,
                                  ``7-gateway-proxy-deployment.yaml:109-110``
                                  v1.22.1)
kgateway controller Deployment    ``podSecurityContext`` / ``securityContext``: the     2.x
(pod label ``kgateway:            whole hardened pod / container context (written
kgateway``): any change to its    verbatim, kgateway chart ``templates/
pod or container context          deployment.yaml:35-38`` / ``:41-44`` at v2.1.2
                                  and v2.2.0)
================================  ====================================================  ========

Never by a value: a pod-level ``automountServiceAccountToken`` (the templates render it on
ServiceAccounts only); the pod ``seccompProfile`` of discovery, ingress, the access logger,
the ingress/knative proxies and every Job and CronJob (no pod value: the switch puts it on
their containers, but ``restricted-seccomp`` decides at pod level and ``--check`` asks for
it there); ``restricted-host-namespaces``; containers the chart's helper does not render
(extra and init containers from values); a change the chart's switch would make together
with a key a guard kept back, when the component's value is shared by containers whose
hardened contexts differ; anything on ingress/knative proxies before 1.17 (hard-coded) and
anything of the restricted profile before 1.17 (no switch, no per-component values);
objects gloo-harden adds and the changes later hardenings make on them (the kgateway
2.0/2.1 chart has no ``gatewayClassParametersRefs``; from 2.2 the default proxy needs none,
and central GatewayParameters go in that value: the chart cannot render the object itself),
GatewayParameters of a kgateway 2.2+ render, and changes made by user patches. A gateway
proxy's key is its Deployment name in camelCase (the chart names it
``{{ $name | kebabcase }}``; inference: ``public-gw`` ← ``publicGw``).

Limit: the switch does not reach a container whose values replace the chart's defaults
(no ``mergePolicy: helm-merge``). A gateway proxy's Envoy container shows it (the chart's
defaults always hold ``readOnlyRootFilesystem: true``, ``drop: [ALL]`` and
``allowPrivilegeEscalation: false``: ``values_restricted.proxy_override``) and takes its own
value, the whole hardened context (harmless where the guess is wrong: Helm merges it into an
override, and it is complete where there is none); for the other components the render does
not show it, and ``--check`` over the render with the overlay then finds the keys it lacks.
"""

from __future__ import annotations

import re
from typing import Any

from gloo_harden.outputs.emit import values_restricted
from gloo_harden.outputs.emit.artefact import Artefact, Unexpressed, to_yaml
from gloo_harden.outputs.emit.decisions import Change, Decisions, Edit
from gloo_harden.resources.podspec import POD_SPEC_PATHS, pod_labels
from gloo_harden.resources.results import Severity

NAME = "values"
SUMMARY = "a Helm values overlay for the Gloo or kgateway chart (stdout, or -o FILE)"
DIRECTORY = False
DEFAULT_FILE = "values-hardening.yaml"

_CONTAINER = re.compile(r"^(spec\.template\.spec\.containers\[(\d+)\])\.securityContext\b")
_KNATIVE = ("clusteringress-proxy", "knative-external-proxy", "knative-internal-proxy")
_PROXY_CONTAINER_HARDENINGS = ("drop-net-bind-service", "read-only-root-filesystem")
#: container templates of GatewayParameters ``gloo-gateway`` whose securityContext the chart
#: writes verbatim from ``kubeGateway.gatewayParameters.glooGateway.<keys>.securityContext``
#: (``43-gatewayparameters.yaml``: v1.17.0 envoyContainer, sdsContainer 60-63, istio 81-84;
#: v1.22.1 sdsContainer 114-117, istio 135-138, aiExtension 156-159), and since which release
_PARAMETERS_CONTAINERS: tuple[tuple[tuple[str, ...], tuple[int, ...]], ...] = (
    (("envoyContainer",), (1, 17)), (("sdsContainer",), (1, 17)),
    (("istio", "istioProxyContainer"), (1, 17)), (("aiExtension",), (1, 18)))


def emit(decisions: Decisions) -> Artefact:
    product, version = _release(decisions.provenance.release)
    values: dict[str, Any] = {}
    unexpressed: list[Unexpressed] = []
    knative: dict[str, Any] = {}  # proxy name → its hardened context
    restricted: list[tuple[Change, Edit]] = []
    for change in decisions.changes:
        for edit in _unique(change.edits):
            if product == "gloo" and version >= (1, 17) \
                    and edit.hardening.startswith(values_restricted.PREFIX) \
                    and change.ref.kind in POD_SPEC_PATHS:
                restricted.append((change, edit))
                continue
            where = _value_for(change, edit, product, version, values, knative)
            if where is not None:
                unexpressed.append(Unexpressed(edit.hardening, change.ref, where))
    contexts = list(knative.values())
    if contexts and all(c == contexts[0] for c in contexts):
        _set(values, "settings.integrations.knative.proxy.containerSecurityContext", contexts[0])
    elif contexts:
        unexpressed += [Unexpressed(h, change.ref, "one chart value "
                                    "(settings.integrations.knative.proxy."
                                    "containerSecurityContext) sets all knative-style proxies, "
                                    "and their hardened security contexts differ")
                        for change in decisions.changes if _proxy_name(change) in knative
                        for h in change.hardenings]
    values_restricted.apply(decisions, restricted, values, unexpressed, _set)
    for a in decisions.additions:  # the object, and every later change made on it
        later = dict.fromkeys(r.hardening for r in decisions.results
                              if r.resource == a.ref and r.hardening and r.field
                              and r.severity is Severity.INFO and r.hardening != a.hardening)
        unexpressed += [Unexpressed(h, a.ref, _addition_why(product, version))
                        for h in (a.hardening, *later) if h]
    text = decisions.provenance.comment(NAME)
    text += ("# Give it to helm after your own values (-f yours.yaml -f this.yaml); what no "
             "value can do\n# is named on stderr: keep the post-renderer or the patches for "
             "it.\n")
    text += to_yaml(values) if values else "{}\n"
    return Artefact(((DEFAULT_FILE, text),), tuple(unexpressed))


def _value_for(change: Change, edit: Edit, product: str, version: tuple[int, ...],
               values: dict[str, Any], knative: dict[str, Any]) -> str | None:
    """Set the value that makes ``edit`` in ``values``; else say why none can (the line)."""
    kind, name = change.ref.kind, change.ref.name or ""
    if product == "kgateway" and kind == "GatewayParameters" and version >= (2, 2):
        return ("the kgateway chart renders no GatewayParameters: apply this one hardened "
                "(gloo-harden emit kustomize) and name it in the chart's "
                "gatewayClassParametersRefs")
    if product == "kgateway" and kind == "Deployment" \
            and pod_labels(change.before, kind).get("kgateway") == "kgateway":
        return _kgateway_controller(change, edit, values)
    if product != "gloo":
        return (f"the {product or 'unknown'} chart has no value for it; keep the post-renderer "
                "or patches")
    role = _proxy_role(change)
    if edit.hardening == "disable-kubernetes-destinations" and kind == "Settings":
        _set(values, "settings.disableKubernetesDestinations", True)
        return None
    if edit.hardening == "disable-sa-token-automount":
        if kind == "ServiceAccount" and name == "gateway-proxy":
            _set(values, "gateway.proxyServiceAccount.disableAutomount", True)
            return None
        if kind == "ServiceAccount":
            return ("the chart renders no value for this ServiceAccount's "
                    "automountServiceAccountToken (only gateway.proxyServiceAccount)")
        return ("no chart value sets a pod-level automountServiceAccountToken (the templates "
                "write it on ServiceAccounts only)")
    if kind == "GatewayParameters" and name == "gloo-gateway" and version >= (1, 17):
        for keys, since in _PARAMETERS_CONTAINERS:
            if edit.field.startswith(f"spec.kube.{'.'.join(keys)}.securityContext") \
                    and version >= since:
                context = change.after["spec"]["kube"]
                for key in (*keys, "securityContext"):
                    context = context[key]
                _set(values, f"kubeGateway.gatewayParameters.glooGateway.{'.'.join(keys)}."
                     "securityContext", context)
                return None
    container = _CONTAINER.match(edit.field)
    if edit.hardening in _PROXY_CONTAINER_HARDENINGS and container and role is not None:
        return _container_value(change, edit, int(container.group(2)), role, version, values,
                                knative)
    if kind == "GatewayParameters":
        return ("the Gloo chart renders only GatewayParameters gloo-gateway from values "
                "(kubeGateway.gatewayParameters.glooGateway: from 1.17 the envoyContainer, "
                "sdsContainer and istio.istioProxyContainer contexts, from 1.18 aiExtension's)")
    if edit.hardening.startswith(values_restricted.PREFIX):
        containers = change.after["spec"]["template"]["spec"]["containers"]
        if container and role == "gateway-proxy" \
                and containers[int(container.group(2))].get("name") == name \
                and values_restricted.get(values, f"gatewayProxies.{_camel(name)}.podTemplate."
                                          "glooContainerSecurityContext") is not None:
            return None  # its changed keys were taken from the hardened object: this one too
        return ("before Gloo 1.17 the chart has no restricted defaults and no value for this "
                "object's security context")
    return ("no chart value is known for this change (a profile's or a user's patch, or an "
            "object the chart does not render from values)")


def _container_value(change: Change, edit: Edit, index: int, role: str,
                     version: tuple[int, ...], values: dict[str, Any],
                     knative: dict[str, Any]) -> str | None:
    before = _context(change.before, index)
    after = _context(change.after, index)
    name = change.ref.name or ""
    container = change.after["spec"]["template"]["spec"]["containers"][index]
    if container.get("name") != name:  # a sidecar (--sidecars): the chart's value is Envoy's
        return (f"container {container.get('name')!s} is not the proxy's Envoy container, "
                "whose security context is the only one the proxy values set")
    if role == "gateway-proxy":
        base = f"gatewayProxies.{_camel(name)}.podTemplate"
        overridden = before.get("readOnlyRootFilesystem") is not True \
            or "ALL" not in ((before.get("capabilities") or {}).get("drop") or [])
        if edit.hardening == "drop-net-bind-service" and not overridden:
            _set(values, f"{base}.disableNetBind", True)
            return None
        if version < (1, 14):
            return (f"before Gloo 1.14 no value overrides the proxy's container security "
                    f"context ({'.'.join(base.split('.')[:2])} has only disableNetBind)")
        for key, value in _changed_keys(before, after).items():
            _set(values, f"{base}.glooContainerSecurityContext.{key}", value)
        return None
    if version < (1, 17):
        return (f"the chart hard-codes the {role} container's security context before Gloo "
                "1.17 (add: [NET_BIND_SERVICE])")
    if role == "ingress-proxy":
        _set(values, "ingressProxy.deployment.ingressProxyContainerSecurityContext", after)
        return None
    knative[name] = after
    return None


def _kgateway_controller(change: Change, edit: Edit, values: dict[str, Any]) -> str | None:
    """The kgateway controller's contexts: ``podSecurityContext`` and ``securityContext`` are
    written verbatim (``templates/deployment.yaml:35-38`` and ``:41-44`` at v2.1.2 and v2.2.0),
    so each takes the whole hardened context."""
    spec = change.after["spec"]["template"]["spec"]
    if edit.field.startswith("spec.template.spec.securityContext"):
        _set(values, "podSecurityContext", spec.get("securityContext") or {})
        return None
    if edit.field.startswith("spec.template.spec.containers[0].securityContext"):
        _set(values, "securityContext", spec["containers"][0].get("securityContext") or {})
        return None
    return ("the kgateway chart's values set only the controller's pod and container "
            "security contexts (podSecurityContext, securityContext)")


def _changed_keys(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Top-level keys of a security context that differ; ``capabilities`` key by key."""
    out: dict[str, Any] = {}
    for key, value in after.items():
        if before.get(key) == value:
            continue
        if key == "capabilities" and isinstance(value, dict):
            old = before.get(key) or {}
            out.update({f"capabilities.{k}": v for k, v in value.items() if old.get(k) != v})
        else:
            out[key] = value
    return out


def _context(obj: dict[str, Any], index: int) -> dict[str, Any]:
    containers = obj["spec"]["template"]["spec"]["containers"]
    context = containers[index].get("securityContext")
    return context if isinstance(context, dict) else {}


def _proxy_role(change: Change) -> str | None:
    """``gateway-proxy`` for a chart gateway proxy, the name of an ingress/knative proxy."""
    if change.ref.kind not in ("Deployment", "DaemonSet"):
        return None
    labels = ((change.before.get("metadata") or {}).get("labels")) or {}
    pod_labels = (((change.before.get("spec") or {}).get("template") or {}).get("metadata")
                  or {}).get("labels") or {}
    if "gateway-proxy" in (labels.get("gloo"), pod_labels.get("gloo")):
        return "gateway-proxy"
    name = change.ref.name or ""
    return name if name == "ingress-proxy" or name in _KNATIVE else None


def _proxy_name(change: Change) -> str:
    return change.ref.name or ""


def _addition_why(product: str, version: tuple[int, ...]) -> str:
    if product == "kgateway" and version[:2] in ((2, 0), (2, 1)):
        return ("the kgateway 2.0/2.1 chart has no value that renders a class-level "
                "GatewayParameters or GatewayClass (gatewayClassParametersRefs comes in 2.2); "
                "apply the object beside the release (gloo-harden emit kustomize writes it)")
    return "no chart value renders this object; apply it beside the release"


def _unique(edits: tuple[Edit, ...]) -> list[Edit]:
    """One edit per (hardening, field)."""
    seen: dict[tuple[str, str], Edit] = {}
    for edit in edits:
        seen.setdefault((edit.hardening, edit.field), edit)
    return list(seen.values())


def _camel(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _release(release: str) -> tuple[str, tuple[int, ...]]:
    product, _, version = release.partition("-")
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:3])
    return product, numbers or (0,)


def _set(values: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = values
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
