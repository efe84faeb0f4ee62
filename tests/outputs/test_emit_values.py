"""``emit.values`` as a pure function of a decision record: which value each change becomes by
release, and the line for each change no value can make."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from gloo_harden.outputs.emit import values
from gloo_harden.outputs.emit.decisions import Addition, Change, Decisions, Edit, ref_of
from gloo_harden.outputs.emit.stamp import Provenance

CAPS = "spec.template.spec.containers[0].securityContext.capabilities.add"


def _proxy(name: str, role: str, context: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "gloo-system", "labels": {"gloo": role}},
            "spec": {"template": {"metadata": {"labels": {"gloo": role}}, "spec": {
                "containers": [{"name": name, "securityContext": context}]}}}}


def _dropped(obj: dict[str, Any]) -> Change:
    after = copy.deepcopy(obj)
    after["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"][
        "add"] = []
    return Change(ref_of(obj), obj, after,
                  (Edit("drop-net-bind-service", CAPS, ["NET_BIND_SERVICE"], []),))


def _emit(release: str, *changes: Change,
          additions: tuple[Addition, ...] = ()) -> tuple[Any, list[tuple[str, str]]]:
    record = Decisions(Provenance("0.1.0", release, "sha256:" + "0" * 64), changes, additions,
                       (), ())
    artefact = values.emit(record)
    ((_, text),) = artefact.files
    return yaml.safe_load(text), [(u.hardening, str(u.ref.name if u.ref else "")) for u in
                                  artefact.unexpressed]


DEFAULTS = {"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
            "readOnlyRootFilesystem": True, "runAsUser": 10101}


def test_a_gateway_proxy_gets_disable_net_bind_under_its_values_key() -> None:
    found, lines = _emit("gloo-1.13.0", _dropped(_proxy("public-gw", "gateway-proxy", DEFAULTS)))
    assert found == {"gatewayProxies": {"publicGw": {"podTemplate": {"disableNetBind": True}}}}
    assert lines == []


def test_an_overridden_context_gets_the_changed_keys_from_1_14_only() -> None:
    override = {"capabilities": {"add": ["NET_BIND_SERVICE"]}, "runAsUser": 20000}
    change = _dropped(_proxy("gateway-proxy", "gateway-proxy", override))
    found, _ = _emit("gloo-1.22.1", change)
    assert found == {"gatewayProxies": {"gatewayProxy": {"podTemplate": {
        "glooContainerSecurityContext": {"capabilities": {"add": []}}}}}}
    found, lines = _emit("gloo-1.13.0", change)
    assert found == {} and lines == [("drop-net-bind-service", "gateway-proxy")]


def test_knative_proxies_share_one_value_only_when_they_agree() -> None:
    one = _dropped(_proxy("knative-external-proxy", "knative-external-proxy", DEFAULTS))
    two = _dropped(_proxy("knative-internal-proxy", "knative-internal-proxy", DEFAULTS))
    found, lines = _emit("gloo-1.17.0", one, two)
    assert found["settings"]["integrations"]["knative"]["proxy"]["containerSecurityContext"][
        "capabilities"] == {"add": [], "drop": ["ALL"]}
    assert lines == []
    other = _dropped(_proxy("knative-internal-proxy", "knative-internal-proxy",
                            {**DEFAULTS, "runAsUser": 1}))
    found, lines = _emit("gloo-1.17.0", one, other)
    assert found == {} and len(lines) == 2
    found, lines = _emit("gloo-1.13.0", one)  # hard-coded before 1.17
    assert found == {} and lines == [("drop-net-bind-service", "knative-external-proxy")]


def test_kgateway_additions_are_named() -> None:
    klass = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
             "metadata": {"name": "kgateway"}}
    found, lines = _emit("kgateway-2.1.2", additions=(
        Addition(ref_of(klass), klass, "add-kgateway-class-parameters"),))
    assert found == {} and lines == [("add-kgateway-class-parameters", "kgateway")]


def test_gateway_parameters_sidecar_templates_get_their_chart_values() -> None:
    """``43-gatewayparameters.yaml`` writes each template's securityContext verbatim from
    ``kubeGateway.gatewayParameters.glooGateway``: sds and istio-proxy from 1.17, the AI
    extension from 1.18 (1.17 has no such value: named)."""
    before = {"apiVersion": "gateway.gloo.solo.io/v1alpha1", "kind": "GatewayParameters",
              "metadata": {"name": "gloo-gateway", "namespace": "gloo-system"},
              "spec": {"kube": {"sdsContainer": {"bootstrap": {"logLevel": "info"}},
                                "istio": {"istioProxyContainer": {"logLevel": "warning"}},
                                "aiExtension": {"enabled": True}}}}
    after = copy.deepcopy(before)
    kube = after["spec"]["kube"]
    for node in (kube["sdsContainer"], kube["istio"]["istioProxyContainer"],
                 kube["aiExtension"]):
        node["securityContext"] = {"allowPrivilegeEscalation": False}
    edits = tuple(Edit("restricted-no-privilege-escalation",
                       f"spec.kube.{path}.securityContext", None, {"allowPrivilegeEscalation": False})
                  for path in ("sdsContainer", "istio.istioProxyContainer", "aiExtension"))
    change = Change(ref_of(before), before, after, edits)
    found, lines = _emit("gloo-1.18.0", change)
    assert found["kubeGateway"]["gatewayParameters"]["glooGateway"] == {
        "sdsContainer": {"securityContext": {"allowPrivilegeEscalation": False}},
        "istio": {"istioProxyContainer": {"securityContext": {"allowPrivilegeEscalation": False}}},
        "aiExtension": {"securityContext": {"allowPrivilegeEscalation": False}}}
    assert lines == []
    found, lines = _emit("gloo-1.17.0", change)
    assert "aiExtension" not in found["kubeGateway"]["gatewayParameters"]["glooGateway"]
    assert lines == [("restricted-no-privilege-escalation", "gloo-gateway")]


def test_other_gateway_parameters_are_named_not_a_crash() -> None:
    """A per-Gateway GatewayParameters under ``--profile restricted``: no chart value renders
    it, so the change is named (it raised KeyError, exit 3, reading it as a workload)."""
    before = {"apiVersion": "gateway.gloo.solo.io/v1alpha1", "kind": "GatewayParameters",
              "metadata": {"name": "team-params", "namespace": "apps"},
              "spec": {"kube": {"envoyContainer": {"securityContext": {}}}}}
    after = copy.deepcopy(before)
    after["spec"]["kube"]["envoyContainer"]["securityContext"]["seccompProfile"] = {
        "type": "RuntimeDefault"}
    edit = Edit("restricted-seccomp", "spec.kube.envoyContainer.securityContext.seccompProfile",
                None, {"type": "RuntimeDefault"})
    found, lines = _emit("gloo-1.19.0", Change(ref_of(before), before, after, (edit,)))
    assert found == {} and lines == [("restricted-seccomp", "team-params")]
