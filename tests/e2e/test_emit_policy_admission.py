"""``emit policy`` on the real API server (issue 22): the ValidatingAdmissionPolicies it writes
refuse an application team's weakening GatewayParameters and a hand-made unhardened proxy Pod,
admit the hardened ones and the opted-out ones, and the real kgateway v2.2.0 controller still
creates the proxy (its Deployment and the Pod of it) from admitted parameters.

The bindings are narrowed to the namespaces of this test (a label), so the other control-plane
tests, which apply weakening parameters on purpose, are not refused.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import run_tool
from controlplane import ControlPlane
from kgwreal import CONTROLLER_NAME, GROUP, pod_verdict, settled

pytestmark = pytest.mark.e2e

LABEL = "gloo-harden.dev/policy-test"
NBS = {"capabilities": {"add": ["NET_BIND_SERVICE"]}}
SKIP = "gloo-harden.dev/skip"


def parameters(name: str, kube: dict[str, Any], skip: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if skip:
        meta["annotations"] = {SKIP: skip}
    return {"apiVersion": f"{GROUP}/v1alpha1", "kind": "GatewayParameters", "metadata": meta,
            "spec": {"kube": kube}}


def pod(name: str, security: dict[str, Any], skip: str | None = None,
        port: int = 8080) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {"kgateway": "kube-gateway"}}
    if skip:
        meta["annotations"] = {SKIP: skip}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"containers": [
        {"name": "kgateway-proxy", "image": "cr.kgateway.dev/kgateway-dev/envoy-wrapper:v2.2.0",
         "ports": [{"containerPort": port}], "securityContext": security}]}}


HARDENED = {"capabilities": {"add": [], "drop": ["ALL"]}, "readOnlyRootFilesystem": True}
#: name -> (object, the hardening id its refusal names, or None: admitted)
CASES: dict[str, tuple[dict[str, Any], str | None]] = {
    "gp-adds-bind": (parameters("adds-bind", {"envoyContainer": {"securityContext": NBS}}),
                     "drop-net-bind-service"),
    "gp-adds-all": (parameters("adds-all", {"envoyContainer": {"securityContext": {
        "capabilities": {"add": ["all"]}}}}), "drop-net-bind-service"),
    "gp-writable": (parameters("writable", {"envoyContainer": {"securityContext": {
        "readOnlyRootFilesystem": False}}}), "read-only-root-filesystem"),
    "gp-omit": (parameters("omit", {"omitDefaultSecurityContext": True}),
                "read-only-root-filesystem"),
    "gp-hardened": (parameters("hardened", {"envoyContainer": {"securityContext": HARDENED}}),
                    None),
    "gp-plain": (parameters("plain", {"envoyContainer": {"image": {"tag": "v2.2.0"}}}), None),
    "gp-omit-hardened": (parameters("omit-hardened", {"omitDefaultSecurityContext": True,
                                                      "envoyContainer": {
                                                          "securityContext": HARDENED}}), None),
    "gp-opted-out": (parameters("opted-out", {"envoyContainer": {"securityContext": NBS}},
                                skip="drop-net-bind-service=binds 80 on hostNetwork"), None),
    "pod-writable": (pod("writable", {"capabilities": {"drop": ["ALL"]}}),
                     "read-only-root-filesystem"),
    "pod-adds-bind": (pod("adds-bind", {**HARDENED, **NBS}), "drop-net-bind-service"),
    "pod-hardened": (pod("hardened", HARDENED), None),
    "pod-binds-80": (pod("binds-80", {**HARDENED, **NBS}, port=80), None),
    "pod-opted-out": (pod("opted-out", {"capabilities": {"drop": ["ALL"]}},
                          skip="read-only-root-filesystem=writes its own cache"), None),
}


def policy(tmp_path: Path) -> list[dict[str, Any]]:
    """What ``gloo-harden emit policy`` writes for a kgateway render, narrowed to LABEL: the
    platform's GatewayParameters and the GatewayClass that makes them class-level (without it
    what they are merged over is unseen, and ``no-class-level-capabilities`` keeps the change)."""
    render = tmp_path / "render.yaml"
    platform = parameters("platform", {"envoyContainer": {"securityContext": NBS}})
    platform["metadata"]["namespace"] = "kgateway-system"
    render.write_text(yaml.safe_dump_all([platform, {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
        "metadata": {"name": "platform"},
        "spec": {"controllerName": CONTROLLER_NAME, "parametersRef": {
            "group": GROUP, "kind": "GatewayParameters", "name": "platform",
            "namespace": "kgateway-system"}}}]), encoding="utf-8")
    out = tmp_path / "policy.yaml"
    done = run_tool("emit", "policy", str(render), "-o", str(out), "--assume-version",
                    "kgateway-2.2.0")
    stderr = done.stderr.decode()
    assert done.returncode == 0, stderr
    assert "not expressible" in stderr and "Gateways" in stderr
    docs = [d for d in yaml.safe_load_all(out.read_text(encoding="utf-8")) if d]
    for doc in docs:
        if doc["kind"] == "ValidatingAdmissionPolicyBinding":
            doc["spec"]["matchResources"] = {"namespaceSelector": {"matchLabels": {LABEL: "on"}}}
    return docs


def create(plane: ControlPlane, namespace: str, obj: dict[str, Any]) -> str:
    """``kubectl create`` of ``obj``: "" when admitted, else the API server's refusal."""
    done = plane.kubectl("-n", namespace, "create", "-f", "-", input=json.dumps(obj), check=False)
    return "" if done.returncode == 0 else done.stderr


def active(plane: ControlPlane, namespace: str) -> None:
    """Wait until the policies refuse (they take effect a moment after they are created)."""
    probe = copy.deepcopy(CASES["gp-adds-bind"][0])
    deadline = time.monotonic() + 60
    while True:
        probe["metadata"]["name"] = f"probe-{int(time.monotonic() * 1000)}"
        if create(plane, namespace, probe):
            return
        assert time.monotonic() < deadline, "the emitted policy refused nothing in 60 s"
        time.sleep(1)


@pytest.fixture(scope="module")
def policed(control_plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory
            ) -> Any:
    control_plane.start_kgateway()  # its CRDs (GatewayParameters) too
    docs = policy(tmp_path_factory.mktemp("policy"))
    control_plane.kubectl("apply", "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "List", "items": docs}))
    namespace = control_plane.namespace("policy", labels={LABEL: "on"})
    active(control_plane, namespace)
    yield control_plane, namespace, docs
    for doc in docs:
        control_plane.kubectl("delete", doc["kind"], doc["metadata"]["name"], check=False)


def test_the_policy_names_what_it_enforces(policed: Any) -> None:
    _, _, docs = policed
    kinds = sorted({d["kind"] for d in docs})
    assert kinds == ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]
    for doc in docs:
        assert doc["metadata"]["annotations"]["gloo-harden.dev/enforces"] \
            == "drop-net-bind-service,read-only-root-filesystem"
        assert doc["metadata"]["annotations"]["gloo-harden.dev/input-hash"].startswith("sha256:")


@pytest.mark.parametrize("case", sorted(CASES))
def test_admission(policed: Any, case: str) -> None:
    plane, namespace, _ = policed
    obj, refused_for = CASES[case]
    refusal = create(plane, namespace, obj)
    if refused_for is None:
        assert refusal == "", f"{case}: refused, expected admitted: {refusal}"
    else:
        assert "denied request" in refusal and f"gloo-harden {refused_for}:" in refusal \
            and f'{SKIP}: "{refused_for}=<reason>"' in refusal, \
            f"{case}: expected a refusal naming {refused_for} and its opt-out, got {refusal!r}"


def test_outside_the_bound_namespaces_nothing_is_refused(policed: Any) -> None:
    plane, _, _ = policed
    other = plane.namespace("unbound")
    assert create(plane, other, CASES["gp-adds-bind"][0]) == ""


def test_the_controller_still_creates_the_proxy_from_admitted_parameters(policed: Any) -> None:
    """A Gateway on the admitted hardened parameters (and one on 80, from the class default):
    the real controller writes the Deployment, and the Pod of it passes the Pod policy."""
    plane, _, _ = policed
    namespace = plane.namespace("policy-gw", labels={LABEL: "on"})
    assert create(plane, namespace, CASES["gp-hardened"][0]) == ""
    gateways = {"hardened-gw": ((8080,), "hardened"), "web": ((80,), None)}
    docs: list[dict[str, Any]] = [{"apiVersion": "gateway.networking.k8s.io/v1",
                                   "kind": "GatewayClass", "metadata": {"name": namespace},
                                   "spec": {"controllerName": CONTROLLER_NAME}}]
    for name, (ports, params) in gateways.items():
        spec: dict[str, Any] = {"gatewayClassName": namespace, "listeners": [
            {"name": f"l{p}", "port": p, "protocol": "HTTP"} for p in ports]}
        if params:
            spec["infrastructure"] = {"parametersRef": {"group": GROUP, "kind": "GatewayParameters",
                                                        "name": params}}
        docs.append({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                     "metadata": {"name": name, "namespace": namespace}, "spec": spec})
    plane.kubectl("create", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                         "items": docs}))
    settled(plane, namespace, list(gateways))
    for name in gateways:
        admitted, refusal = pod_verdict(plane, namespace, name)
        assert admitted, f"{name}: the controller's proxy Pod was refused: {refusal}"
        container = plane.get("-n", namespace, f"deployment/{name}")["spec"]["template"]["spec"][
            "containers"][0]
        assert container["securityContext"].get("readOnlyRootFilesystem") is True
