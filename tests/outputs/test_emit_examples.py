"""The emit examples: each ``run.sh`` succeeds with the real clients it drives (kustomize;
Helm 3 and the real Gloo chart for values), and prints what the README says.

Each example commits what ``gloo-harden emit`` wrote for its render (a Component, a
HelmRelease's postRenderers, a values overlay, a policy) and checks it with ``emit --check``;
those artefacts, and what the values and policy examples print, are made from a run of every
built-in, so ``GLOO_HARDEN_UPDATE_GOLDEN=1`` re-emits the artefacts (as each README says to)
and rewrites ``tests/data/examples/<example>.txt``. The lines written by hand must stay.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from test_emit_values_proof import CHARTS

from conftest import REPO, UPDATE_GOLDEN, golden, run_tool, tool_env, unavailable
from e2e.helmtools import helm
from e2e.krmtools import client

EXAMPLES = REPO / "examples"  # (each run.sh is named in full: tests/test_examples.py looks)
SHOWN = REPO / "tests" / "data" / "examples"
RENDER = EXAMPLES / "pipe" / "gloo-rendered.yaml"  # what emit-kustomize and emit-flux emit for


def _run(script: Path, **env: str) -> str:
    done = subprocess.run([str(script)], capture_output=True, text=True, cwd=script.parent,
                          env=tool_env(**env), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _emit(*args: str | Path) -> str:
    """``gloo-harden emit ARGS --quiet`` (under ``GLOO_HARDEN_UPDATE_GOLDEN=1`` only)."""
    done = run_tool("emit", *map(str, args), "--quiet")
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def _shown(name: str, out: str) -> list[str]:
    assert out == golden(SHOWN / f"{name}.txt", out)
    return out.splitlines()


def test_emit_kustomize_example() -> None:
    if UPDATE_GOLDEN:
        _emit("kustomize", RENDER, "-o", EXAMPLES / "emit-kustomize" / "hardening")
    out = _run(REPO / "examples" / "emit-kustomize" / "run.sh", KUSTOMIZE=client("kustomize"))
    assert out.splitlines() == [
        "kustomize build: hardened", "out of date: the render changed since it was emitted (input "]


def test_emit_flux_example() -> None:
    if UPDATE_GOLDEN:  # the postRenderers pasted at the end of the HelmRelease, under spec
        release = EXAMPLES / "emit-flux" / "helmrelease.yaml"
        text = release.read_text()
        head = text[:text.index("  # gloo-harden ")]
        release.write_text(head + textwrap.indent(_emit("flux", RENDER), "  "))
    out = _run(REPO / "examples" / "emit-flux" / "run.sh", KUSTOMIZE=client("kustomize"))
    assert out.splitlines() == ["helmrelease.yaml: postRenderers are current",
                                "built as Flux does: nothing left to harden"]


def test_emit_values_example(tmp_path: Path) -> None:
    chart = CHARTS / "gloo-1.22.1"
    if not chart.is_dir():
        unavailable(f"no Gloo chart at {chart} (GLOO_HARDEN_CHARTS)")
    example = EXAMPLES / "emit-values"
    if UPDATE_GOLDEN:  # run.sh's render, then its overlay
        render = tmp_path / "render.yaml"
        done = subprocess.run([helm(3), "template", "gloo", str(chart), "-n", "gloo-system",
                               "-f", str(example / "user-values.yaml")], capture_output=True,
                              text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        render.write_text(done.stdout)
        _emit("values", render, "-o", example / "values-hardening.yaml")
    out = _run(REPO / "examples" / "emit-values" / "run.sh", HELM3=helm(3),
               GLOO_HARDEN_CHARTS=str(CHARTS))
    shown = _shown("emit-values", out)
    for proxy in ("gateway-proxy", "public-gw"):  # no value stops the pods' token mount
        assert ("left to the post-renderer or patches: disable-sa-token-automount on "
                f"Deployment {proxy}") in shown


def test_emit_policy_example() -> None:
    example = EXAMPLES / "emit-policy"
    if UPDATE_GOLDEN:
        _emit("policy", example / "render.yaml", "--assume-version", "kgateway-2.2.0",
              "-o", example / "policy.yaml")
    shown = _shown("emit-policy", _run(REPO / "examples" / "emit-policy" / "run.sh"))
    assert shown[0].startswith("ValidatingAdmissionPolicy (Kubernetes 1.30+). Enforces: ")
    assert {"drop-net-bind-service", "read-only-root-filesystem"} <= set(
        shown[0].removesuffix(".").split(": ", 1)[1].split(", "))
    assert {"limit, drop-net-bind-service: CEL sees one object",
            "limit, disable-sa-token-automount: not enforced by the policy"} <= set(shown)
