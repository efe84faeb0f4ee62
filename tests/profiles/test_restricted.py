"""The restricted profile over every corpus file, judged by our offline PSS reading (tests/pss.py).

After the built-ins and ``--profile restricted`` no Pod Security "restricted" violation is left
except those a guard kept on purpose and reported: runAsNonRoot where no non-root user is known
(``known-non-root-user``) and host networking/ports of a hostNetwork DaemonSet
(``keeps-host-network``).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import corpus_files, corpus_params, needs_corpus, run_tool
from gloo_harden.resources.results import Result, Severity
from gloo_harden.run import hardenings, pipeline
from pss import Violation, check

#: control → the profile patch whose guard keeps that violation on purpose
KEPT_BY = {"runAsNonRoot": "restricted-run-as-non-root",
           "hostNamespaces": "restricted-host-namespaces",
           "hostPorts": "restricted-host-namespaces"}


@functools.cache  # several tests judge the same run; it is not mutated
def _harden(path: Path, profile: bool = True) -> pipeline.Outcome:
    patches = hardenings.profile("restricted") if profile else ()
    options = pipeline.Options(hardenings.builtin(), patches=patches)
    return pipeline.harden([pipeline.Source(path.name, path.read_bytes())], options)


def _violations(text: str) -> list[Violation]:
    return [v for doc in yaml.safe_load_all(text) if isinstance(doc, dict) for v in check(doc)]


def _reported(violation: Violation, results: list[Result]) -> bool:
    hid = KEPT_BY.get(violation.control)
    kind, _, name = violation.resource.partition(" ")
    for r in results:
        if r.severity is Severity.WARNING and r.hardening == hid and r.resource is not None \
                and r.resource.kind == kind and f"{r.resource.namespace or '-'}/{r.resource.name}" == name \
                and (violation.control != "runAsNonRoot" or f'"{violation.container}"' in r.message):
            return True
    return False


@needs_corpus
@pytest.mark.parametrize("path", corpus_params(), ids=lambda p: getattr(p, "name", p))
def test_only_reported_violations_are_left(path: Path) -> None:
    outcome = _harden(path)
    left = [v for v in _violations(outcome.text) if not _reported(v, outcome.results)]
    assert left == []


@needs_corpus
def test_the_profile_removes_violations_the_builtins_leave() -> None:
    """Without the profile, the same check finds plenty (so the test above can fail)."""
    before = sum(len(_violations(_harden(p, profile=False).text)) for p in corpus_files())
    after = sum(len(_violations(_harden(p).text)) for p in corpus_files())
    assert before > 100 and after < 15


@needs_corpus
@pytest.mark.parametrize("path", corpus_params(), ids=lambda p: getattr(p, "name", p))
def test_never_changes_an_explicit_user_and_runs_twice_the_same(path: Path) -> None:
    outcome = _harden(path)
    assert _users(path.read_text()) == _users(outcome.text)
    again = pipeline.harden([pipeline.Source(path.name, outcome.text.encode())],
                            pipeline.Options(hardenings.builtin(),
                                             patches=hardenings.profile("restricted")))
    assert again.text == outcome.text and again.changed == []


def _users(text: str) -> list[Any]:
    users = []
    for doc in yaml.safe_load_all(text):
        pod = None
        if isinstance(doc, dict):
            from pss import pod_of
            pod = pod_of(doc)
        for c in (pod or {}).get("containers") or []:
            users.append(((c.get("securityContext") or {}).get("runAsUser"),
                          ((pod or {}).get("securityContext") or {}).get("runAsUser")))
    return users


def test_runs_as_non_root_only_where_the_user_is_known() -> None:
    text = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress-proxy, namespace: gloo-system, labels: {app: gloo, gloo: ingress-proxy}}
spec:
  template:
    metadata: {labels: {gloo: ingress-proxy}}
    spec:
      containers:
      - name: ingress-proxy
        image: quay.io/solo-io/gloo-envoy-wrapper:1.13.0
        securityContext: {readOnlyRootFilesystem: true}
      - name: helper
        image: x
        securityContext: {runAsUser: 10101}
"""
    outcome = pipeline.harden([pipeline.Source("d.yaml", text.encode())],
                              pipeline.Options((), patches=hardenings.profile("restricted")))
    proxy, helper = yaml.safe_load(outcome.text)["spec"]["template"]["spec"]["containers"]
    assert "runAsNonRoot" not in proxy["securityContext"]
    assert helper["securityContext"]["runAsNonRoot"] is True
    assert helper["securityContext"]["runAsUser"] == 10101
    assert any("no runAsUser" in r.message and r.hardening == "restricted-run-as-non-root"
               for r in outcome.results)


def test_cli_list_and_explain_show_the_profile() -> None:
    listed = run_tool("list")
    assert listed.returncode == 0
    assert b"profile restricted (opt-in: --profile restricted)" in listed.stdout
    assert b"restricted-run-as-non-root" in listed.stdout
    explained = run_tool("explain", "restricted")
    assert explained.returncode == 0 and b"restricted-seccomp" in explained.stdout
    one = run_tool("explain", "restricted-run-as-non-root")
    assert one.returncode == 0 and b"known-non-root-user" in one.stdout


@needs_corpus
@pytest.mark.parametrize("name", ["gloo-1.17.0-kubegateway.yaml", "kgateway-2.0.0-beta1-default.yaml"])
def test_gateway_parameters_envoy_meets_restricted(name: str) -> None:
    """Gateway-API proxies are made at runtime from GatewayParameters: judge their template."""
    path = next(p for p in corpus_files() if p.name == name)

    def template_violations(text: str) -> list[Violation]:
        found = []
        for doc in yaml.safe_load_all(text):
            if isinstance(doc, dict) and doc.get("kind") == "GatewayParameters":
                envoy = dict(doc["spec"]["kube"]["envoyContainer"], name="envoy")
                found += check({"kind": "Pod", "metadata": {"name": "gw"},
                                "spec": {"containers": [envoy]}})
        return found

    assert [v.control for v in template_violations(path.read_text())] == ["seccompProfile"]
    assert template_violations(_harden(path).text) == []


@pytest.mark.parametrize("name", hardenings.profiles())
def test_every_profile_patch_has_golden_cases(name: str) -> None:
    golden = Path(__file__).resolve().parents[1] / "golden"
    for item in hardenings.profile(name):
        cases = [p.name for p in (golden / item.id).glob("*") if p.is_dir()]
        assert any(c.startswith("applies-") for c in cases), f"{item.id}: no applies- golden case"


@needs_corpus
def test_gateway_parameters_sidecar_templates_meet_restricted_but_for_a_reported_user() -> None:
    """The Gloo chart's GatewayParameters templates the sds and istio-proxy sidecars (Istio
    integration) with no securityContext: after the profile, judged as containers, they fail
    only runAsNonRoot (no user is known for them), and a warning names each."""
    path = next(p for p in corpus_files() if p.name == "gloo-1.17.0-kubegateway.yaml")

    def sidecar_violations(text: str) -> set[tuple[str | None, str]]:
        found: set[tuple[str | None, str]] = set()
        for doc in yaml.safe_load_all(text):
            if isinstance(doc, dict) and doc.get("kind") == "GatewayParameters":
                kube = doc["spec"]["kube"]
                sidecars = [dict(kube["sdsContainer"], name="sds"),
                            dict(kube["istio"]["istioProxyContainer"], name="istio-proxy")]
                found |= {(v.container, v.control) for v in check(
                    {"kind": "Pod", "metadata": {"name": "gw"}, "spec": {"containers": sidecars}})}
        return found

    before = sidecar_violations(path.read_text())
    assert {c for _, c in before} >= {"seccompProfile", "allowPrivilegeEscalation",
                                      "capabilities", "runAsNonRoot"}
    outcome = _harden(path)
    assert sidecar_violations(outcome.text) == {("sds", "runAsNonRoot"),
                                                ("istio-proxy", "runAsNonRoot")}
    warned = [r.message for r in outcome.results if r.severity is Severity.WARNING
              and r.hardening == "restricted-run-as-non-root"]
    assert any('sidecar "sds"' in m for m in warned)
    assert any('sidecar "istio-proxy"' in m for m in warned)


_PLATFORM = """\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gloo-gateway}
spec:
  controllerName: solo.io/gloo-gateway
  parametersRef: {group: gateway.gloo.solo.io, kind: GatewayParameters, name: gloo-gateway,
                  namespace: gloo-system}
---
apiVersion: gateway.gloo.solo.io/v1alpha1
kind: GatewayParameters
metadata: {name: gloo-gateway, namespace: gloo-system}
spec: {kube: {envoyContainer: {securityContext: {capabilities: {drop: [ALL]}}}}}
"""
_TEAM = """\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
  namespace: apps
  annotations: {gateway.gloo.solo.io/gateway-parameters-name: team}
spec: {gatewayClassName: gloo-gateway}
---
apiVersion: gateway.gloo.solo.io/v1alpha1
kind: GatewayParameters
metadata: {name: team, namespace: apps}
spec: {kube: {envoyContainer: {image: {tag: v1.19.0}}}}
"""


@pytest.mark.parametrize("evidence", [False, True], ids=["class-unseen", "class-in-evidence"])
def test_a_team_writes_drop_all_only_where_its_class_does_not(tmp_path: Path,
                                                              evidence: bool) -> None:
    """Gloo appends a Gateway's own ``drop`` to its class-level parameters' list: with the
    platform's class and parameters (which drop ALL) handed in as ``--evidence``, the team's
    parameters get no second ALL; without them, what they are merged over is unseen and ALL is
    written (a second one is harmless, a missing one fails restricted)."""
    (tmp_path / "platform.yaml").write_text(_PLATFORM, encoding="utf-8")
    team = tmp_path / "team.yaml"
    team.write_text(_TEAM, encoding="utf-8")
    args = ["--profile", "restricted", str(team)]
    done = run_tool(*args, *(["--evidence", str(tmp_path / "platform.yaml")] if evidence else []))
    assert done.returncode == 0, done.stderr.decode()
    parameters = [d for d in yaml.safe_load_all(done.stdout) if d["kind"] == "GatewayParameters"]
    envoy = parameters[0]["spec"]["kube"]["envoyContainer"]
    drop = envoy.get("securityContext", {}).get("capabilities", {}).get("drop")
    assert drop == (None if evidence else ["ALL"])
