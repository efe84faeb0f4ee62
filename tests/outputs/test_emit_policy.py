"""``emit policy``: the ValidatingAdmissionPolicies and bindings it writes — one rule per enforced
hardening, each with the skip annotation's opt-out and a message naming the hardening and what
to do; only validation; guards' and ``--disable``'s decisions kept (the rule is left out and
named); CEL's limits named on stderr; the stamp. What the rules admit and refuse is proved on the
real API server (tests/e2e/test_emit_policy_admission.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from conftest import run_tool
from gloo_harden.outputs.emit import FORMS, policy, stamp
from gloo_harden.outputs.emit.decisions import Decisions, Kept
from gloo_harden.resources.results import ResourceRef

RENDER = """\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {name: platform, namespace: apps}
spec:
  kube:
    envoyContainer:
      securityContext: {capabilities: {add: [NET_BIND_SERVICE]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: platform}
spec:
  controllerName: kgateway.dev/kgateway
  parametersRef: {group: gateway.kgateway.dev, kind: GatewayParameters, name: platform,
                  namespace: apps}
"""
PROVENANCE = stamp.Provenance("0.1.0", "kgateway-2.2.0", "sha256:" + "0" * 64)


def _docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def _decisions(kept: tuple[Kept, ...] = (), enabled: tuple[str, ...] = ()) -> Decisions:
    return Decisions(PROVENANCE, (), (), kept, (), 0, enabled)


def _rules(docs: list[dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
    return {d["metadata"]["name"]: d["spec"]["validations"] for d in docs
            if d["kind"] == "ValidatingAdmissionPolicy"}


def test_policy_is_a_form() -> None:
    assert FORMS["policy"] == "gloo_harden.outputs.emit.policy"


def test_each_policy_has_its_binding_and_only_validates() -> None:
    docs = _docs(policy.emit(_decisions()).files[0][1])
    policies = [d["metadata"]["name"] for d in docs if d["kind"] == "ValidatingAdmissionPolicy"]
    bindings = {d["spec"]["policyName"]: d["spec"]["validationActions"] for d in docs
                if d["kind"] == "ValidatingAdmissionPolicyBinding"}
    assert policies == ["gloo-harden-gatewayparameters-kgateway",
                        "gloo-harden-gatewayparameters-gloo", "gloo-harden-proxy-pods"]
    assert bindings == {name: ["Deny"] for name in policies}
    assert {d["apiVersion"] for d in docs} == {"admissionregistration.k8s.io/v1"}
    resources = [(r["apiGroups"], r["resources"], r["operations"]) for d in docs
                 if d["kind"] == "ValidatingAdmissionPolicy"
                 for r in d["spec"]["matchConstraints"]["resourceRules"]]
    assert resources == [(["gateway.kgateway.dev"], ["gatewayparameters"], ["CREATE", "UPDATE"]),
                         (["gateway.gloo.solo.io"], ["gatewayparameters"], ["CREATE", "UPDATE"]),
                         ([""], ["pods"], ["CREATE"])]  # never a Deployment


def test_every_rule_names_its_hardening_opt_out_and_remedy() -> None:
    rules = _rules(_docs(policy.emit(_decisions()).files[0][1]))
    count = 0
    for validations in rules.values():
        for rule in validations:
            hardening = rule["message"].split(":")[0].removeprefix("gloo-harden ")
            assert hardening in policy.ENFORCED
            assert rule["expression"].startswith(f"'{hardening}' in variables.skip || ")
            assert f'gloo-harden.dev/skip: "{hardening}=<reason>"' in rule["message"]
            assert any(w in rule["message"] for w in ("remove it", "write true", "write ",
                                                      "fix the "))
            count += 1
    assert count == 7  # 3 kgateway (incl. omitDefaultSecurityContext), 2 Gloo, 2 Pod
    assert "omitDefaultSecurityContext" in str(rules["gloo-harden-gatewayparameters-kgateway"])
    assert "omitDefaultSecurityContext" not in str(rules["gloo-harden-gatewayparameters-gloo"])


def test_a_rule_a_guard_kept_back_is_left_out_and_named() -> None:
    ref = ResourceRef("apps/v1", "Deployment", "gloo-system", "gateway-proxy")
    artefact = policy.emit(_decisions(kept=(Kept("drop-net-bind-service", ref,
                                                 "no-privileged-ports", "binds 80"),)))
    docs = _docs(artefact.files[0][1])
    assert "drop-net-bind-service" not in str(_rules(docs))
    assert {d["metadata"]["annotations"]["gloo-harden.dev/enforces"] for d in docs} \
        == {"read-only-root-filesystem"}
    named = [u for u in artefact.unexpressed if u.hardening == "drop-net-bind-service"]
    assert len(named) == 1 and named[0].ref == ref and "no-privileged-ports" in named[0].why


def test_a_disabled_hardening_is_not_enforced() -> None:
    artefact = policy.emit(_decisions(enabled=("read-only-root-filesystem",)))
    assert "drop-net-bind-service" not in str(_rules(_docs(artefact.files[0][1])))
    assert [u.hardening for u in artefact.unexpressed] == ["drop-net-bind-service"]
    nothing = policy.emit(_decisions(enabled=("disable-kubernetes-destinations",)))
    assert _docs(nothing.files[0][1]) == []
    assert "Enforces: nothing." in nothing.files[0][1]


def test_the_command_stamps_names_limits_and_checks(tmp_path: Path) -> None:
    render, out = tmp_path / "render.yaml", tmp_path / "policy.yaml"
    render.write_text(RENDER, encoding="utf-8")
    done = run_tool("emit", "policy", str(render), "-o", str(out))
    stderr = done.stderr.decode()
    assert done.returncode == 0, stderr
    text = out.read_text(encoding="utf-8")
    digest = stamp.stamped_hash(text)
    assert digest and text.startswith("# gloo-harden ") and "emit policy" in text.splitlines()[0]
    for doc in _docs(text):
        assert doc["metadata"]["annotations"]["gloo-harden.dev/input-hash"] == digest
        assert doc["metadata"]["annotations"]["gloo-harden.dev/enforces"] \
            == "drop-net-bind-service,read-only-root-filesystem"
    limits = [line for line in stderr.splitlines() if "emit policy: not expressible" in line]
    assert any("(drop-net-bind-service)" in line and "Gateways" in line for line in limits)
    assert any("(disable-sa-token-automount)" in line for line in limits)
    assert run_tool("emit", "policy", str(render), "-o", str(out), "--check").returncode == 0
    render.write_text(RENDER.replace("platform", "other"), encoding="utf-8")
    assert run_tool("emit", "policy", str(render), "-o", str(out), "--check").returncode != 0
    done = run_tool("emit", "policy", str(render), "--disable", "drop-net-bind-service")
    assert done.returncode == 0
    assert "drop-net-bind-service" not in str(_rules(_docs(done.stdout.decode())))
    assert "the run had it disabled" in done.stderr.decode()
