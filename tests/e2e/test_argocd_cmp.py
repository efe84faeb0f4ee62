"""Argo CD CMP: examples/argocd-cmp/plugin.yaml's ``init`` and ``generate`` commands, run as the
sidecar runs them (command + args, in the app's source folder, ARGOCD_* env, helm v3 on PATH)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import EMPTY_CLUSTER, unavailable
from helmtools import BIN_DIR, CHART, REPO, assert_hardened, assert_hook_untouched, helm, objects

pytestmark = pytest.mark.e2e

PLUGIN = REPO / "examples" / "argocd-cmp" / "plugin.yaml"
PORT_80_ARGS = "--set gatewayProxy.hostNetwork=true --set gatewayProxy.httpPort=80"
#: Real Gloo charts (templates and crds/ as released): ``$GLOO_HARDEN_CHARTS``, else
#: ``../shared/charts`` beside the repository; read only, never copied into the project.
CHARTS = Path(os.environ.get("GLOO_HARDEN_CHARTS") or REPO.parent / "shared" / "charts")
GLOO_CHARTS = sorted(CHARTS.glob("gloo-*/crds")) if CHARTS.is_dir() else []


def phase(name: str) -> list[str]:
    manifest = yaml.safe_load(PLUGIN.read_text())
    assert manifest["kind"] == "ConfigManagementPlugin"
    step = manifest["spec"][name]
    return [*step["command"], *step.get("args", [])]


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """The application's source folder, as the sidecar gets it: a copy of the chart."""
    return Path(shutil.copytree(CHART, tmp_path / "app"))


def run_phase(name: str, app: Path, **env: str) -> subprocess.CompletedProcess[str]:
    tools = app.parent / "bin"
    tools.mkdir(exist_ok=True)
    if not (tools / "helm").exists():
        (tools / "helm").symlink_to(helm(3))
    environment = {  # a sidecar-like environment: no HOME config, no cluster
        "PATH": os.pathsep.join([str(tools), str(BIN_DIR), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(app.parent), "KUBECONFIG": os.devnull,
        "ARGOCD_APP_NAME": "gloo", "ARGOCD_APP_NAMESPACE": "gloo-system",
        "ARGOCD_APP_SOURCE_PATH": ".", "KUBE_VERSION": "1.30.0", **env,
    }
    return subprocess.run(phase(name), cwd=app, env=environment, capture_output=True, text=True,
                          timeout=300, check=False)


def test_generate_prints_only_hardened_objects(app: Path) -> None:
    assert run_phase("init", app).returncode == 0
    # the cluster's evidence through the Application's env (no route yet): nothing unseen
    done = run_phase("generate", app, ARGOCD_ENV_GLOO_HARDEN_ARGS=f"--evidence={EMPTY_CLUSTER}")
    assert done.returncode == 0, done.stderr
    docs = objects(done.stdout)  # every document is a Kubernetes object, nothing else
    # the templates (the ConfigMap with the Gateways too), and the 3 CRDs of crds/
    assert len(docs) == 6 + 3
    assert_hardened(docs)
    assert_hook_untouched(docs)
    assert done.stderr == "" and "gloo-harden:" not in done.stdout  # --quiet: no warning
    assert all(d["metadata"]["namespace"] == "gloo-system" for d in docs
               if d["kind"] != "CustomResourceDefinition")  # cluster-scoped


def test_application_env_reaches_helm_and_gloo_harden(app: Path) -> None:
    done = run_phase("generate", app, ARGOCD_ENV_HELM_ARGS=PORT_80_ARGS,
                     ARGOCD_ENV_GLOO_HARDEN_ARGS="--disable=disable-kubernetes-destinations")
    assert done.returncode == 0, done.stderr
    docs = objects(done.stdout)
    pod = [d for d in docs if d["kind"] == "Deployment"][0]["spec"]["template"]["spec"]
    assert pod["hostNetwork"] is True
    assert pod["containers"][0]["securityContext"]["capabilities"]["add"] == ["NET_BIND_SERVICE"]
    settings = [d for d in docs if d["kind"] == "Settings"][0]
    assert "disableKubernetesDestinations" not in settings["spec"]["gloo"]


def test_strict_refusal_fails_the_sync_with_the_reason(app: Path) -> None:
    done = run_phase("generate", app, ARGOCD_ENV_HELM_ARGS=PORT_80_ARGS,
                     ARGOCD_ENV_GLOO_HARDEN_ARGS="--strict")
    assert done.returncode == 1
    assert 'kept for container "gateway-proxy": containerPort 80 on the host network' in done.stderr


def test_helm_failure_fails_generate_instead_of_an_empty_app(app: Path) -> None:
    (app / "templates" / "broken.yaml").write_text("{{ .Values.nope.missing }}\n")
    done = run_phase("generate", app)
    assert done.returncode != 0
    assert done.stdout == ""
    assert "nil pointer" in done.stderr or "broken.yaml" in done.stderr


def test_init_builds_dependencies_of_an_umbrella_chart(app: Path, tmp_path: Path) -> None:
    umbrella = tmp_path / "umbrella"
    (umbrella / "templates").mkdir(parents=True)
    (umbrella / "Chart.yaml").write_text(
        "apiVersion: v2\nname: platform\nversion: 0.1.0\ndependencies:\n"
        f"  - name: gloo-like\n    version: 0.1.0\n    repository: file://{app}\n")
    assert run_phase("init", umbrella).returncode == 0
    assert (umbrella / "charts" / "gloo-like-0.1.0.tgz").is_file()
    done = run_phase("generate", umbrella)
    assert done.returncode == 0, done.stderr
    assert_hardened(objects(done.stdout))


def assert_crds_of(chart: Path, docs: list[dict[str, object]]) -> None:
    """Every CRD in ``chart/crds`` is in the desired state, first (as Helm orders them) and as
    the chart has it: without them, Argo CD prunes the CRDs and every custom resource."""
    wanted = [doc for path in sorted((chart / "crds").glob("*.yaml"))
              for doc in yaml.safe_load_all(path.read_text()) if doc]
    assert wanted, f"{chart}/crds holds no CRD"
    crds = [d for d in docs if d["kind"] == "CustomResourceDefinition"]
    assert sorted(map(repr, crds)) == sorted(map(repr, wanted))
    assert docs[:len(crds)] == crds


def test_generate_includes_the_charts_crds(app: Path) -> None:
    done = run_phase("generate", app)
    assert done.returncode == 0, done.stderr
    assert_crds_of(app, objects(done.stdout))


@pytest.mark.parametrize("crds", GLOO_CHARTS or [None], ids=lambda p: p.parent.name if p else "none")
def test_generate_keeps_every_crd_of_a_real_gloo_chart(crds: Path | None, tmp_path: Path) -> None:
    """Gloo's own chart, as released: its CRDs live in ``crds/`` (``gloo-1.17.0`` has 17)."""
    if crds is None:
        unavailable(f"no Gloo charts at {CHARTS}: set GLOO_HARDEN_CHARTS (default ../shared/charts)")
    app = Path(shutil.copytree(crds.parent, tmp_path / "app"))
    done = run_phase("generate", app)
    assert done.returncode == 0, done.stderr
    docs = objects(done.stdout)
    assert_crds_of(app, docs)
    names = {d["metadata"]["name"] for d in docs if d["kind"] == "CustomResourceDefinition"}
    assert {"virtualservices.gateway.solo.io", "upstreams.gloo.solo.io",
            "settings.gloo.solo.io"} <= names
    (proxy,) = [d for d in docs if d["kind"] == "Deployment"
                and d["metadata"]["name"] == "gateway-proxy"]
    assert proxy["spec"]["template"]["spec"]["automountServiceAccountToken"] is False
