"""``emit policy``: ValidatingAdmissionPolicies that hold the line at run time on what no render
holds — GatewayParameters application teams apply, and the proxy Pods made from them.

In the Gateway API generation the proxies are created at run time from GatewayParameters
(``gateway.kgateway.dev``, ``gateway.gloo.solo.io``) that need not be in any render
(``../shared/notes/reach.md`` §c). The form writes ``admissionregistration.k8s.io/v1``
objects (ValidatingAdmissionPolicy is stable since Kubernetes 1.30), one policy and one binding
per kind of object:

- ``gloo-harden-gatewayparameters-kgateway`` / ``…-gloo`` (CREATE, UPDATE): refuse an
  ``spec.kube.envoyContainer.securityContext.capabilities.add`` holding NET_BIND_SERVICE or
  ALL (any case, ``CAP_`` prefix or not) — drop-net-bind-service; refuse
  ``readOnlyRootFilesystem: false`` there — read-only-root-filesystem; and (kgateway only: the
  field is kgateway's) ``spec.kube.omitDefaultSecurityContext: true`` without
  ``readOnlyRootFilesystem: true`` written back — read-only-root-filesystem (the flag discards
  the controller's default context, ``gateway-api.md`` §1a);
- ``gloo-harden-proxy-pods`` (CREATE): Pods labelled as Gloo or kgateway proxies (``gloo:
  gateway-proxy|ingress-proxy|clusteringress-proxy|knative-external-proxy|
  knative-internal-proxy|kube-gateway``, ``kgateway: kube-gateway``): the Envoy containers
  (every container but the known sidecars) must not add NET_BIND_SERVICE/ALL unless a
  container port or host port of the Pod is below 1024 (the render's guard
  ``no-privileged-ports``, as far as a Pod shows it), and must have
  ``readOnlyRootFilesystem: true``.

Each rule is kept back by the skip annotation as a render run keeps it back:
``gloo-harden.dev/skip: "<id>=<reason>"`` on the object (a Pod inherits it from its template).
Each rule's message names its hardening id, the field, what to write, and the opt-out.

Only validation: nothing is mutated, least of all Deployments a controller owns (a mutated
Deployment fights its controller: Kong/kong-operator#522, kyverno/kyverno#9421).

Decisions kept: a rule is written only for a hardening the run had enabled and that no guard
kept back anywhere in the render (``Decisions.kept``); otherwise it is left out and named on
stderr. Named on stderr always (limits of CEL, which sees one object and its Namespace): the
Gateway a GatewayParameters serves (a listener below 1024 on kgateway 2.0 / Gloo maps to
+8000, on kgateway 2.1+ the controller adds the unprivileged-port sysctl; an explicit
NET_BIND_SERVICE for it needs the opt-out), and the ServiceAccount token
(disable-sa-token-automount: the Pod's ServiceAccount and the mesh evidence its guards read
are other objects).
"""

from __future__ import annotations

from typing import Any

from gloo_harden.outputs.emit.artefact import Artefact, Unexpressed, to_yaml
from gloo_harden.outputs.emit.decisions import Decisions
from gloo_harden.resources.model import SKIP_ANNOTATION

NAME = "policy"
SUMMARY = ("ValidatingAdmissionPolicies + bindings for GatewayParameters and proxy Pods "
           "(stdout, or -o FILE)")
DIRECTORY = False
DEFAULT_FILE = "policy.yaml"

API_VERSION = "admissionregistration.k8s.io/v1"
NET_BIND = "drop-net-bind-service"
READ_ONLY = "read-only-root-filesystem"
TOKEN = "disable-sa-token-automount"
#: the hardenings a policy can enforce, in the order its rules are written
ENFORCED = (NET_BIND, READ_ONLY)
#: ``gloo`` label values of Gloo proxy Pods (the chart's templates) and kgateway's label
PROXY_LABELS = ("gateway-proxy", "ingress-proxy", "clusteringress-proxy",
                "knative-external-proxy", "knative-internal-proxy", "kube-gateway")
#: containers of a proxy Pod that are not Envoy (``gateway-api.md`` §1, "other containers")
SIDECARS = ("sds", "istio-proxy", "gloo-ai-extension", "kgateway-ai-extension",
            "agent-gateway")
_BIND_VALUES = "['NET_BIND_SERVICE', 'CAP_NET_BIND_SERVICE', 'ALL', 'CAP_ALL']"
_SKIP = (f"has(object.metadata.annotations) && '{SKIP_ANNOTATION}' in "
         f"object.metadata.annotations ? object.metadata.annotations['{SKIP_ANNOTATION}']"
         ".split(',').map(e, e.split('=')[0].trim()) : []")
_ENVOY_SC = "object.spec.?kube.?envoyContainer.?securityContext"


def _opt_out(hardening: str) -> str:
    return f'or opt out with the annotation {SKIP_ANNOTATION}: "{hardening}=<reason>"'


def _gateway_parameters_rules(kgateway: bool) -> list[tuple[str, str, str]]:
    """(hardening, CEL expression, message) of a GatewayParameters policy."""
    rules = [
        (NET_BIND,
         f"'{NET_BIND}' in variables.skip || !{_ENVOY_SC}.?capabilities.?add.orValue([])"
         f".exists(a, a.upperAscii() in {_BIND_VALUES})",
         f"gloo-harden {NET_BIND}: spec.kube.envoyContainer.securityContext.capabilities.add "
         "must not hold NET_BIND_SERVICE or ALL (Envoy binds no port below 1024 by default); "
         f"remove it, {_opt_out(NET_BIND)}"),
        (READ_ONLY,
         f"'{READ_ONLY}' in variables.skip || "
         f"{_ENVOY_SC}.?readOnlyRootFilesystem.orValue(true) == true",
         f"gloo-harden {READ_ONLY}: spec.kube.envoyContainer.securityContext."
         f"readOnlyRootFilesystem must not be false; write true, {_opt_out(READ_ONLY)}")]
    if kgateway:
        rules.append(
            (READ_ONLY,
             f"'{READ_ONLY}' in variables.skip || "
             "!object.spec.?kube.?omitDefaultSecurityContext.orValue(false) || "
             f"{_ENVOY_SC}.?readOnlyRootFilesystem.orValue(false) == true",
             f"gloo-harden {READ_ONLY}: spec.kube.omitDefaultSecurityContext: true discards the "
             "controller's default security context; write readOnlyRootFilesystem: true (and "
             "capabilities.drop: [ALL]) into spec.kube.envoyContainer.securityContext, "
             f"{_opt_out(READ_ONLY)}"))
    return rules


def _pod_rules() -> list[tuple[str, str, str]]:
    return [
        (NET_BIND,
         f"'{NET_BIND}' in variables.skip || variables.lowPort || !variables.envoy.exists(c, "
         f"c.?securityContext.?capabilities.?add.orValue([]).exists(a, a.upperAscii() in "
         f"{_BIND_VALUES}))",
         f"gloo-harden {NET_BIND}: a Gloo proxy's Envoy container must not add NET_BIND_SERVICE "
         "or ALL when no port of the Pod is below 1024; fix the Deployment or GatewayParameters "
         f"it comes from (gloo-harden over the render does), {_opt_out(NET_BIND)}"),
        (READ_ONLY,
         f"'{READ_ONLY}' in variables.skip || variables.envoy.all(c, "
         "c.?securityContext.?readOnlyRootFilesystem.orValue(false) == true)",
         f"gloo-harden {READ_ONLY}: a Gloo proxy's Envoy container needs "
         "securityContext.readOnlyRootFilesystem: true; fix the Deployment or GatewayParameters "
         f"it comes from (gloo-harden over the render does), {_opt_out(READ_ONLY)}")]


def _policy(name: str, rules: list[tuple[str, str, str]], resource_rules: list[dict[str, Any]],
            variables: list[dict[str, str]], match: list[dict[str, str]],
            annotations: dict[str, str]) -> list[dict[str, Any]]:
    enforced = ",".join(dict.fromkeys(h for h, _, _ in rules))
    spec: dict[str, Any] = {"failurePolicy": "Fail",
                            "matchConstraints": {"resourceRules": resource_rules}}
    if match:
        spec["matchConditions"] = match
    spec["variables"] = variables
    spec["validations"] = [{"expression": e, "message": m, "reason": "Forbidden"}
                           for _, e, m in rules]
    stamp = {"gloo-harden.dev/enforces": enforced, **annotations}
    meta: dict[str, Any] = {"name": name, "annotations": stamp}
    return [{"apiVersion": API_VERSION, "kind": "ValidatingAdmissionPolicy", "metadata": meta,
             "spec": spec},
            {"apiVersion": API_VERSION, "kind": "ValidatingAdmissionPolicyBinding",
             "metadata": {"name": name, "annotations": dict(stamp)},
             "spec": {"policyName": name, "validationActions": ["Deny"]}}]


def objects(enforced: tuple[str, ...], annotations: dict[str, str]) -> list[dict[str, Any]]:
    """The policies and bindings enforcing the hardenings ``enforced`` (ids of ``ENFORCED``);
    none when ``enforced`` is empty. ``annotations`` (the stamp) go on every object."""
    found: list[dict[str, Any]] = []
    skip = {"name": "skip", "expression": _SKIP}
    for group, suffix in (("gateway.kgateway.dev", "kgateway"), ("gateway.gloo.solo.io", "gloo")):
        rules = [r for r in _gateway_parameters_rules(suffix == "kgateway") if r[0] in enforced]
        if rules:
            found += _policy(
                f"gloo-harden-gatewayparameters-{suffix}", rules,
                [{"apiGroups": [group], "apiVersions": ["*"], "operations": ["CREATE", "UPDATE"],
                  "resources": ["gatewayparameters"]}], [skip], [], annotations)
    rules = [r for r in _pod_rules() if r[0] in enforced]
    if rules:
        labels = ", ".join(f"'{v}'" for v in PROXY_LABELS)
        sidecars = ", ".join(f"'{v}'" for v in SIDECARS)
        found += _policy(
            "gloo-harden-proxy-pods", rules,
            [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
              "resources": ["pods"]}],
            [skip,
             {"name": "envoy",
              "expression": f"object.spec.containers.filter(c, !(c.name in [{sidecars}]))"},
             {"name": "lowPort",
              "expression": "object.spec.containers.exists(c, c.?ports.orValue([]).exists(p, "
                            "p.containerPort < 1024 || p.?hostPort.orValue(1024) < 1024))"}],
            [{"name": "gloo-proxy",
              "expression": "has(object.metadata.labels) && ((('gloo' in object.metadata.labels)"
                            f" && object.metadata.labels['gloo'] in [{labels}]) || "
                            "(('kgateway' in object.metadata.labels) && "
                            "object.metadata.labels['kgateway'] == 'kube-gateway'))"}],
            annotations)
    return found


def emit(decisions: Decisions) -> Artefact:
    kept = {k.hardening: k for k in decisions.kept}
    enabled = decisions.enabled
    enforced, unexpressed = [], []
    for hardening in ENFORCED:
        if enabled and hardening not in enabled:
            unexpressed.append(Unexpressed(hardening, None, "the run had it disabled: the "
                                           "policy does not enforce it"))
        elif hardening in kept:
            k = kept[hardening]
            unexpressed.append(Unexpressed(
                hardening, k.ref, f"guard {k.guard} kept it back in the render: the policy "
                "does not enforce it (an admission rule cannot tell which objects the guard "
                "meant)"))
        else:
            enforced.append(hardening)
    if NET_BIND in enforced:
        unexpressed.append(Unexpressed(
            NET_BIND, None, "CEL sees one object: a GatewayParameters' Gateways (a listener port "
            "below 1024) are not seen, so a GatewayParameters that adds NET_BIND_SERVICE for one "
            f'is refused; give it {SKIP_ANNOTATION}: "{NET_BIND}=<reason>"'))
    if not enabled or TOKEN in enabled:
        unexpressed.append(Unexpressed(
            TOKEN, None, "not enforced by the policy: a Pod's token depends on its "
            "ServiceAccount and the mesh evidence the guards read, other objects CEL cannot see; "
            "keep gloo-harden (or emit kustomize/flux) on the render"))
    provenance = decisions.provenance
    text = provenance.comment(NAME)
    text += ("# ValidatingAdmissionPolicy (Kubernetes 1.30+). Enforces: "
             + (", ".join(enforced) or "nothing") + ".\n")
    text += "".join("---\n" + to_yaml(obj)
                    for obj in objects(tuple(enforced), provenance.annotations()))
    return Artefact(((DEFAULT_FILE, text),), tuple(unexpressed))
