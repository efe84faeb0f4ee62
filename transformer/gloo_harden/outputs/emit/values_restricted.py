"""``emit values`` for the ``restricted`` profile on the Gloo chart 1.17+: the chart's own
restricted defaults where they are right, per-component security-context values where they
are not, and a line for the rest.

The chart's switch (``install/helm/gloo/templates/_helpers.tpl``, ``gloo.containerSecurityContext``:
v1.17.0 lines 197-230, v1.22.1 lines 261-306): with
``global.podSecurityStandards.container.enableRestrictedContainerDefaults: true`` the helper
runs ``merge $defaults $pss_restricted_defaults`` with ``runAsNonRoot: true``,
``capabilities.drop: [ALL]``, ``allowPrivilegeEscalation: false`` and ``seccompProfile.type:``
``defaultSeccompProfileType`` (``RuntimeDefault`` unless set). Sprig's ``merge`` (mergo, no
overwrite) fills the keys the defaults lack or hold empty (``false``, ``[]``): the defaults
win otherwise, so a default ``add: [NET_BIND_SERVICE]`` stays. A container whose values
replace the defaults (no ``mergePolicy: helm-merge``: ``or $values $defaults``) does not take
them: a gateway proxy's Envoy container whose render is such an override
(``proxy_override``) takes its own value instead. It reaches exactly the containers of
``CONTAINERS`` (every ``include "gloo.containerSecurityContext"`` at v1.17.0 and v1.22.1);
extra containers and init containers from values (``podTemplate.extraContainers``, ``extraInitContainers``,
``extraContainersHelper``: ``7-gateway-proxy-deployment.yaml:158-169`` at v1.17.0) are not.

The switch is written only when, on every container it reaches, the keys it would add give
the container the state gloo-harden wrote (a key equal to the pod's own, e.g. ``seccompProfile``
where ``restricted-seccomp`` wrote it on the pod, counts as the same: the container's value only
overrides the pod's, Kubernetes ``SecurityContext`` API). One key that a guard kept back, an
opt-out annotation, or a ``--disable`` left out (``runAsNonRoot`` kept for an unknown user,
``drop: [ALL]`` kept for a third-party image running as root, a custom pod seccomp profile)
and it is not written: the changes it would have carried then go by the component's value
(the whole hardened context, ``CONTAINERS``), or are named with the reason.

Pod level (``restricted-seccomp`` writes the pod's ``seccompProfile``; ``--check`` asks for
it even when every container has one): ``POD_VALUES`` — ``gloo.deployment.podSecurityContext``
(``1-gloo-deployment.yaml:45-46`` v1.17.0, ``:45-50`` v1.22.1, written as given) and
``gatewayProxies.<key>.podTemplate.podSecurityContext`` (``7-gateway-proxy-deployment.yaml:
108-109`` v1.17.0, ``:109-110`` v1.22.1; rendered only with ``enablePodSecurityContext``, so
only for a proxy whose render has a pod security context), each the whole hardened pod
context. Discovery's pod context is built from ``fsGroup``/``runAsUser`` only
(``3-discovery-deployment.yaml:100-106`` v1.17.0, ``:127-135`` v1.22.1), ingress and the access
logger hard-code theirs (``10-ingress-deployment.yaml:41-45``, ``6-access-logger-deployment.yaml:
51-55``), the Jobs, CronJobs and ingress/knative proxies render none: named.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from gloo_harden.outputs.emit.artefact import Unexpressed
from gloo_harden.outputs.emit.decisions import Change, Decisions, Edit, ref_of
from gloo_harden.resources.podspec import POD_SPEC_PATHS, mapping, pod_labels, pod_spec
from gloo_harden.resources.results import ResourceRef

#: how a value is written: ``set_value(values, "a.b.c", value)``
SetValue = Callable[[dict[str, Any], str, Any], None]

PREFIX = "restricted-"
SWITCH = "global.podSecurityStandards.container"
#: what the helper merges into a container's defaults (``_helpers.tpl`` above)
PSS_DEFAULTS: dict[str, Any] = {"runAsNonRoot": True, "capabilities": {"drop": ["ALL"]},
                                "allowPrivilegeEscalation": False,
                                "seccompProfile": {"type": "RuntimeDefault"}}
#: the hardening that writes each key of ``PSS_DEFAULTS``
HARDENING_OF = {"runAsNonRoot": "restricted-run-as-non-root",
                "capabilities": "restricted-drop-all-capabilities",
                "allowPrivilegeEscalation": "restricted-no-privilege-escalation",
                "seccompProfile": "restricted-seccomp"}
#: keys a container inherits from its pod's securityContext (Kubernetes PodSecurityContext)
POD_LEVEL = ("runAsNonRoot", "runAsUser", "runAsGroup", "seccompProfile", "seLinuxOptions",
             "windowsOptions", "appArmorProfile")

_KUBECTL = "gateway.rolloutJob.containerSecurityContext"
_CERTGEN = "gateway.certGenJob.containerSecurityContext"
_KNATIVE = "settings.integrations.knative.proxy.containerSecurityContext"
#: workload name → {container the helper renders: the value of its security context}. Lines at
#: v1.17.0 / v1.22.1 of ``install/helm/gloo/templates``.
CONTAINERS: dict[str, dict[str, str | None]] = {
    # 1-gloo-deployment.yaml:87,130,171 / :91,134,175
    "gloo": {"envoy-sidecar": "global.glooMtls.envoy.securityContext",
             "sds": "global.glooMtls.sds.securityContext",
             "gloo": "gloo.deployment.glooContainerSecurityContext"},
    # 3-discovery-deployment.yaml:70 / :70
    "discovery": {"discovery": "discovery.deployment.discoveryContainerSecurityContext"},
    # 10-ingress-deployment.yaml:50 / :50
    "ingress": {"ingress": "ingress.deployment.ingressContainerSecurityContext"},
    # 6-access-logger-deployment.yaml:60 / :60
    "gateway-proxy-access-logger": {
        "access-logger": "accessLogger.accessLoggerContainerSecurityContext"},
    # 11-ingress-proxy-deployment.yaml:73; 14-…:67, 26-…:70, 29-…:70
    "ingress-proxy": {
        "ingress-proxy": "ingressProxy.deployment.ingressProxyContainerSecurityContext"},
    **{proxy: {proxy: _KNATIVE} for proxy in (
        "clusteringress-proxy", "knative-external-proxy", "knative-internal-proxy")},
    # 5-resource-rollout-job.yaml:81, -cleanup-job:51, -migration-job:51, -rollout-check-job:78,
    # -rollout-cleanup-job:51 (both tags)
    **{job: {"kubectl": _KUBECTL} for job in (
        "gloo-resource-rollout", "gloo-resource-cleanup", "gloo-resource-migration",
        "gloo-resource-rollout-check", "gloo-resource-rollout-cleanup")},
    # 6.5-gateway-certgen-job.yaml:53 / :54, 6.5-…-cronjob.yaml:51 / :52,
    # 19-gloo-mtls-certgen-job.yaml:59, 19-…-cronjob.yaml:51
    **{job: {"certgen": _CERTGEN} for job in (
        "gateway-certgen", "gateway-certgen-cronjob", "gloo-mtls-certgen",
        "gloo-mtls-certgen-cronjob")},
}
#: the containers of a gateway proxy (pod label ``gloo: gateway-proxy``):
#: 7-gateway-proxy-deployment.yaml:220,303,367 / :226,309,371
_PROXY_SIDECARS = {"sds": "global.glooMtls.sds.securityContext",
                   "istio-proxy": "global.glooMtls.istioProxy.securityContext"}


class Slot(NamedTuple):
    """A container the chart's helper renders: where it is and what gloo-harden made of it."""

    ref: ResourceRef
    kind: str
    position: int  # its index in the pod's containers
    name: str
    value: str | None  # the component's value for its security context
    before: dict[str, Any]  # its security context as read
    after: dict[str, Any]  # as gloo-harden wrote it
    pod: dict[str, Any]  # the pod's security context as gloo-harden wrote it
    reached: bool  # the switch reaches it (False: its render is an override of the defaults)


def slots(decisions: Decisions) -> list[Slot]:
    """Every container of the render that the chart's helper renders."""
    changed = {c.ref: c for c in decisions.changes if not c.ambiguous}
    found: list[Slot] = []
    for obj in decisions.inputs:
        kind = str(obj.get("kind", ""))
        if kind not in POD_SPEC_PATHS \
                or mapping(mapping(obj.get("metadata")).get("labels")).get("app") != "gloo":
            continue
        ref = ref_of(obj)
        table = _table(obj, kind, ref.name or "")
        if not table:
            continue
        change = changed.get(ref)
        hardened = change.after if change else obj
        before_spec, after_spec = pod_spec(obj, kind), pod_spec(hardened, kind)
        if before_spec is None or after_spec is None:
            continue
        pod = mapping(after_spec[0].get("securityContext"))
        after_containers = after_spec[0].get("containers") or []
        for index, container in enumerate(before_spec[0].get("containers") or []):
            name = str(mapping(container).get("name", ""))
            if name not in table or index >= len(after_containers):
                continue
            before = mapping(container.get("securityContext"))
            reached = not (name == ref.name and proxy_override(before)
                           and pod_labels(obj, kind).get("gloo") == "gateway-proxy")
            found.append(Slot(ref, kind, index, name, table[name], before,
                              mapping(after_containers[index].get("securityContext")), pod,
                              reached))
    return found


def proxy_override(context: dict[str, Any]) -> bool:
    """Whether a gateway proxy's Envoy container context, as rendered, is a
    ``glooContainerSecurityContext`` override rather than the chart's defaults: those always
    hold ``readOnlyRootFilesystem: true``, ``capabilities.drop: [ALL]`` and
    ``allowPrivilegeEscalation: false`` (``7-gateway-proxy-deployment.yaml:216`` v1.17.0,
    ``:222`` v1.22.1), and an override (no ``mergePolicy: helm-merge``) replaces them all,
    the restricted defaults too. One that repeats all three is taken for the defaults. A
    wrong guess the other way costs nothing: the container then takes its whole hardened
    context as its value."""
    caps = mapping(context.get("capabilities"))
    return context.get("readOnlyRootFilesystem") is not True \
        or "ALL" not in (caps.get("drop") or []) \
        or context.get("allowPrivilegeEscalation") is not False


def _table(obj: dict[str, Any], kind: str, name: str) -> dict[str, str | None]:
    if pod_labels(obj, kind).get("gloo") == "gateway-proxy":
        return {name: f"gatewayProxies.{camel(name)}.podTemplate.glooContainerSecurityContext",
                **_PROXY_SIDECARS}
    return CONTAINERS.get(name, {})


def with_switch(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` as the helper renders it with the switch on: missing or empty keys of
    ``PSS_DEFAULTS`` filled (``capabilities`` key by key)."""
    out = dict(context)
    for key, value in PSS_DEFAULTS.items():
        if key == "capabilities":
            caps = dict(mapping(out.get(key)))
            if not caps.get("drop"):
                caps["drop"] = value["drop"]
            out[key] = caps
        elif not out.get(key):
            out[key] = value
    return out


def effective(context: dict[str, Any], pod: dict[str, Any]) -> dict[str, Any]:
    """``context`` without the keys that only repeat the pod's (same effect)."""
    return {k: v for k, v in context.items() if not (k in POD_LEVEL and pod.get(k) == v)}


def apply(decisions: Decisions, edits: list[tuple[Change, Edit]], values: dict[str, Any],
          unexpressed: list[Unexpressed], set_value: SetValue) -> None:
    """Write the values that carry ``edits`` (the restricted profile's, on workloads) with
    ``set_value(values, path, value)``; add a line to ``unexpressed`` for each no value
    carries (one per hardening and resource)."""
    if not edits:
        return
    found = slots(decisions)
    by_ref = {(s.ref, s.position): s for s in found}
    wrong = [(s, key) for s in found for key in _added(s)
             if effective(with_switch(s.before), s.pod).get(key)
             != effective(s.after, s.pod).get(key)]
    switch = not wrong and any(_added(s) for s in found)
    if switch:
        set_value(values, f"{SWITCH}.enableRestrictedContainerDefaults", True)
        set_value(values, f"{SWITCH}.defaultSeccompProfileType", "RuntimeDefault")
    why_not = "" if switch else _why_not(wrong, decisions)
    groups: dict[str, list[Slot]] = {}
    for s in found:
        if s.value:
            groups.setdefault(s.value, []).append(s)
    said: set[tuple[str, ResourceRef]] = set()
    for change, edit in edits:
        where = _one(change, edit, switch, by_ref, groups, values, set_value, why_not)
        if where is not None and (edit.hardening, change.ref) not in said:
            said.add((edit.hardening, change.ref))
            unexpressed.append(Unexpressed(edit.hardening, change.ref, where))


def _added(s: Slot) -> list[str]:
    """The keys the switch would add to (or fill in) this container's context."""
    if not s.reached:
        return []
    filled = with_switch(s.before)
    return [k for k in PSS_DEFAULTS if filled.get(k) != s.before.get(k)]


def _why_not(wrong: list[tuple[Slot, str]], decisions: Decisions) -> str:
    if not wrong:
        return ("the chart's restricted defaults would change nothing this run changed "
                f"({SWITCH}.enableRestrictedContainerDefaults)")
    s, key = wrong[0]
    hardening = HARDENING_OF[key]
    kept = next((k for k in decisions.kept if k.ref == s.ref and k.hardening == hardening),
                None)
    reason = (f"guard {kept.guard} kept it back" if kept else
              f"this run did not set it ({hardening} disabled, opted out or not enabled)")
    more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
    return (f"the chart's restricted defaults ({SWITCH}.enableRestrictedContainerDefaults) "
            f"would also set {key} on container {s.name} of {s.kind} {s.ref.name}, where "
            f"{reason}{more}; so they are not written")


def _one(change: Change, edit: Edit, switch: bool, by_ref: dict[tuple[ResourceRef, int], Slot],
         groups: dict[str, list[Slot]], values: dict[str, Any], set_value: SetValue,
         why_not: str) -> str | None:
    """Set the value that carries ``edit``, or say why none does."""
    spec_path = ".".join(POD_SPEC_PATHS.get(change.ref.kind, ()))
    field = edit.field
    if spec_path and field.startswith(f"{spec_path}.containers["):
        index = int(field[len(spec_path) + len(".containers["):].split("]", 1)[0])
        s = by_ref.get((change.ref, index))
        if s is None:
            return ("this container is not rendered by the chart's security-context helper "
                    "(an extra container from values), so no chart value reaches it")
        if switch and s.reached \
                and effective(with_switch(s.before), s.pod) == effective(s.after, s.pod):
            return None
        if s.value is None:
            return (f"{why_not + '; ' if why_not else ''}no chart value sets this container's "
                    "security context")
        group = groups[s.value]
        if any(g.after != s.after for g in group):
            return (f"{why_not + '; ' if why_not else ''}one chart value ({s.value}) sets "
                    f"container {s.name} of {len(group)} workloads, and their hardened "
                    "security contexts differ")
        if get(values, s.value) is None:
            set_value(values, s.value, s.after)
        # else the built-in pass wrote it from the same hardened object (a proxy's changed
        # keys over its override, an ingress/knative proxy's whole context): it carries this
        return None
    if spec_path and field.startswith(f"{spec_path}.securityContext"):
        return _pod_value(change, spec_path, values, set_value)
    if spec_path and field.startswith(f"{spec_path}.initContainers["):
        return ("init containers come from values (extraInitContainers) and no chart value "
                "sets their security context")
    return "no chart value sets this field"


def _pod_value(change: Change, spec_path: str, values: dict[str, Any],
               set_value: SetValue) -> str | None:
    keys = spec_path.split(".")
    before, after = _at(change.before, keys), _at(change.after, keys)
    name = change.ref.name or ""
    if change.ref.kind == "Deployment" and name == "gloo":
        path = "gloo.deployment.podSecurityContext"
    elif pod_labels(change.before, change.ref.kind).get("gloo") == "gateway-proxy" \
            and mapping(before.get("securityContext")):
        path = f"gatewayProxies.{camel(name)}.podTemplate.podSecurityContext"
    else:
        return ("the chart renders no value for this pod's securityContext (only the gloo "
                "Deployment's and a gateway proxy's with enablePodSecurityContext)")
    set_value(values, path, mapping(after.get("securityContext")))
    return None


def _at(obj: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    node: Any = obj
    for key in keys:
        node = mapping(node).get(key)
    found: dict[str, Any] = mapping(node)
    return found


def get(values: dict[str, Any], path: str) -> Any:
    """The value at the dotted ``path`` of ``values``, or None."""
    node: Any = values
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def camel(name: str) -> str:
    """A gateway proxy's values key from its Deployment name (``public-gw`` ← ``publicGw``)."""
    head, *rest = name.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
