"""What a run parses follows the enabled hardenings' scopes (``Scope.READS``): no hardening is
handed a stream with its documents left unparsed because the built-ins target proxies only."""

from __future__ import annotations

from pathlib import Path

import yaml

from conftest import run_tool
from gloo_harden.guards import GUARDS
from gloo_harden.patching import hardening
from gloo_harden.run import hardenings, pipeline
from gloo_harden.scopes import SCOPES

#: the control plane's Deployment: a Gloo workload (app: gloo, gloo: gloo), not a proxy
GLOO = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gloo
  namespace: gloo-system
  labels: {app: gloo, gloo: gloo}
spec:
  template:
    metadata:
      labels: {gloo: gloo}
    spec:
      containers:
      - name: gloo
        image: quay.io/solo-io/gloo:1.19.0
"""
PATCH = {
    "apiVersion": "gloo-harden.dev/v1alpha1", "kind": "Hardening",
    "metadata": {"name": "pod-seccomp"}, "summary": "seccomp on every Gloo pod",
    "scope": "gloo-pod",
    "strategic": {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}},
}


def _harden(item: hardening.Hardening) -> pipeline.Outcome:
    options = pipeline.Options((item,) if item.is_builtin else (), patches=(
        () if item.is_builtin else (item,)))
    return pipeline.harden([pipeline.Source("gloo.yaml", GLOO.encode())], options)


def test_a_built_in_with_scope_gloo_pod_hardens_the_gloo_deployment() -> None:
    item = hardening.parse(PATCH, "pod-seccomp.yaml", set(SCOPES), set(GUARDS))
    assert item.is_builtin
    outcome = _harden(item)
    assert "type: RuntimeDefault" in outcome.text, [r.message for r in outcome.results]
    assert not any("no Gloo workload" in r.message for r in outcome.results)


def test_a_user_hardening_with_scope_gloo_pod_hardens_it_without_a_profile(tmp_path: Path) -> None:
    (tmp_path / "pod-seccomp.yaml").write_text(yaml.safe_dump(PATCH))
    done = run_tool("--enable", "pod-seccomp", "--patches", str(tmp_path), input=GLOO)
    assert done.returncode == 0 and b"type: RuntimeDefault" in done.stdout, done.stderr.decode()


def test_reading_is_the_union_of_the_scopes_reads() -> None:
    builtin = pipeline.reading(hardenings.builtin())
    assert not builtin.every_workload and builtin.markers == ("KGW_",)
    pod = hardening.parse(PATCH, "p.yaml", set(SCOPES), set(GUARDS))
    assert pipeline.reading(hardenings.builtin() + (pod,)).every_workload
    assert pipeline.reading(hardenings.profile("restricted")).every_workload
    assert builtin.kinds is not None and {"GatewayParameters", "Settings", "ServiceAccount",
                                          "GatewayClass"} <= builtin.kinds


def test_every_scope_declares_what_it_reads() -> None:
    for scope_id, scope in SCOPES.items():
        assert isinstance(scope.READS.kinds, frozenset), scope_id
