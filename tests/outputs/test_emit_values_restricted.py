"""``emit values`` for the restricted profile as a pure function of a decision record: the Gloo
chart's restricted-defaults switch only where every container it reaches agrees with what
gloo-harden decided, the component's value where it does not, and the kgateway controller's
verbatim contexts. The real charts prove the same end to end (``test_emit_values_proof.py``)."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from gloo_harden.outputs.emit import values
from gloo_harden.outputs.emit.decisions import Change, Decisions, Edit, Kept, ref_of
from gloo_harden.outputs.emit.stamp import Provenance

SWITCH = {"podSecurityStandards": {"container": {"enableRestrictedContainerDefaults": True,
                                                 "defaultSeccompProfileType": "RuntimeDefault"}}}
POD = "spec.template.spec.securityContext"
CONTAINER = "spec.template.spec.containers[0].securityContext"


def _workload(kind: str, name: str, container: str, context: dict[str, Any],
              pod: dict[str, Any] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": container, "securityContext": context}]}
    if pod is not None:
        spec["securityContext"] = pod
    return {"apiVersion": "batch/v1" if kind == "Job" else "apps/v1", "kind": kind,
            "metadata": {"name": name, "namespace": "gloo-system", "labels": {"app": "gloo"}},
            "spec": {"template": {"metadata": {"labels": {"gloo": name}}, "spec": spec}}}


def _restricted(obj: dict[str, Any], container: dict[str, Any]) -> Change:
    """``obj`` with the pod's seccomp and ``container`` keys written, as the profile does."""
    after = copy.deepcopy(obj)
    spec = after["spec"]["template"]["spec"]
    spec.setdefault("securityContext", {})["seccompProfile"] = {"type": "RuntimeDefault"}
    spec["containers"][0]["securityContext"].update(container)
    edits = [Edit("restricted-seccomp", f"{POD}.seccompProfile", None,
                  {"type": "RuntimeDefault"})]
    hardening = {"allowPrivilegeEscalation": "restricted-no-privilege-escalation",
                 "capabilities": "restricted-drop-all-capabilities",
                 "readOnlyRootFilesystem": "restricted-read-only-root-filesystem"}
    edits += [Edit(hardening[k], f"{CONTAINER}.{k}", None, v) for k, v in container.items()]
    return Change(ref_of(obj), obj, after, tuple(edits))


def _emit(release: str, inputs: list[dict[str, Any]], *changes: Change,
          kept: tuple[Kept, ...] = ()) -> tuple[Any, list[tuple[str, str, str]]]:
    record = Decisions(Provenance("0.1.0", release, "sha256:" + "0" * 64), changes, (), kept,
                       (), inputs=tuple(inputs))
    artefact = values.emit(record)
    ((_, text),) = artefact.files
    return yaml.safe_load(text), [(u.hardening, str(u.ref.name if u.ref else ""), u.why)
                                  for u in artefact.unexpressed]


KUBECTL = {"runAsNonRoot": True, "runAsUser": 10101}
HARDENED = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def test_the_switch_is_written_when_every_container_it_reaches_agrees() -> None:
    job = _workload("Job", "gloo-resource-rollout", "kubectl", dict(KUBECTL))
    found, lines = _emit("gloo-1.22.1", [job], _restricted(job, HARDENED))
    assert found == {"global": SWITCH}
    # the Job's pod has no value: its seccomp is named, the container's keys are not
    assert [(h, n) for h, n, _ in lines] == [("restricted-seccomp", "gloo-resource-rollout")]


def test_a_key_a_guard_kept_refuses_the_switch_and_the_component_value_carries_the_rest(
        ) -> None:
    job = _workload("Job", "gloo-resource-rollout", "kubectl", dict(KUBECTL))
    # the ingress controller's runAsNonRoot was kept back (no runAsUser, pod without it)
    ingress = _workload("Deployment", "ingress", "ingress", {})
    kept = (Kept("restricted-run-as-non-root", ref_of(ingress), "known-non-root-user", "…"),)
    found, lines = _emit("gloo-1.22.1", [job, ingress], _restricted(job, HARDENED),
                         _restricted(ingress, HARDENED), kept=kept)
    assert "global" not in found
    assert found["gateway"]["rolloutJob"]["containerSecurityContext"] == {**KUBECTL, **HARDENED}
    assert found["ingress"]["deployment"]["ingressContainerSecurityContext"] == HARDENED


def test_one_value_shared_by_containers_whose_contexts_differ_is_named() -> None:
    one = _workload("Job", "gloo-resource-rollout", "kubectl", dict(KUBECTL))
    two = _workload("Job", "gloo-resource-cleanup", "kubectl", dict(KUBECTL))
    kept = (Kept("restricted-drop-all-capabilities", ref_of(two), "known-third-party-user",
                 "…"),)
    found, lines = _emit("gloo-1.22.1", [one, two], _restricted(one, HARDENED),
                         _restricted(two, {"allowPrivilegeEscalation": False}), kept=kept)
    assert "global" not in found and "gateway" not in found
    named = {(h, n) for h, n, _ in lines}
    assert ("restricted-drop-all-capabilities", "gloo-resource-rollout") in named
    assert any("known-third-party-user" in why and "gateway.rolloutJob" in why
               for _, _, why in lines)


def test_pod_seccomp_goes_by_the_pod_values_the_chart_has() -> None:
    gloo = _workload("Deployment", "gloo", "gloo", dict(KUBECTL, **HARDENED))
    found, lines = _emit("gloo-1.17.0", [gloo], _restricted(gloo, {}))
    assert found["gloo"] == {"deployment": {"podSecurityContext": {
        "seccompProfile": {"type": "RuntimeDefault"}}}}
    assert lines == []


def test_before_1_17_nothing_restricted_is_expressible() -> None:
    job = _workload("Job", "gloo-resource-rollout", "kubectl", dict(KUBECTL))
    found, lines = _emit("gloo-1.13.0", [job], _restricted(job, HARDENED))
    assert found == {}
    assert {h for h, _, _ in lines} == {"restricted-seccomp", "restricted-no-privilege-escalation",
                                        "restricted-drop-all-capabilities"}


def test_the_kgateway_controller_takes_its_whole_hardened_contexts() -> None:
    controller = _workload("Deployment", "kgateway", "controller", {"runAsUser": 10101},
                           pod={"fsGroup": 10101})
    controller["spec"]["template"]["metadata"]["labels"] = {"kgateway": "kgateway"}
    found, lines = _emit("kgateway-2.2.0", [controller], _restricted(controller, HARDENED))
    assert found == {"podSecurityContext": {"fsGroup": 10101,
                                            "seccompProfile": {"type": "RuntimeDefault"}},
                     "securityContext": {"runAsUser": 10101, **HARDENED}}
    assert lines == []


def test_a_container_the_chart_helper_does_not_render_is_named() -> None:
    proxy = _workload("Deployment", "gateway-proxy", "log-shipper", {"runAsUser": 10101},
                      pod={"runAsUser": 10101})
    proxy["spec"]["template"]["metadata"]["labels"] = {"gloo": "gateway-proxy"}
    found, lines = _emit("gloo-1.22.1", [proxy], _restricted(proxy, HARDENED))
    assert "global" not in found  # the container it would reach is not there
    assert {(h, n) for h, n, _ in lines} >= {
        ("restricted-no-privilege-escalation", "gateway-proxy"),
        ("restricted-drop-all-capabilities", "gateway-proxy")}
    assert any("extra container" in why for _, _, why in lines)


def test_before_1_17_a_proxy_override_carries_the_profile_keys_with_the_built_ins() -> None:
    proxy = _workload("Deployment", "gateway-proxy", "gateway-proxy",
                      {"runAsUser": 20000, "capabilities": {"add": ["NET_BIND_SERVICE"]}})
    proxy["spec"]["template"]["metadata"]["labels"] = {"gloo": "gateway-proxy"}
    after = copy.deepcopy(proxy)
    after["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {
        "runAsUser": 20000, "capabilities": {"add": []}, "allowPrivilegeEscalation": False}
    change = Change(ref_of(proxy), proxy, after, (
        Edit("drop-net-bind-service", f"{CONTAINER}.capabilities.add", ["NET_BIND_SERVICE"], []),
        Edit("restricted-no-privilege-escalation", f"{CONTAINER}.allowPrivilegeEscalation",
             None, False)))
    found, lines = _emit("gloo-1.14.0", [proxy], change)
    assert found == {"gatewayProxies": {"gatewayProxy": {"podTemplate": {
        "glooContainerSecurityContext": {"capabilities": {"add": []},
                                         "allowPrivilegeEscalation": False}}}}}
    assert lines == []


def test_a_proxy_whose_context_is_an_override_takes_its_own_value_not_the_switch() -> None:
    # gatewayProxies.tcpProxy.podTemplate.glooContainerSecurityContext: {readOnlyRootFilesystem:
    # false} replaces the chart's defaults, restricted ones included (no mergePolicy:
    # helm-merge), so the switch, right for the Job, does not reach the proxy's Envoy
    job = _workload("Job", "gloo-resource-rollout", "kubectl", dict(KUBECTL))
    proxy = _workload("Deployment", "tcp-proxy", "tcp-proxy", {"readOnlyRootFilesystem": False})
    proxy["spec"]["template"]["metadata"]["labels"]["gloo"] = "gateway-proxy"
    found, lines = _emit("gloo-1.22.1", [job, proxy], _restricted(job, HARDENED),
                         _restricted(proxy, HARDENED))
    assert found["global"] == SWITCH
    context = found["gatewayProxies"]["tcpProxy"]["podTemplate"]["glooContainerSecurityContext"]
    assert {k: context.get(k) for k in HARDENED} == HARDENED
    assert not [line for line in lines if line[1] == "tcp-proxy" and "containers" in line[2]]
