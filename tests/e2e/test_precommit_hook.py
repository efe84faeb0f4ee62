"""pre-commit: the ``gloo-harden-check`` hook of .pre-commit-hooks.yaml, run as pre-commit runs
it: the entry split like a command line, followed by the names of the matching files."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from helmtools import BIN_DIR, REPO

pytestmark = pytest.mark.e2e

UNHARDENED = REPO / "examples" / "pipe" / "gloo-rendered.yaml"


def hook() -> dict[str, Any]:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    (found,) = [h for h in hooks if h["id"] == "gloo-harden-check"]
    return dict(found)


def staged(root: Path) -> list[str]:
    """What pre-commit would pass: repository-relative names that ``files`` searches."""
    pattern = re.compile(hook()["files"])
    names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return [n for n in names if pattern.search(n)]


def run_hook(root: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PATH=f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run([*shlex.split(hook()["entry"]), *staged(root)], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def harden(text: str) -> str:
    env = dict(os.environ, PATH=f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(["gloo-harden", "--quiet"], input=text, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with a hardened render under rendered/ and files the hook must ignore."""
    (tmp_path / "rendered").mkdir()
    (tmp_path / "rendered" / "gloo.yaml").write_text(harden(UNHARDENED.read_text()))
    (tmp_path / "rendered" / "README.md").write_text("not a manifest\n")
    (tmp_path / "charts" / "gloo" / "templates").mkdir(parents=True)
    (tmp_path / "charts" / "gloo" / "templates" / "deployment.yaml").write_text(
        "{{ .Values.not.yaml }}\n")
    (tmp_path / "gloo-unhardened.yaml").write_text(UNHARDENED.read_text())
    return tmp_path


def test_hook_definition() -> None:
    definition = hook()
    assert definition["entry"] == "gloo-harden --check --quiet --separate-renders"
    assert definition["language"] == "python"
    assert "require_serial" not in definition  # each file is judged alone: any batching will do


def test_files_pattern_selects_renders_only() -> None:
    pattern = re.compile(hook()["files"])
    for name in ("rendered/gloo.yaml", "rendered/prod/gloo.yml", "envs/prod/rendered/gloo.yaml"):
        assert pattern.search(name), name
    for name in ("gloo.yaml", "rendered.yaml", "rendered/README.md", "prerendered/gloo.yaml",
                 "charts/gloo/templates/deployment.yaml"):
        assert not pattern.search(name), name


def test_hardened_render_passes(repo: Path) -> None:
    assert staged(repo) == ["rendered/gloo.yaml"]
    done = run_hook(repo)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


def test_unhardened_render_fails(repo: Path) -> None:
    (repo / "rendered" / "staging").mkdir()
    (repo / "rendered" / "staging" / "gloo.yml").write_text(UNHARDENED.read_text())
    assert staged(repo) == ["rendered/gloo.yaml", "rendered/staging/gloo.yml"]
    done = run_hook(repo)
    assert done.returncode == 1
    assert done.stdout == ""
    assert re.search(r"gloo-harden: [1-9][0-9]* changes? in", done.stderr), done.stderr


def test_a_route_in_one_render_does_not_let_another_pass(repo: Path) -> None:
    """Issue 14 §7: dev routes to a kube destination (its Settings is kept back, a warning);
    prod's unhardened Settings must still fail the hook, and every line names its file."""
    settings = ("apiVersion: gloo.solo.io/v1\nkind: Settings\nmetadata: {name: default, "
                "namespace: gloo-system}\nspec:\n  gloo: {disableKubernetesDestinations: false}\n")
    route = ("apiVersion: gateway.solo.io/v1\nkind: VirtualService\nmetadata: {name: petstore, "
             "namespace: default}\nspec:\n  virtualHost:\n    routes:\n    - routeAction:\n"
             "        single: {kube: {ref: {name: petstore, namespace: default}, port: 8080}}\n")
    (repo / "rendered" / "gloo.yaml").unlink()
    (repo / "rendered" / "dev.yaml").write_text(settings + "---\n" + route)
    (repo / "rendered" / "prod.yaml").write_text(settings)
    done = run_hook(repo)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert "gloo-harden: rendered/prod.yaml: 1 change in 1 document" in lines
    assert any(line.startswith("rendered/dev.yaml: [warning] gloo.solo.io/v1/Settings/")
               for line in lines), lines
