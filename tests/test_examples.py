"""Every example under examples/ is executed: each folder's run.sh must succeed.

Examples whose run.sh a dedicated end-to-end test already runs (asserting its output line by
line) are not run a second time here; the last test checks that those tests still do.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, tool_env
from e2e.helmtools import helm

EXAMPLES = sorted(p for p in (REPO / "examples").iterdir() if p.is_dir())
#: example → the test module that runs its run.sh and checks what it prints.
RUN_IN_DETAIL = {
    "kpt-eval": "e2e/test_kpt_examples.py",
    "kpt-render": "e2e/test_kpt_examples.py",
    "kustomize-legacy-plugin": "e2e/test_kustomize_examples.py",
    "kustomize-krm-function": "e2e/test_kustomize_examples.py",
    "kpt-image": "e2e/test_image.py",  # given the image the session built
    "kustomize-container": "e2e/test_image.py",
    "emit-kustomize": "outputs/test_emit_examples.py",  # with the real kustomize
    "emit-flux": "outputs/test_emit_examples.py",
    "emit-values": "outputs/test_emit_examples.py",  # with Helm 3 and the real Gloo chart
    "emit-policy": "outputs/test_emit_examples.py",
}


#: example → the Helm major versions its run.sh drives. They are found as the Helm end-to-end
#: tests find them (helmtools.helm): missing, the example skips, or fails in CI.
NEEDS_HELM = {"argocd-cmp": (3,), "ci-gate": (3,), "helm3-post-renderer": (3,),
              "helm4-plugin": (4,), "emit-values": (3,)}


def test_every_example_has_a_readme_and_a_run_script() -> None:
    for folder in EXAMPLES:
        assert (folder / "README.md").is_file(), folder
        assert (folder / "run.sh").stat().st_mode & 0o111, f"{folder}/run.sh is not executable"


@pytest.mark.parametrize("folder", [f for f in EXAMPLES if f.name not in RUN_IN_DETAIL],
                         ids=lambda p: p.name)
def test_example_runs(folder: Path) -> None:
    helms = {f"HELM{major}": helm(major) for major in NEEDS_HELM.get(folder.name, ())}
    result = subprocess.run([str(folder / "run.sh")], capture_output=True, cwd=folder,
                            env=tool_env(**helms), timeout=600)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()


@pytest.mark.parametrize("name", sorted(RUN_IN_DETAIL))
def test_examples_left_out_here_are_run_by_their_own_test(name: str) -> None:
    source = (Path(__file__).parent / RUN_IN_DETAIL[name]).read_text()
    assert f'"examples" / "{name}" / "run.sh"' in source


def test_examples_that_run_helm_are_known() -> None:
    for folder in EXAMPLES:
        majors = {int(m) for m in re.findall(r"\$\{?HELM(\d)", (folder / "run.sh").read_text())}
        assert majors == set(NEEDS_HELM.get(folder.name, ())), folder.name
