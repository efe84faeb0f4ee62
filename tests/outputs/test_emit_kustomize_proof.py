"""Proof of ``emit kustomize`` and ``emit flux`` with the real kustomize: for every corpus
render, the render plus the emitted Component (or the emitted post-renderer patches applied
as Flux's helm-controller applies them: a kustomization with ``patches:`` over the render)
builds to the same objects, as data, as ``gloo-harden`` writes; ``gloo-harden --check`` on
the build passes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from emittools import hardened, kustomize_build, same_objects

from conftest import corpus_params, needs_corpus, run_tool
from e2e.krmtools import client

pytestmark = needs_corpus


def _render(tmp_path: Path, render: Path) -> Path:
    copy = tmp_path / "render.yaml"
    shutil.copyfile(render, copy)
    return copy


def _check_passes(built: str, tmp_path: Path) -> None:
    path = tmp_path / "built.yaml"
    path.write_text(built)
    done = run_tool("--check", str(path))
    assert done.returncode == 0, done.stderr.decode()


@pytest.mark.parametrize("render", corpus_params(), ids=lambda p: getattr(p, "stem", "none"))
def test_component_builds_to_gloo_hardens_output(render: Path, tmp_path: Path) -> None:
    kustomize = client("kustomize")
    copy = _render(tmp_path, render)
    done = run_tool("emit", "kustomize", str(copy), "-o", str(tmp_path / "hardening"))
    assert done.returncode == 0, done.stderr.decode()
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [render.yaml]\ncomponents: [hardening]\n")
    built = kustomize_build(kustomize, tmp_path)
    only_built, only_hardened = same_objects(built, hardened(copy))
    assert (only_built, only_hardened) == ([], [])
    _check_passes(built, tmp_path)


@pytest.mark.parametrize("render", corpus_params(), ids=lambda p: getattr(p, "stem", "none"))
def test_flux_patches_build_to_gloo_hardens_output(render: Path, tmp_path: Path) -> None:
    kustomize = client("kustomize")
    copy = _render(tmp_path, render)
    done = run_tool("emit", "flux", str(copy), "--results", str(tmp_path / "results.json"))
    assert done.returncode == 0, done.stderr.decode()
    emitted = yaml.safe_load(done.stdout)["postRenderers"]
    patches = emitted[0]["kustomize"]["patches"] if emitted else []
    assert all(set(p) == {"target", "patch"} for p in patches)
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump({"resources": ["render.yaml"], "patches": patches}))
    built = kustomize_build(kustomize, tmp_path)
    only_built, only_hardened = same_objects(built, hardened(copy))
    named = [r for r in json.loads((tmp_path / "results.json").read_text())
             if r.get("tag") == "not-expressible"]
    # what a post-renderer cannot create is named, one line each, and is all that is missing
    assert only_built == []
    assert sorted((o["kind"], o["metadata"]["name"]) for o in only_hardened) == sorted(
        (r["resource"]["kind"], r["resource"]["name"]) for r in named)
    assert all(r["hardening"] == "add-kgateway-class-parameters" for r in named)
    assert done.stderr.decode().count("not expressible") == len(named)
