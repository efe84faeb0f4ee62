"""Packaging: the wheel carries every package, the built-in patch files and py.typed; the
sdist and wheel build and pass ``twine check`` as a release would; the version is written in
one place; no document promises an install that does not exist."""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from gloo_harden import __version__

EXAMPLE = REPO / "examples" / "pipe" / "gloo-rendered.yaml"


def test_wheel_ships_packages_patches_and_py_typed(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q",
                    "-w", str(tmp_path)], check=True, capture_output=True, timeout=600)
    (wheel,) = tmp_path.glob("gloo_harden-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "gloo_harden/py.typed" in names
    for patch in (REPO / "patches").rglob("*.yaml"):
        assert f"gloo_harden/_patches/{patch.relative_to(REPO / 'patches')}" in names, patch
    for init in (REPO / "transformer" / "gloo_harden").rglob("__init__.py"):
        assert f"gloo_harden/{init.relative_to(REPO / 'transformer' / 'gloo_harden')}" in names, init


def test_sdist_and_wheel_build_pass_twine_check_and_run(tmp_path: Path) -> None:
    """What a release would ship: ``python -m build`` (sdist and wheel, from this checkout,
    without network: the test extra brings setuptools and wheel), ``twine check --strict``,
    then the wheel's own copy of gloo-harden hardens the pipe example."""
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--sdist",
                            "--wheel", "--outdir", str(dist), str(REPO)],
                           capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (sdist,) = dist.glob("gloo_harden-*.tar.gz")
    (wheel,) = dist.glob("gloo_harden-*.whl")
    assert wheel.name == f"gloo_harden-{__version__}-py3-none-any.whl"
    checked = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(sdist),
                              str(wheel)], capture_output=True, text=True, timeout=300,
                             cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2, checked.stdout
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    for wanted in ("README.md", "CHANGELOG.md", "pyproject.toml",
                   "patches/drop-net-bind-service.yaml"):
        assert f"gloo_harden-{__version__}/{wanted}" in names, wanted
    installed = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    "--target", str(installed), str(wheel)], check=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": str(installed)}
    ran = subprocess.run([sys.executable, "-m", "gloo_harden", str(EXAMPLE)], capture_output=True,
                         text=True, env=env, cwd=tmp_path, timeout=300)
    assert ran.returncode == 0, ran.stderr
    assert "readOnlyRootFilesystem: true" in ran.stdout
    where = subprocess.run([sys.executable, "-c", "import gloo_harden; print(gloo_harden.__file__)"],
                           capture_output=True, text=True, env=env, cwd=tmp_path, check=True)
    assert where.stdout.startswith(str(installed))


def test_the_version_lives_in_one_place() -> None:
    """``__version__`` is the version: pyproject reads it, and the Helm plugin and the newest
    CHANGELOG entry say the same."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "gloo_harden.__version__"}
    assert importlib.metadata.version("gloo-harden") == __version__
    plugin = yaml.safe_load((REPO / "helm-plugin" / "gloo-harden" / "plugin.yaml").read_text())
    assert plugin["version"] == __version__
    newest = re.search(r"^## \[(\S+)\]", (REPO / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert newest is not None and newest.group(1) == __version__
    for example in (REPO / "examples").rglob("*"):  # image tags the examples build and run
        if example.is_file() and example.suffix in ("", ".sh", ".yaml"):
            for tag in re.findall(r"localhost/gloo-harden:([\w.-]+)", example.read_text()):
                assert tag == __version__, example


def test_the_docs_install_what_exists() -> None:
    """No index serves gloo-harden: no doc may say ``pip install gloo-harden``."""
    docs = [p for p in REPO.rglob("*") if p.suffix in (".md", ".yaml", ".yml", ".sh")
            and ".venv" not in p.parts and ".git" not in p.parts and p.is_file()]
    said = [str(p.relative_to(REPO)) for p in docs
            if re.search(r"pip[x]? install (-\S+ )*gloo-harden(?![-@/\w.])", p.read_text())]
    assert said == []


#: A pip VCS requirement (``git+https://…``) or a URL of a gloo-harden repository
#: (``https://host/owner/gloo-harden``); ``<you>``-style placeholders and example.com (reserved
#: for documentation, RFC 2606) excepted.
_OWN_ADDRESS = re.compile(
    r"git\+\w+://(?![^\s\"']*<)[^\s\"'<>]+"
    r"|(?:\bhttps?://|\bgit@)(?![^\s\"']*<)(?![\w.-]*example\.(?:com|org|net)\b)"
    r"[^\s\"'<>]*gloo-harden\b")


def test_no_doc_or_code_names_a_repository_that_does_not_exist() -> None:
    """This repository declares no public address and no release tag, so no install line,
    example or message may send a user to one (``git+https://github.com/…/gloo-harden@v0.1.0``
    was one): a clone, a built wheel or an unmistakable ``<placeholder>`` only."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                             check=True).stdout.decode().split("\0")
    files = [REPO / name for name in tracked if name and name != "tests/test_packaging.py"]
    named = [f"{p.relative_to(REPO)}: {m.group(0)}" for p in files if p.is_file()
             for m in _OWN_ADDRESS.finditer(p.read_bytes().decode(errors="replace"))]
    assert named == []


def test_the_ci_gate_installs_the_wheel_a_build_makes() -> None:
    workflow = yaml.safe_load((REPO / "examples" / "ci-gate" / "gloo-harden-gate.yml").read_text())
    source = workflow["jobs"]["gloo-harden"]["env"]["GLOO_HARDEN_SOURCE"]
    # the file name `python -m build` writes (test_sdist_and_wheel_build_pass_twine_check_and_run)
    assert source == f"tools/gloo_harden-{__version__}-py3-none-any.whl"
    readme = (REPO / "README.md").read_text()
    assert f"pipx install gloo-harden/dist/gloo_harden-{__version__}-py3-none-any.whl" in readme
