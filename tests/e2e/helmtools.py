"""Helpers for the Helm and Argo CD end-to-end tests: find the real Helm binaries, give Helm 4 a
private home with our plugin installed, and read rendered streams.

A missing Helm fails the test when ``GLOO_HARDEN_REQUIRE_CLIENTS=1`` (CI) and skips it otherwise.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
#: The scripts of the interpreter running the tests (CI's .venv): ``gloo-harden`` lives here.
BIN_DIR = Path(sys.executable).parent
CHART = Path(__file__).resolve().parent / "charts" / "gloo-like"
PLUGIN = REPO / "helm-plugin" / "gloo-harden"
CACHE = Path.home() / ".cache" / "gloo-harden-ci"
#: Values that make the proxy bind port 80 on the host: the no-privileged-ports guard must fire.
PORT_80 = ("--set", "gatewayProxy.hostNetwork=true", "--set", "gatewayProxy.httpPort=80")
FILENAME_ANNOTATION = "postrenderer.helm.sh/postrender-filename"


@functools.cache
def helm(major: int) -> str:
    """The Helm ``major`` binary: ``$HELM<major>``, else the CI cache, else ``helm`` on PATH."""
    candidates = [os.environ.get(f"HELM{major}", ""), str(CACHE / f"helm{major}" / "helm"),
                  shutil.which("helm") or ""]
    for candidate in filter(None, candidates):
        if os.access(candidate, os.X_OK) and _version(candidate).startswith(f"v{major}."):
            return candidate
    message = f"helm v{major} not found ($HELM{major}, {CACHE}/helm{major}/helm or PATH)"
    if os.environ.get("GLOO_HARDEN_REQUIRE_CLIENTS") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _version(binary: str) -> str:
    try:
        done = subprocess.run([binary, "version", "--short"], capture_output=True, text=True,
                              timeout=60, check=False)
    except OSError:
        return ""
    return done.stdout.strip()


def helm_env(home: Path | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Our scripts first on PATH, no cluster, and (optionally) a private Helm home."""
    # Same as tests/conftest.py's tool_env; not imported from there because a second
    # conftest module under tests/e2e would shadow the name.
    env = {**os.environ, "KUBECONFIG": os.devnull, **(extra or {})}
    env["PATH"] = f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}"
    if home is not None:
        # Helm 4.2 installs local plugins under $HELM_DATA_HOME/plugins whatever HELM_PLUGINS
        # says, but looks them up in $HELM_PLUGINS: point both at the same folder.
        env.update(HELM_DATA_HOME=str(home / "data"), HELM_PLUGINS=str(home / "data" / "plugins"),
                   HELM_CONFIG_HOME=str(home / "config"), HELM_CACHE_HOME=str(home / "cache"))
    return env


@dataclass(frozen=True)
class Helm4:
    """Helm 4 with a private home in which our plugin is installed."""

    binary: str
    env: dict[str, str]

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.binary, *args], capture_output=True, text=True, cwd=cwd,
                              env=self.env, timeout=300, check=False)


def helm4_with_plugin(home: Path, plugin: Path = PLUGIN) -> Helm4:
    """Install ``plugin`` under the Helm home ``home`` the way helm-plugin/gloo-harden/README.md
    says: into a plugins folder of Helm 4's own (``home/gloo-harden-helm4/plugins``), never the
    one Helm 3 shares (``home/data/plugins``); the Helm 4 returned looks in both."""
    shared = helm_env(home)
    own = home / "gloo-harden-helm4"
    # The README's command, from the repository root:
    # HELM_DATA_HOME=$gh4 HELM_PLUGINS=$gh4/plugins helm plugin install ./helm-plugin/gloo-harden
    installer = Helm4(helm(4), {**shared, "HELM_DATA_HOME": str(own),
                                "HELM_PLUGINS": str(own / "plugins")})
    installed = installer.run("plugin", "install", f"./{plugin.relative_to(REPO)}", cwd=REPO)
    assert installed.returncode == 0, installed.stderr
    assert not (home / "data" / "plugins" / plugin.name).exists(), "in the shared folder"
    helm4 = Helm4(helm(4), {**shared, "HELM_PLUGINS": os.pathsep.join(
        [shared["HELM_PLUGINS"], str(own / "plugins")])})
    listed = helm4.run("plugin", "list")
    assert "gloo-harden" in listed.stdout and "postrenderer/v1" in listed.stdout, listed.stdout
    return helm4


def post_renderer_args(*args: str) -> tuple[str, ...]:
    """``--post-renderer-args ARG`` for each of ``args`` (e.g. ``conftest.pinned()``)."""
    return tuple(part for arg in args for part in ("--post-renderer-args", arg))


def run_helm(binary: str, *args: str, env: dict[str, str] | None = None,
             cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary, *args], capture_output=True, text=True, cwd=cwd,
                          env=env or helm_env(), timeout=300, check=False)


def recording_shim(folder: Path) -> Path:
    """A ``gloo-harden`` on PATH that keeps what Helm sent (``in.yaml``) and what we answered
    (``out.yaml``, ``err.txt``), then answers and exits exactly as the real one did."""
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / "gloo-harden"
    shim.write_text(
        "#!/bin/sh\n"
        f'cat > "{folder}/in.yaml"\n'
        f'"{BIN_DIR / "gloo-harden"}" "$@" < "{folder}/in.yaml" > "{folder}/out.yaml" '
        f'2> "{folder}/err.txt"\n'
        "rc=$?\n"
        f'cat "{folder}/out.yaml"; cat "{folder}/err.txt" >&2\n'
        "exit $rc\n")
    shim.chmod(0o755)
    return shim


def objects(text: str) -> list[dict[str, Any]]:
    """Every non-empty document of a stream, parsed; anything but a mapping fails the test."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when there is one
    found = [doc for doc in yaml.load_all(text, Loader=loader) if doc is not None]
    for doc in found:
        assert isinstance(doc, dict) and "kind" in doc and "apiVersion" in doc, doc
    return found


def one(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def assert_hardened(docs: list[dict[str, Any]]) -> None:
    """The four hardenings are in place on the gloo-like chart's proxy and Settings."""
    deployment = one(docs, "Deployment", "gateway-proxy")
    pod = deployment["spec"]["template"]["spec"]
    (envoy,) = pod["containers"]
    context = envoy["securityContext"]
    assert "NET_BIND_SERVICE" not in (context["capabilities"].get("add") or [])
    assert context["capabilities"]["drop"] == ["ALL"]
    assert context["readOnlyRootFilesystem"] is True
    assert pod["automountServiceAccountToken"] is False
    assert one(docs, "ServiceAccount", "gateway-proxy")["automountServiceAccountToken"] is False
    settings = one(docs, "Settings", "default")
    assert settings["spec"]["gloo"]["disableKubernetesDestinations"] is True


def assert_hook_untouched(docs: list[dict[str, Any]]) -> None:
    """The certgen hook Job is exactly what the chart renders, NET_BIND_SERVICE and all."""
    job = one(docs, "Job", "gateway-certgen")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install"
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["securityContext"] == {"capabilities": {"add": ["NET_BIND_SERVICE"]}}
    assert "automountServiceAccountToken" not in job["spec"]["template"]["spec"]


#: The discovery answers Helm needs before it renders for install/upgrade (capabilities).
DISCOVERY: dict[str, dict[str, Any]] = {
    "/version": {"major": "1", "minor": "30", "gitVersion": "v1.30.0", "platform": "linux/amd64"},
    "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": []},
    "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": []},
}
#: A release 1 of "gloo", deployed, for ``helm upgrade`` to upgrade.
PREVIOUS_RELEASE = """\
- name: gloo
  namespace: gloo-system
  version: 1
  info: {status: deployed}
  chart: {metadata: {name: gloo-like, version: 0.1.0}}
  config: {}
  manifest: ""
"""


class _Discovery(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = DISCOVERY.get(self.path.split("?")[0])
        data = json.dumps(body).encode()
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data) if body is not None else 0))
        self.end_headers()
        if body is not None:
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base signature)
        pass


@contextmanager
def release_store(folder: Path, upgrade: bool = False) -> Iterator[dict[str, str]]:
    """Environment for a real ``helm install``/``helm upgrade`` without a cluster.

    Helm's own test hook: with ``HELM_DRIVER=memory`` and ``HELM_MEMORY_DRIVER_DATA`` Helm keeps
    releases in memory (preloaded from the file) and uses its printing fake kube client, so
    nothing is applied; it still asks a server for its version and API groups, which a tiny
    discovery-only server answers. The post-renderer runs exactly as it would against a cluster.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Discovery)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        kubeconfig = folder / "kubeconfig"
        kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: fake\nusers: []\n"
            "clusters: [{name: fake, cluster: {server: "
            f"'http://127.0.0.1:{server.server_port}'}}}}]\n"
            "contexts: [{name: fake, context: {cluster: fake, namespace: gloo-system}}]\n")
        releases = folder / "releases.yaml"
        releases.write_text(PREVIOUS_RELEASE if upgrade else "[]\n")
        # KUBECACHEDIR: a private discovery cache, not ~/.kube/cache shared by parallel tests.
        yield {"KUBECONFIG": str(kubeconfig), "KUBECACHEDIR": str(folder / "kube-cache"),
               "HELM_DRIVER": "memory", "HELM_MEMORY_DRIVER_DATA": str(releases)}
    finally:
        server.shutdown()
        server.server_close()
