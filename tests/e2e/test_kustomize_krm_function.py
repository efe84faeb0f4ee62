"""The exec KRM function config in ``kustomize-plugin/krm-function/``, run by standalone
``kustomize build --enable-alpha-plugins --enable-exec`` (kubectl's kustomize cannot run it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import pinned_but
from krmtools import HOST_NETWORK, PLUGIN_ROOT, client, expected, kustomization, objects, run

pytestmark = pytest.mark.e2e

FUNCTION = PLUGIN_ROOT / "krm-function" / "gloo-harden.yaml"


def function_config(tmp_path: Path, **spec: str) -> Path:
    """The shipped function config with some ``spec`` lines replaced."""
    text = FUNCTION.read_text()
    for key, value in spec.items():
        lines = [line for line in text.splitlines() if line.startswith(f"  {key}:")]
        assert len(lines) == 1, key
        text = text.replace(lines[0], f"  {key}: {value}")
    path = tmp_path / "function.yaml"
    path.write_text(text)
    return path


def pinned_config(tmp_path: Path, *disabled: str, **spec: str) -> Path:
    """The shipped function config enabling the built-ins the expected objects were written
    for (``conftest.PINNED``) but ``disabled``, which it disables."""
    return function_config(tmp_path, enable=f"[{', '.join(pinned_but(*disabled))}]",
                           disable=f"[{', '.join(disabled)}]", **spec)


def build(folder: Path, *flags: str):  # type: ignore[no-untyped-def]
    return run(client("kustomize"), "build", *flags, folder)


def test_kustomize_build_runs_the_exec_function(tmp_path: Path) -> None:
    baseline = build(kustomization(tmp_path / "plain", None))
    assert baseline.returncode == 0, baseline.stderr
    done = build(kustomization(tmp_path / "k", pinned_config(tmp_path)), "--enable-alpha-plugins",
                 "--enable-exec")
    assert done.returncode == 0, done.stderr
    assert objects(done.stdout) == expected(objects(baseline.stdout))
    assert "config.kubernetes.io" not in done.stdout and "config.k8s.io" not in done.stdout
    assert "gloo-harden: 5 changes in 3 documents (KRM function)" in done.stderr


def test_function_config_disable_and_typed_fields(tmp_path: Path) -> None:
    harden = pinned_config(tmp_path, "disable-kubernetes-destinations", strict="true")
    baseline = build(kustomization(tmp_path / "plain", None))
    done = build(kustomization(tmp_path / "k", harden), "--enable-alpha-plugins", "--enable-exec")
    assert done.returncode == 0, done.stderr
    assert objects(done.stdout) == expected(objects(baseline.stdout), settings=False)


def test_build_twice_changes_nothing_more(tmp_path: Path) -> None:
    first = build(kustomization(tmp_path / "first", FUNCTION), "--enable-alpha-plugins",
                  "--enable-exec")
    assert first.returncode == 0, first.stderr
    (tmp_path / "built.yaml").write_text(first.stdout)
    second = build(kustomization(tmp_path / "second", FUNCTION, tmp_path / "built.yaml"),
                   "--enable-alpha-plugins", "--enable-exec")
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert "gloo-harden: 0 changes in 0 documents (KRM function)" in second.stderr


def test_strict_refusal_fails_the_build(tmp_path: Path) -> None:
    harden = function_config(tmp_path, strict="true")
    done = build(kustomization(tmp_path / "k", harden, *sorted(HOST_NETWORK.glob("*.yaml"))),
                 "--enable-alpha-plugins", "--enable-exec")
    assert done.returncode != 0
    assert done.stdout == ""
    assert "containerPort 80 on the host network" in done.stderr  # our stderr, passed through
    assert "exit status 1" in done.stderr


def test_bad_function_config_fails_the_build(tmp_path: Path) -> None:
    harden = function_config(tmp_path, sidecars='"sometimes"')
    done = build(kustomization(tmp_path / "k", harden), "--enable-alpha-plugins", "--enable-exec")
    assert done.returncode != 0
    assert 'spec.sidecars: the string "sometimes"; expected true or false' in done.stderr


def test_without_enable_exec_kustomize_refuses(tmp_path: Path) -> None:
    """No silent success: standalone kustomize without the flags does not build at all."""
    done = build(kustomization(tmp_path / "k", FUNCTION))
    assert done.returncode != 0
