"""examples/kustomize-legacy-plugin (kubectl kustomize) and examples/kustomize-krm-function
(standalone kustomize): their run.sh, executed with the real clients.

What each prints is a whole run of every built-in on the example, so it is kept in
``tests/data/examples/<example>.txt`` (``GLOO_HARDEN_UPDATE_GOLDEN=1`` rewrites it); the lines
below, written by hand, are the four hardenings' edits, which must stay among them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest import golden
from krmtools import PLUGIN_ROOT, REPO, client, run

pytestmark = pytest.mark.e2e

SHOWN = REPO / "tests" / "data" / "examples"
CHANGED = {"+automountServiceAccountToken: false", "+      automountServiceAccountToken: false",
           "-            add:", "-            - NET_BIND_SERVICE", "+            add: []",
           "+          readOnlyRootFilesystem: true"}


def test_kustomize_legacy_plugin_example() -> None:
    client("kubectl")
    done = run(REPO / "examples" / "kustomize-legacy-plugin" / "run.sh")
    assert done.returncode == 0, done.stderr
    assert done.stdout == golden(SHOWN / "kustomize-legacy-plugin.txt", done.stdout)
    *changed, last = done.stdout.splitlines()
    assert set(changed) >= CHANGED and "disableKubernetesDestinations" not in done.stdout
    assert last == "second build: no change"


def test_kustomize_krm_function_example() -> None:
    kustomize = Path(client("kustomize"))
    path = f"{kustomize.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    done = run(REPO / "examples" / "kustomize-krm-function" / "run.sh", extra_env={"PATH": path})
    assert done.returncode == 0, done.stderr
    summary = [line for line in done.stderr.splitlines() if line.startswith("gloo-harden: ")]
    shown = done.stdout + "".join(f"stderr: {line}\n" for line in summary)
    assert shown == golden(SHOWN / "kustomize-krm-function.txt", shown)
    *changed, last = done.stdout.splitlines()
    assert CHANGED | {"-    disableKubernetesDestinations: false",
                      "+    disableKubernetesDestinations: true"} <= set(changed)
    assert last == "second build: no change"
    (said,) = summary
    assert re.fullmatch(r"gloo-harden: [1-9]\d* changes in [1-9]\d* documents \(KRM function\)", said)


def test_example_function_config_is_the_shipped_one() -> None:
    example = REPO / "examples" / "kustomize-krm-function" / "gloo-harden.yaml"
    assert example.read_text() == (PLUGIN_ROOT / "krm-function" / "gloo-harden.yaml").read_text()
