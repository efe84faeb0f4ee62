"""examples/kustomize-legacy-plugin (kubectl kustomize) and examples/kustomize-krm-function
(standalone kustomize): their run.sh, executed with the real clients."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from krmtools import PLUGIN_ROOT, REPO, client, run

pytestmark = pytest.mark.e2e

CHANGED = {"+automountServiceAccountToken: false", "+      automountServiceAccountToken: false",
           "-            add:", "-            - NET_BIND_SERVICE", "+            add: []",
           "+          readOnlyRootFilesystem: true"}


def test_kustomize_legacy_plugin_example() -> None:
    client("kubectl")
    done = run(REPO / "examples" / "kustomize-legacy-plugin" / "run.sh")
    assert done.returncode == 0, done.stderr
    *changed, last = done.stdout.splitlines()
    assert set(changed) == CHANGED and len(changed) == len(CHANGED)  # Settings disabled there
    assert last == "second build: no change"


def test_kustomize_krm_function_example() -> None:
    kustomize = Path(client("kustomize"))
    path = f"{kustomize.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    done = run(REPO / "examples" / "kustomize-krm-function" / "run.sh", extra_env={"PATH": path})
    assert done.returncode == 0, done.stderr
    *changed, last = done.stdout.splitlines()
    assert set(changed) == CHANGED | {"-    disableKubernetesDestinations: false",
                                      "+    disableKubernetesDestinations: true"}
    assert last == "second build: no change"
    assert "gloo-harden: 5 changes in 3 documents (KRM function)" in done.stderr


def test_example_function_config_is_the_shipped_one() -> None:
    example = REPO / "examples" / "kustomize-krm-function" / "gloo-harden.yaml"
    assert example.read_text() == (PLUGIN_ROOT / "krm-function" / "gloo-harden.yaml").read_text()
