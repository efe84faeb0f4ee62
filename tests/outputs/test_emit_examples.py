"""The emit examples: each ``run.sh`` succeeds with the real clients it drives (kustomize;
Helm 3 and the real Gloo chart for values), and prints what the README says."""

from __future__ import annotations

import subprocess
from pathlib import Path

from test_emit_values_proof import CHARTS

from conftest import REPO, tool_env, unavailable
from e2e.helmtools import helm
from e2e.krmtools import client


def _run(script: Path, **env: str) -> str:
    done = subprocess.run([str(script)], capture_output=True, text=True, cwd=script.parent,
                          env=tool_env(**env), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_emit_kustomize_example() -> None:
    out = _run(REPO / "examples" / "emit-kustomize" / "run.sh", KUSTOMIZE=client("kustomize"))
    assert out.splitlines() == ["kustomize build: hardened",
                                "out of date: the render changed since it was emitted (input "]


def test_emit_flux_example() -> None:
    out = _run(REPO / "examples" / "emit-flux" / "run.sh", KUSTOMIZE=client("kustomize"))
    assert out.splitlines() == ["helmrelease.yaml: postRenderers are current",
                                "built as Flux does: nothing left to harden"]


def test_emit_values_example() -> None:
    if not (CHARTS / "gloo-1.22.1").is_dir():
        unavailable(f"no Gloo chart at {CHARTS}/gloo-1.22.1 (GLOO_HARDEN_CHARTS)")
    out = _run(REPO / "examples" / "emit-values" / "run.sh", HELM3=helm(3),
               GLOO_HARDEN_CHARTS=str(CHARTS))
    assert out.splitlines() == [
        "left to the post-renderer or patches: disable-sa-token-automount on Deployment "
        "gateway-proxy",
        "left to the post-renderer or patches: disable-sa-token-automount on Deployment "
        "public-gw"]


def test_emit_policy_example() -> None:
    out = _run(REPO / "examples" / "emit-policy" / "run.sh")
    assert out.splitlines() == [
        "ValidatingAdmissionPolicy (Kubernetes 1.30+). Enforces: drop-net-bind-service, "
        "read-only-root-filesystem.",
        "limit, drop-net-bind-service: CEL sees one object",
        "limit, disable-sa-token-automount: not enforced by the policy"]
