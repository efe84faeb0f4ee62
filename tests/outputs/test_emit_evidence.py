"""``--evidence`` through ``emit``: objects a user hands in change the decisions every form
carries, end to end through the command line. A VirtualService with a kube destination keeps
``disableKubernetesDestinations`` out of the artefact; a Gateway on port 80 keeps the proxy's
``NET_BIND_SERVICE`` (issue 22, point 3). Each form is run twice on the same render: with
an evidence folder that shows neither (the change is carried) and with one that shows both
(it is not, and the run says which guard kept it and why)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import EMPTY_CLUSTER, REPO, pinned, run_tool

RENDER = REPO / "examples" / "pipe" / "gloo-rendered.yaml"
KUBE_ROUTE = {"apiVersion": "v1", "kind": "List", "items": [{
    "apiVersion": "gateway.solo.io/v1", "kind": "VirtualService",
    "metadata": {"name": "app", "namespace": "team-a"},
    "spec": {"virtualHost": {"domains": ["*"], "routes": [{"routeAction": {"single": {
        "kube": {"ref": {"name": "app", "namespace": "team-a"}, "port": 8080}}}}]}}}]}
PORT_80 = {"apiVersion": "v1", "kind": "List", "items": [{
    "apiVersion": "gateway.solo.io/v1", "kind": "Gateway",
    "metadata": {"name": "plain-http", "namespace": "gloo-system"},
    "spec": {"bindAddress": "::", "bindPort": 80, "proxyNames": ["gateway-proxy"],
             "httpGateway": {}}}]}
KEPT_ROUTE = "kept for Settings: VirtualService team-a/app"
KEPT_PORT = 'kept for container "gateway-proxy": Gateway plain-http bindPort 80'


@pytest.fixture
def cluster(tmp_path: Path) -> Path:
    """An evidence folder as ``explain evidence`` collects it, showing a kube route and a
    Gateway on port 80."""
    folder = tmp_path / "evidence"
    shutil.copytree(EMPTY_CLUSTER, folder)
    (folder / "virtualservices.gateway.solo.io.yaml").write_text(yaml.safe_dump(KUBE_ROUTE))
    (folder / "gateways.gateway.solo.io.yaml").write_text(yaml.safe_dump(PORT_80))
    return folder


def _emit(form: str, evidence: Path, out: Path) -> str:
    done = run_tool("emit", form, "--evidence", str(evidence), *pinned(), str(RENDER),
                    "-o", str(out))
    assert done.returncode == 0, done.stderr.decode()
    return done.stderr.decode()


def _capabilities(patch: Any) -> Any:
    return patch["spec"]["template"]["spec"]["containers"][0]["securityContext"].get(
        "capabilities")


def test_kustomize(cluster: Path, tmp_path: Path) -> None:
    _emit("kustomize", EMPTY_CLUSTER, tmp_path / "plain")
    err = _emit("kustomize", cluster, tmp_path / "seen")
    deployment = "patch-deployment-gloo-system-gateway-proxy.yaml"
    assert (tmp_path / "plain" / "patch-settings-gloo-system-default.yaml").is_file()
    assert _capabilities(yaml.safe_load((tmp_path / "plain" / deployment).read_text())) == {
        "add": []}
    assert not (tmp_path / "seen" / "patch-settings-gloo-system-default.yaml").exists()
    assert "patch-settings" not in (tmp_path / "seen" / "kustomization.yaml").read_text()
    assert _capabilities(yaml.safe_load((tmp_path / "seen" / deployment).read_text())) is None
    assert KEPT_ROUTE in err and KEPT_PORT in err


def test_flux(cluster: Path, tmp_path: Path) -> None:
    def targets(path: Path) -> dict[str, str]:
        (renderer,) = yaml.safe_load(path.read_text())["postRenderers"]
        return {p["target"]["kind"]: p["patch"] for p in renderer["kustomize"]["patches"]}

    _emit("flux", EMPTY_CLUSTER, tmp_path / "plain.yaml")
    err = _emit("flux", cluster, tmp_path / "seen.yaml")
    plain, seen = targets(tmp_path / "plain.yaml"), targets(tmp_path / "seen.yaml")
    assert "disableKubernetesDestinations" in plain["Settings"] and "Settings" not in seen
    assert _capabilities(yaml.safe_load(plain["Deployment"])) == {"add": []}
    assert _capabilities(yaml.safe_load(seen["Deployment"])) is None
    assert KEPT_ROUTE in err and KEPT_PORT in err


def test_values(cluster: Path, tmp_path: Path) -> None:
    _emit("values", EMPTY_CLUSTER, tmp_path / "plain.yaml")
    err = _emit("values", cluster, tmp_path / "seen.yaml")
    plain = yaml.safe_load((tmp_path / "plain.yaml").read_text())
    seen = yaml.safe_load((tmp_path / "seen.yaml").read_text())
    assert plain["settings"] == {"disableKubernetesDestinations": True}
    assert "settings" not in seen
    context = "glooContainerSecurityContext"
    assert plain["gatewayProxies"]["gatewayProxy"]["podTemplate"][context]["capabilities"] \
        == {"add": []}
    assert "capabilities" not in seen["gatewayProxies"]["gatewayProxy"]["podTemplate"][context]
    assert KEPT_ROUTE in err and KEPT_PORT in err


def test_policy(cluster: Path, tmp_path: Path) -> None:
    def enforces(path: Path) -> set[str]:
        return {hid for doc in yaml.safe_load_all(path.read_text()) if doc
                for hid in doc["metadata"]["annotations"]["gloo-harden.dev/enforces"]
                .split(",")}

    _emit("policy", EMPTY_CLUSTER, tmp_path / "plain.yaml")
    err = _emit("policy", cluster, tmp_path / "seen.yaml")
    assert "drop-net-bind-service" in enforces(tmp_path / "plain.yaml")
    assert "drop-net-bind-service" not in enforces(tmp_path / "seen.yaml")
    assert "guard no-privileged-ports kept it back in the render" in err and KEPT_PORT in err


def test_check_fails_when_the_evidence_flips_a_guard(cluster: Path, tmp_path: Path) -> None:
    """The render is the same, the evidence is not: ``emit --check`` against the artefact
    emitted without it must fail, or CI would ship a patch that drops a needed capability."""
    _emit("values", EMPTY_CLUSTER, tmp_path / "values.yaml")
    same = run_tool("emit", "values", "--evidence", str(EMPTY_CLUSTER), *pinned(), str(RENDER),
                    "-o", str(tmp_path / "values.yaml"), "--check")
    assert same.returncode == 0, same.stderr.decode()
    flipped = run_tool("emit", "values", "--evidence", str(cluster), *pinned(), str(RENDER),
                       "-o", str(tmp_path / "values.yaml"), "--check")
    assert flipped.returncode == 1, flipped.stderr.decode()
