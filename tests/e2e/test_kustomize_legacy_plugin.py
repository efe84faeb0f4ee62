"""The legacy kustomize exec plugin in ``kustomize-plugin/``, run by ``kubectl kustomize
--enable-alpha-plugins`` with a private plugin home (``XDG_CONFIG_HOME`` or
``KUSTOMIZE_PLUGIN_HOME``), installed the way kustomize-plugin/README.md says."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import EMPTY_CLUSTER, pinned_but
from krmtools import HOST_NETWORK, PACKAGE, PLUGIN_ROOT, client, expected, kustomization, objects, run

pytestmark = pytest.mark.e2e

PLUGIN = PLUGIN_ROOT / "gloo-harden.dev" / "v1alpha1" / "gloohardening" / "GlooHardening"
CONFIG = """\
apiVersion: gloo-harden.dev/v1alpha1
kind: GlooHardening
metadata:
  name: gloo-harden
spec:
{spec}
"""


def config(tmp_path: Path, spec: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(spec=spec))
    return path


def plugin_env(tmp_path: Path, how: str) -> dict[str, str]:
    """Install the plugin tree like the README: copied under XDG_CONFIG_HOME, or in place."""
    if how == "KUSTOMIZE_PLUGIN_HOME":
        return {"KUSTOMIZE_PLUGIN_HOME": str(PLUGIN_ROOT)}
    home = tmp_path / "xdg"
    shutil.copytree(PLUGIN_ROOT / "gloo-harden.dev", home / "kustomize" / "plugin" / "gloo-harden.dev")
    return {"XDG_CONFIG_HOME": str(home)}


def build(folder: Path, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    args = [client("kubectl"), "kustomize", folder]
    if env is not None:
        args.append("--enable-alpha-plugins")
    return run(*args, extra_env=env)


@pytest.mark.parametrize("how", ["XDG_CONFIG_HOME", "KUSTOMIZE_PLUGIN_HOME"])
def test_kubectl_kustomize_runs_the_plugin(tmp_path: Path, how: str) -> None:
    baseline = build(kustomization(tmp_path / "plain", None))
    assert baseline.returncode == 0, baseline.stderr
    # the built-ins the expected objects were written for (conftest.PINNED), but one
    enable = ", ".join(pinned_but("disable-kubernetes-destinations"))
    harden = config(tmp_path, f"  enable: [{enable}]\n  disable: [disable-kubernetes-destinations]")
    done = build(kustomization(tmp_path / "hardened", harden), plugin_env(tmp_path, how))
    assert done.returncode == 0, done.stderr
    assert objects(done.stdout) == expected(objects(baseline.stdout), settings=False)
    assert "kustomize.config.k8s.io/id" not in done.stdout


def test_plugin_twice_changes_nothing_more(tmp_path: Path) -> None:
    # strict: the cluster's evidence (no route, no Gloo Gateway) leaves no kind unseen
    harden = config(tmp_path, f"  strict: true\n  evidence: [{EMPTY_CLUSTER}]")
    env = plugin_env(tmp_path, "XDG_CONFIG_HOME")
    first = build(kustomization(tmp_path / "first", harden), env)
    assert first.returncode == 0, first.stderr
    (tmp_path / "built.yaml").write_text(first.stdout)
    second = build(kustomization(tmp_path / "second", harden, tmp_path / "built.yaml"), env)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout


def test_strict_refusal_fails_the_build_with_the_reason(tmp_path: Path) -> None:
    harden = config(tmp_path, "  strict: true")
    resources = sorted(HOST_NETWORK.glob("*.yaml"))
    done = build(kustomization(tmp_path / "k", harden, *resources),
                 plugin_env(tmp_path, "XDG_CONFIG_HOME"))
    assert done.returncode != 0
    assert done.stdout == ""
    assert "containerPort 80 on the host network" in done.stderr
    assert "exit status 1" in done.stderr


def test_bad_config_fails_the_build_naming_the_field(tmp_path: Path) -> None:
    harden = config(tmp_path, "  enable: [drop-net-bind]\n  colour: red")
    done = build(kustomization(tmp_path / "k", harden), plugin_env(tmp_path, "XDG_CONFIG_HOME"))
    assert done.returncode != 0
    # kustomize hands the config over with its keys sorted: colour comes first.
    assert "2 problems: (1) spec.colour: unknown field; expected one of assumeVersion, check, " \
        "disable, enable" in done.stderr
    assert '(2) spec.enable[0]: unknown hardening "drop-net-bind"' in done.stderr  # every one
    assert "exit status 2" in done.stderr


def test_plugin_keeps_the_kustomize_id_annotation(tmp_path: Path) -> None:
    """What kustomize sends (keys sorted, no comments, an id on each object) comes back with
    the id, which kustomize uses to match its resources."""
    stream = (
        "apiVersion: v1\nautomountServiceAccountToken: true\nkind: ServiceAccount\nmetadata:\n"
        "  annotations:\n    kustomize.config.k8s.io/id: |\n      kind: ServiceAccount\n"
        "      name: gateway-proxy\n      namespace: gloo-system\n      version: v1\n"
        "  labels:\n    gloo: gateway-proxy\n  name: gateway-proxy\n  namespace: gloo-system\n")
    deployment = (PACKAGE / "gateway-proxy.yaml").read_text().split("---\n")[0]
    done = run(PLUGIN, config(tmp_path, "  sidecars: false"), stdin=f"{stream}---\n{deployment}")
    assert done.returncode == 0, done.stderr
    account, _ = objects(done.stdout)
    assert account["automountServiceAccountToken"] is False
    assert account["metadata"]["annotations"]["kustomize.config.k8s.io/id"] == (
        "kind: ServiceAccount\nname: gateway-proxy\nnamespace: gloo-system\nversion: v1\n")
    assert done.stdout.startswith(stream.replace("true", "false"))
