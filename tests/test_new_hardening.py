"""CONTRIBUTING.md's checklist, kept honest: a throwaway built-in hardening added to a copy of
the project the way the checklist says (a patch file, one line in ``run/builtins.py``, two
golden inputs) passes every whole-run check once ``GLOO_HARDEN_UPDATE_GOLDEN=1`` has
regenerated the expectations, and breaks no test that is about one behaviour.

The hardening, ``seccomp-runtime-default``: ``seccompProfile: {type: RuntimeDefault}`` on every
proxy pod (scope ``proxy-pod``). ``WHOLE_RUN`` are the test modules that hold whole-run
expectations (every built-in's results, edits and diffs) or read every built-in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import CORPUS, REPO, tool_env

HID = "seccomp-runtime-default"
PATCH = f"""\
apiVersion: gloo-harden.dev/v1alpha1
kind: Hardening
metadata:
  name: {HID}
summary: Run every Gloo proxy pod under the container runtime's default seccomp profile.
description: |
  What it does
    Sets securityContext.seccompProfile.type RuntimeDefault on every Gloo proxy pod spec.
scope: proxy-pod
guards: [no-custom-seccomp]
strategic:
  securityContext:
    seccompProfile:
      type: RuntimeDefault
"""
PROXY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gateway-proxy
  namespace: gloo-system
  labels: {app: gloo, gloo: gateway-proxy}
spec:
  template:
    metadata:
      labels: {gloo: gateway-proxy}
    spec:
      containers:
      - name: gateway-proxy
        image: quay.io/solo-io/gloo-envoy-wrapper:1.19.0
"""
#: the test modules with whole-run expectations (every built-in's results, edits, diffs and
#: counts) or that read every built-in. Left out, as CONTRIBUTING.md says: the benchmark's dry
#: run (its kustomize and kpt peers reproduce the built-ins' edits by hand) and the release
#: rows' promise (``gloo/releases.py`` names, per release, every field a run changes: the new
#: hardening's row text is the contributor's to write, and that test fails until it is)
WHOLE_RUN = (
    "tests/test_golden.py", "tests/run/test_catalog.py", "tests/test_cli.py",
    "tests/test_outputs.py", "tests/outputs/test_sarif.py", "tests/run/test_options.py",
    "tests/adapters/test_krm_adapter.py", "tests/benchmarks/test_bench_smoke.py",
    "tests/yamltext/test_byte_fidelity.py", "tests/test_separate_renders.py",
    "tests/test_corpus.py", "tests/test_messages.py", "tests/test_performance_design.py",
    "tests/profiles", "tests/gloo", "-k", "not bench_dry_run and not what_the_row_says",
)


def _copy(tmp: Path) -> Path:
    """The project's files (tracked and new, not ignored) in ``tmp``."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source, target = REPO / name, tmp / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return tmp


def _add_hardening(copy: Path) -> None:
    """The checklist's steps: patch file, one line, golden inputs."""
    (copy / "patches" / f"{HID}.yaml").write_text(PATCH)
    builtins = copy / "transformer" / "gloo_harden" / "run" / "builtins.py"
    text = builtins.read_text()
    builtins.write_text(text.replace('    "add-kgateway-class-parameters",\n',
                                     f'    "add-kgateway-class-parameters",\n    "{HID}",\n'))
    golden = copy / "tests" / "golden" / HID
    (golden / "applies-gateway-proxy").mkdir(parents=True)
    (golden / "applies-gateway-proxy" / "input.yaml").write_text(PROXY)
    (golden / "noop-already-runtime-default").mkdir()
    (golden / "noop-already-runtime-default" / "input.yaml").write_text(
        PROXY.replace("    spec:\n", "    spec:\n      securityContext:\n"
                      "        seccompProfile: {type: RuntimeDefault}\n"))


def _pytest(copy: Path, **env: str) -> subprocess.CompletedProcess[str]:
    paths = [str(copy / "transformer"), *filter(None, [os.environ.get("PYTHONPATH")])]
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-n", "2", *WHOLE_RUN], cwd=copy, capture_output=True, text=True,
                          timeout=3000, env=tool_env(PYTHONPATH=os.pathsep.join(paths),
                                                     GLOO_HARDEN_CORPUS=str(CORPUS), **env))


def test_a_new_hardening_is_one_checked_change(tmp_path: Path) -> None:
    copy = _copy(tmp_path / "project")
    _add_hardening(copy)
    _pytest(copy, GLOO_HARDEN_UPDATE_GOLDEN="1")  # regenerates; may fail where it rewrote
    checked = _pytest(copy)
    assert checked.returncode == 0, checked.stdout[-6000:] + checked.stderr[-3000:]
    assert (copy / "tests" / "golden" / HID / "applies-gateway-proxy" / "expected.diff").is_file()
    assert f"| `{HID}` |" in (copy / "README.md").read_text()
