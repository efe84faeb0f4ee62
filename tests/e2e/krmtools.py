"""Helpers for the kpt and kustomize end-to-end tests: find the real clients, make git-tracked
package copies, and read what the clients wrote.

A missing client fails the test when ``GLOO_HARDEN_REQUIRE_CLIENTS=1`` (CI) and skips it
otherwise. ``gloo-harden`` is always the console script next to ``sys.executable``, found by
a bare name on PATH, exactly as a user's Kptfile or kustomization names it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PACKAGE = FIXTURES / "kpt-package"
HOST_NETWORK = FIXTURES / "kpt-hostnetwork"
PLUGIN_ROOT = REPO / "kustomize-plugin"
CACHE = Path.home() / ".cache" / "gloo-harden-ci"
#: Every line the four hardenings may add or remove in the fixture packages. A test that holds
#: a run to these (or to ``expected``) enables the built-ins it was written for
#: (``conftest.PINNED``), so a new built-in changes nothing there.
HARDENING_LINES = re.compile(
    r"^[+-]\s*(add:( \[\])?|- NET_BIND_SERVICE|readOnlyRootFilesystem: true|"
    r"automountServiceAccountToken: false|disableKubernetesDestinations: (true|false))$")


def client(name: str) -> str:
    """The path of ``kpt``, ``kubectl`` or ``kustomize`` (PATH, then the CI cache)."""
    found = shutil.which(name) or ""
    cached = CACHE / "bin" / name
    if not found and os.access(cached, os.X_OK):
        found = str(cached)
    if found:
        return found
    message = f"{name} not found on PATH or in {CACHE / 'bin'}"
    if os.environ.get("GLOO_HARDEN_REQUIRE_CLIENTS") == "1":
        pytest.fail(message)
    pytest.skip(message)


def env(**extra: str) -> dict[str, str]:
    """Our scripts first on PATH; no cluster; a quiet, reproducible git."""
    out = dict(os.environ, KUBECONFIG=os.devnull, GIT_CONFIG_GLOBAL=os.devnull,
               GIT_CONFIG_NOSYSTEM="1", **extra)
    out["PATH"] = f"{BIN_DIR}{os.pathsep}{out.get('PATH', '')}"
    return out


def run(*args: str | Path, cwd: Path | None = None,
        extra_env: dict[str, str] | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd,
                          env=env(**(extra_env or {})), input=stdin, timeout=300, check=False)


def git(package: Path, *args: str) -> str:
    done = run("git", "-c", "user.name=test", "-c", "user.email=test@example.com",
               "-c", "commit.gpgsign=false", *args, cwd=package)
    assert done.returncode == 0, done.stderr
    return done.stdout


def package(source: Path, target: Path, *extra: Path) -> Path:
    """Copy ``source`` (plus ``extra`` files) to ``target`` and commit it: git shows each change."""
    shutil.copytree(source, target)
    for path in extra:
        shutil.copy(path, target / path.name)
    git(target, "init", "-q")
    commit(target)
    return target


def commit(package_dir: Path) -> None:
    git(package_dir, "add", "--all")
    git(package_dir, "commit", "-q", "--allow-empty", "-m", "snapshot")


def diff(package_dir: Path) -> str:
    """``git diff`` of the working tree against the last snapshot."""
    return git(package_dir, "diff", "--no-color", "-U0")


def changed_lines(patch: str) -> list[str]:
    return [line for line in patch.splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def files(package_dir: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(package_dir.glob("*.yaml"))}


def objects(text: str) -> list[Any]:
    """Parse with PyYAML, a YAML 1.1 reader like kubectl: ``on`` unquoted would be a bool."""
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def find(docs: list[Any], kind: str) -> Any:
    (found,) = [d for d in docs if d.get("kind") == kind]
    return found


def assert_hardened(docs: list[Any], *, settings: bool = True) -> None:
    """The four hardenings are in ``docs`` (the Settings one only when ``settings``)."""
    deployment = find(docs, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (envoy,) = pod["containers"]
    assert envoy["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": []}
    assert envoy["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["automountServiceAccountToken"] is False
    assert find(docs, "ServiceAccount")["automountServiceAccountToken"] is False
    assert find(docs, "Settings")["spec"]["gloo"]["disableKubernetesDestinations"] is settings
    # A YAML 1.1 reader still sees the strings the user quoted.
    values = {e["name"]: e.get("value") for e in envoy["env"]}
    assert values["ENABLE_ACCESS_LOG"] == "on" and values["ENVOY_UID"] == "0"


def results_file(results_dir: Path) -> Any:
    """kpt's ``--results-dir`` FunctionResultList."""
    return yaml.safe_load((results_dir / "results.yaml").read_text())


def expected(base: list[Any], *, settings: bool = True) -> list[Any]:
    """What the four hardenings make of the fixture package's objects, and nothing else."""
    import copy

    out = copy.deepcopy(base)
    for doc in out:
        if doc["kind"] == "Deployment":
            pod = doc["spec"]["template"]["spec"]
            pod["automountServiceAccountToken"] = False
            context = pod["containers"][0]["securityContext"]
            context["capabilities"]["add"] = []
            context["readOnlyRootFilesystem"] = True
        elif doc["kind"] == "ServiceAccount":
            doc["automountServiceAccountToken"] = False
        elif doc["kind"] == "Settings" and settings:
            doc["spec"]["gloo"]["disableKubernetesDestinations"] = True
    return out


def kustomization(folder: Path, transformer: Path | None, *resources: Path) -> Path:
    """A kustomization in ``folder`` over ``resources`` (default: the fixture package)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for path in resources or tuple(sorted(PACKAGE.glob("*.yaml"))):
        shutil.copy(path, folder / path.name)
        names.append(path.name)
    text = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
    text += "".join(f"- {name}\n" for name in names)
    if transformer is not None:
        shutil.copy(transformer, folder / "harden.yaml")
        text += "transformers:\n- harden.yaml\n"
    (folder / "kustomization.yaml").write_text(text)
    return folder
