"""``kpt fn render --allow-exec`` with a Kptfile pipeline whose mutator is ``exec: gloo-harden``."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import pinned_but
from gloo_harden.adapters.krmio import OUTCOME_TAG
from krmtools import (
    HARDENING_LINES,
    HOST_NETWORK,
    PACKAGE,
    assert_hardened,
    changed_lines,
    client,
    commit,
    diff,
    files,
    objects,
    package,
    results_file,
    run,
)

pytestmark = pytest.mark.e2e

KPTFILE = """\
apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: gloo-gateway
  annotations:
    config.kubernetes.io/local-config: "true"
info:
  description: Gloo gateway proxy, hardened on every render.
pipeline:
  mutators:
    - exec: gloo-harden   # a bare name: found on PATH
{config}
"""
#: the built-ins the expected lines were written for are enabled (conftest.PINNED), but one
TYPED = f"""\
apiVersion: gloo-harden.dev/v1alpha1
kind: GlooHardening
metadata:
  name: harden
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  enable: [{', '.join(pinned_but('disable-kubernetes-destinations'))}]
  disable: [disable-kubernetes-destinations]   # routes still use kube destinations
  strict: true
"""
CONFIG_MAP = ("      configMap:\n        disable: read-only-root-filesystem\n"
              f"        enable: {','.join(pinned_but('read-only-root-filesystem'))}")


def render_package(tmp_path: Path, config: str, source: Path = PACKAGE) -> Path:
    pkg = package(source, tmp_path / "pkg")
    # First a no-op render (exec: cat): kpt re-spaces inline comments on every render, and
    # that becomes the baseline the hardening diff is taken against.
    noop = KPTFILE.format(config=config).replace("exec: gloo-harden", "exec: cat")
    (pkg / "Kptfile").write_text(noop)
    (pkg / "harden.yaml").write_text(TYPED)
    done = run(client("kpt"), "fn", "render", pkg, "--allow-exec")
    assert done.returncode == 0, done.stderr
    kptfile = (pkg / "Kptfile").read_text()
    (pkg / "Kptfile").write_text(kptfile.replace("exec: cat", "exec: gloo-harden"))
    commit(pkg)
    return pkg


def render(pkg: Path, results: Path):  # type: ignore[no-untyped-def]
    return run(client("kpt"), "fn", "render", pkg, "--allow-exec", "--results-dir", results)


@pytest.mark.parametrize("config, settings", [
    ("      configPath: harden.yaml", False),
    (CONFIG_MAP, True),
])
def test_render_hardens_the_package_and_nothing_else(tmp_path: Path, config: str,
                                                     settings: bool) -> None:
    pkg = render_package(tmp_path, config)
    done = render(pkg, tmp_path / "results")
    assert done.returncode == 0, done.stderr
    patch = diff(pkg)
    assert "Kptfile" not in patch and "harden.yaml" not in patch
    assert [line for line in changed_lines(patch) if not HARDENING_LINES.match(line)] == []
    docs = objects("---\n".join(v for k, v in files(pkg).items() if k != "harden.yaml"))
    if settings:  # configMap: read-only-root-filesystem disabled, Settings hardened
        assert "readOnlyRootFilesystem" not in patch
        assert "disableKubernetesDestinations: true" in patch
    else:
        assert_hardened(docs, settings=False)
    (item,) = results_file(tmp_path / "results")["items"]
    assert item["exec"] == "gloo-harden" and item["exitCode"] == 0
    told = [r for r in item["results"] if r.get("tags", {}).get(OUTCOME_TAG) != "evidence-unseen"]
    assert {r["severity"] for r in told} == {"info"}
    unseen = [r for r in item["results"] if r not in told]  # the routes, when Settings is hardened
    assert len(unseen) == settings and all(r["severity"] == "warning" for r in unseen)


def test_render_twice_leaves_the_second_diff_empty(tmp_path: Path) -> None:
    pkg = render_package(tmp_path, "      configPath: harden.yaml")
    assert render(pkg, tmp_path / "first").returncode == 0
    commit(pkg)
    done = render(pkg, tmp_path / "second")
    assert done.returncode == 0, done.stderr
    assert diff(pkg) == ""


def test_render_refusal_under_strict_fails_and_writes_nothing(tmp_path: Path) -> None:
    pkg = render_package(tmp_path, "      configPath: harden.yaml", HOST_NETWORK)
    done = render(pkg, tmp_path / "results")
    assert done.returncode == 1
    assert diff(pkg) == ""
    assert "containerPort 80 on the host network" in done.stderr
    listing = results_file(tmp_path / "results")
    assert listing["exitCode"] == 1
    (error,) = [r for r in listing["items"][0]["results"] if r["severity"] == "error"]
    assert error["resourceRef"]["kind"] == "Deployment"


VALIDATOR = """\
apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: gloo-gateway
  annotations:
    config.kubernetes.io/local-config: "true"
pipeline:
{mutators}  validators:
    - exec: gloo-harden --check   # kpt discards what validators write: fail instead
"""


@pytest.mark.parametrize("mutators, code", [
    ("", 1),  # nothing hardens the package: the validator fails the render
    ("  mutators:\n    - exec: gloo-harden\n", 0),  # hardened first: the validator passes
])
def test_render_validator_with_check(tmp_path: Path, mutators: str, code: int) -> None:
    pkg = package(PACKAGE, tmp_path / "pkg")
    (pkg / "Kptfile").write_text(VALIDATOR.format(mutators=mutators))
    commit(pkg)
    done = render(pkg, tmp_path / "results")
    assert done.returncode == code, done.stderr
    if code:
        assert diff(pkg) == ""
        assert "--check: 3 items would be hardened" in done.stderr
    else:
        assert_hardened(objects("---\n".join(files(pkg).values())))
        validator = results_file(tmp_path / "results")["items"][-1]
        assert validator["exec"] == "gloo-harden --check" and validator["exitCode"] == 0
