"""A real Kubernetes control plane for the end-to-end tests, on 127.0.0.1 only.

etcd v3.6.16, kube-apiserver v1.34.4 (PodSecurity admission on), kube-controller-manager v1.34.4
(turns Deployments, Jobs and DaemonSets into Pods) and, on demand, the kgateway v2.2.0 controller
(creates each Gateway's proxy Deployment from its GatewayParameters). ``.ci/control-plane/build``
builds them from the Go module proxy into ``~/.cache/gloo-harden-ci/control-plane/<key>/`` with the
CRDs they need (Gateway API v1.4.1 experimental, kgateway v2.2.0); ``$GLOO_HARDEN_CONTROL_PLANE``
names another such folder. No kubelet, scheduler or container runtime: Pods are created, or refused
by admission, and stay Pending. Facts: ``../shared/notes/real-control-plane.md``. Opt-in: the
tests run when ``GLOO_HARDEN_CONTROL_PLANE`` names the built folder (``.ci/run`` sets it) or
``GLOO_HARDEN_REQUIRE_CLIENTS=1`` (then the folder comes from ``.ci/control-plane/build
--print-dir`` and a missing one fails the test); otherwise they skip, saying so.

Use, from any test (the fixtures live in tests/conftest.py)::

    from controlplane import ControlPlane

    def test_x(control_plane: ControlPlane, namespace: str) -> None:
        control_plane.kubectl("apply", "-n", namespace, "-f", "-", input=text)
        # control_plane.kubeconfig: an admin (system:masters) kubeconfig for any other client;
        # control_plane.env(): os.environ with KUBECONFIG set

``control_plane`` is one per test session and pytest-xdist worker, started on first use and stopped
by PID when the session ends (also after failures; each process also dies with the test process).
``namespace`` is a fresh namespace per test; ``control_plane.namespace(prefix, labels)`` makes more
(``labels={ENFORCE: "restricted"}`` for PodSecurity). ``ensure_crds`` installs CRDs once.
Binaries missing: the test skips with the reason, or fails when ``GLOO_HARDEN_REQUIRE_CLIENTS=1``.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO, REQUIRED, unavailable

BUILD = REPO / ".ci" / "control-plane" / "build"
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kgateway-local")
SHARED_CRDS = Path(os.environ.get("GLOO_HARDEN_CRDS") or REPO.parent / "shared" / "crds")
#: kgateway's namespace for its own objects (the chart's ``POD_NAMESPACE``).
KGATEWAY_NAMESPACE = "kgateway-system"
KGATEWAY_VERSION = "v2.2.0"
#: The label PodSecurity admission enforces a level by.
ENFORCE = "pod-security.kubernetes.io/enforce"
#: Controllers a loopback control plane without nodes, clouds or volumes can run.
CONTROLLERS = ("*,-nodeipam,-nodelifecycle,-service-lb-controller,-route,-cloud-node-lifecycle,"
               "-persistentvolume-binder,-attachdetach")
ADMISSION = ("NamespaceLifecycle,ServiceAccount,PodSecurity,LimitRanger,ResourceQuota,"
             "DefaultStorageClass,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,"
             "ValidatingAdmissionPolicy")
START_TIMEOUT = 180.0  # seconds; the machine may be loaded


@functools.cache
def _folder() -> tuple[Path | None, str]:
    named = os.environ.get("GLOO_HARDEN_CONTROL_PLANE")
    if named:
        folder = Path(named)
    elif not REQUIRED:
        return None, ("the control-plane tests are opt-in (they start ~1 GB of processes per "
                      "test process): set GLOO_HARDEN_CONTROL_PLANE=$(.ci/control-plane/build "
                      "--print-dir), as .ci/run does")
    elif shutil.which("go") is None:
        return None, ("the control plane binaries are found through `go env GOVERSION` "
                      "(.ci/control-plane/build --print-dir) and go is not on PATH; set "
                      "GLOO_HARDEN_CONTROL_PLANE to a built folder")
    else:
        done = subprocess.run([str(BUILD), "--print-dir"], capture_output=True, text=True,
                              timeout=120, check=False)
        if done.returncode != 0:
            return None, f"{BUILD} --print-dir: {done.stderr.strip()}"
        folder = Path(done.stdout.strip())
    if not (folder / "VERSIONS").is_file():
        return None, (f"control plane not built at {folder}: run .ci/control-plane/build "
                      "(15-30 min of Go builds; .ci/run does)")
    return folder, ""


def binaries() -> Path:
    """The built folder (``bin/``, ``crds/``); skips, or fails in CI, when it is missing."""
    folder, reason = _folder()
    if folder is None:
        unavailable(reason)
    if shutil.which("kubectl") is None:
        unavailable("kubectl is not on PATH (the tests drive the API server with it)")
    if shutil.which("openssl") is None:
        unavailable("openssl is not on PATH (it makes the control plane's certificates)")
    return folder


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the child: SIGTERM when the test process dies, even by SIGKILL (Linux prctl)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class ControlPlaneError(RuntimeError):
    """The control plane did not start or answer; the message names the log to read."""


class ControlPlane:
    """A running control plane in ``folder`` (certificates, etcd data, logs)."""

    def __init__(self, built: Path, folder: Path) -> None:
        self.built = built
        self.folder = folder
        self.pki = folder / "pki"
        self.logs = folder / "logs"
        self.kubeconfig = self.pki / "kubeconfig"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._crds: dict[str, str] = {}  # CRD name -> digest of the document installed
        self._names = itertools.count(1)
        self.kgateway_started = False

    # ------------------------------------------------------------ life cycle

    def start(self) -> ControlPlane:
        """etcd, kube-apiserver and kube-controller-manager, ready; a Node for DaemonSets."""
        self.logs.mkdir(parents=True, exist_ok=True)
        self.apiserver_port = free_port()
        self._pki()
        etcd, peer, metrics = free_port(), free_port(), free_port()
        self._spawn("etcd", [
            "--name", "cp", "--data-dir", str(self.folder / "etcd-data"),
            "--listen-client-urls", f"http://127.0.0.1:{etcd}",
            "--advertise-client-urls", f"http://127.0.0.1:{etcd}",
            "--listen-peer-urls", f"http://127.0.0.1:{peer}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
            "--initial-cluster", f"cp=http://127.0.0.1:{peer}",
            "--listen-metrics-urls", f"http://127.0.0.1:{metrics}",
            "--quota-backend-bytes", str(1 << 30), "--log-level", "warn"])
        p = self.pki
        self._spawn("kube-apiserver", [
            f"--etcd-servers=http://127.0.0.1:{etcd}",
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
            f"--secure-port={self.apiserver_port}", "--endpoint-reconciler-type=none",
            f"--tls-cert-file={p / 'apiserver.crt'}", f"--tls-private-key-file={p / 'apiserver.key'}",
            f"--client-ca-file={p / 'ca.crt'}",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-account-key-file={p / 'sa.pub'}",
            f"--service-account-signing-key-file={p / 'sa.key'}",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--authorization-mode=RBAC", "--anonymous-auth=false", "--allow-privileged=true",
            f"--enable-admission-plugins={ADMISSION}", "--profiling=false", "--v=1"])
        self._until("kube-apiserver /readyz", lambda: self.kubectl(
            "get", "--raw", "/readyz", check=False, timeout=10).returncode == 0)
        self._spawn("kube-controller-manager", [
            f"--kubeconfig={self.kubeconfig}", f"--authentication-kubeconfig={self.kubeconfig}",
            f"--authorization-kubeconfig={self.kubeconfig}",
            "--bind-address=127.0.0.1", f"--secure-port={free_port()}", "--leader-elect=false",
            f"--service-account-private-key-file={p / 'sa.key'}", f"--root-ca-file={p / 'ca.crt'}",
            "--use-service-account-credentials=false", f"--controllers={CONTROLLERS}",
            "--profiling=false", "--v=1"])
        self._until("the default ServiceAccount (kube-controller-manager working)", lambda: self.kubectl(
            "-n", "default", "get", "serviceaccount", "default", check=False,
            timeout=10).returncode == 0)
        self._node()
        return self

    def stop(self) -> None:
        """SIGTERM every process by PID (newest first), then SIGKILL what is left after 10 s."""
        for name, process in reversed(list(self.processes.items())):
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            del self.processes[name]

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        binary = self.built / "bin" / name
        self.processes[name] = subprocess.Popen(
            [str(binary), *args], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=self.folder, env=env, preexec_fn=_die_with_parent)
        log.close()

    def _until(self, what: str, ready: Any, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise ControlPlaneError(
                        f"{name} exited with {process.returncode} while waiting for {what}; "
                        f"expected it running (log: {self.logs / (name + '.log')}):\n"
                        + self.log_tail(name))
            if time.monotonic() > deadline:
                raise ControlPlaneError(f"{what}: not ready after {timeout:.0f}s; expected ready "
                                        f"(logs: {self.logs})")
            time.sleep(0.3)

    def log_tail(self, name: str, lines: int = 20) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def _pki(self) -> None:
        """A CA, the API server's serving certificate (127.0.0.1, localhost, kubernetes.default.svc),
        an admin client certificate (O=system:masters), the service-account key pair and a
        kubeconfig with everything embedded. Valid for 2 days."""
        d = self.pki
        d.mkdir(parents=True)

        def openssl(*args: str) -> None:
            subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
                "ca.crt", "-days", "2", "-subj", "/CN=gloo-harden-test-ca")
        (d / "serving.ext").write_text(
            "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
            "DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n")
        (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
        for name, subject, ext in (("apiserver", "/CN=kube-apiserver", "serving.ext"),
                                   ("admin", "/O=system:masters/CN=admin", "client.ext")):
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
                    f"{name}.csr", "-subj", subject)
            openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                    "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", f"{name}.crt")
        openssl("genrsa", "-out", "sa.key", "2048")
        openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub")
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": "local",
            "clusters": [{"name": "local", "cluster": {
                "server": f"https://127.0.0.1:{self.apiserver_port}",
                "certificate-authority-data": _b64(d / "ca.crt")}}],
            "users": [{"name": "admin", "user": {
                "client-certificate-data": _b64(d / "admin.crt"),
                "client-key-data": _b64(d / "admin.key")}}],
            "contexts": [{"name": "local", "context": {"cluster": "local", "user": "admin"}}]}
        self.kubeconfig.write_text(yaml.safe_dump(config))

    def _node(self) -> None:
        """A Node, without the not-ready taint the API server gives every new Node (no kubelet
        reports it ready, and DaemonSet Pods do not tolerate it), so DaemonSets create Pods."""
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "labels": {
            "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": "node-1"}}}
        self.kubectl("create", "-f", "-", input=json.dumps(node))
        self.kubectl("patch", "node", "node-1", "--type=json",
                     "-p", '[{"op": "replace", "path": "/spec/taints", "value": []}]')

    # ------------------------------------------------------------ clients

    def env(self) -> dict[str, str]:
        """The environment for a client of this control plane (``KUBECONFIG`` set)."""
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig)}

    def kubectl(self, *args: str, input: str | None = None, check: bool = True,
                timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """``kubectl args`` against this control plane; ``check``: a non-zero exit raises, with
        kubectl's stderr."""
        done = subprocess.run(["kubectl", *args], input=input, capture_output=True, text=True,
                              env=self.env(), timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise ControlPlaneError(f"kubectl {' '.join(args)}: exit {done.returncode}; expected "
                                    f"success:\n{done.stderr.strip()}")
        return done

    def get(self, *args: str) -> Any:
        """``kubectl get args -o json``, parsed."""
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)

    def namespace(self, prefix: str = "t", labels: dict[str, str] | None = None) -> str:
        """A fresh namespace (``prefix`` + a counter, at most 63 characters) with ``labels``,
        ready for Pods (its default ServiceAccount exists)."""
        stem = re.sub(r"[^a-z0-9-]+", "-", prefix.lower()).strip("-")[:50] or "t"
        name = f"{stem}-{next(self._names)}"
        doc = {"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": name, "labels": labels or {}}}
        self.kubectl("create", "-f", "-", input=json.dumps(doc))
        self._until(f"ServiceAccount default in {name}", lambda: self.kubectl(
            "-n", name, "get", "serviceaccount", "default", check=False).returncode == 0, 60)
        return name

    def ensure_namespaces(self, names: Iterable[str]) -> None:
        """Create each of ``names`` that does not exist yet (invalid names are left to fail)."""
        for name in sorted(set(names)):
            if re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) and self.kubectl(
                    "get", "namespace", name, check=False).returncode != 0:
                self.kubectl("create", "namespace", name, check=False)

    # ------------------------------------------------------------ CRDs

    def ensure_crds(self, documents: Iterable[dict[str, Any]]) -> None:
        """Install each CRD document unless the same one is installed already (server-side, forced:
        a CRD of another release of the same name is replaced), then wait until established."""
        changed = []
        for doc in documents:
            name = doc["metadata"]["name"]
            digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
            if self._crds.get(name) != digest:
                changed.append(doc)
                self._crds[name] = digest
        if not changed:
            return
        # one document per call: a large CRD must not hide another's error
        for doc in changed:
            self.kubectl("apply", "--server-side", "--force-conflicts",
                         "--field-manager=gloo-harden-tests", "-f", "-", input=json.dumps(doc))
        self.kubectl("wait", "--for=condition=Established", "--timeout=120s",
                     *(f"crd/{d['metadata']['name']}" for d in changed))

    def base_crds(self) -> list[dict[str, Any]]:
        """Gateway API v1.4.1 (experimental channel) and kgateway v2.2.0, as built."""
        return crd_documents(sorted((self.built / "crds" / "gateway-api").glob("*.yaml"))
                             + sorted((self.built / "crds" / "kgateway").glob("*.yaml")))

    # ------------------------------------------------------------ kgateway

    def start_kgateway(self) -> None:
        """The kgateway v2.2.0 controller (kgateway-local: upstream setup, loopback listeners),
        with its CRDs, ready; it creates GatewayClass ``kgateway`` itself. Once per session."""
        self.ensure_crds(self.base_crds())
        if self.kgateway_started:
            return
        self.kubectl("create", "namespace", KGATEWAY_NAMESPACE)
        health = free_port()
        env = {**self.env(), "POD_NAMESPACE": KGATEWAY_NAMESPACE,
               "KGW_DISABLE_LEADER_ELECTION": "true", "KGW_ENABLE_AGENTGATEWAY": "false",
               "KGW_ENABLE_ENVOY": "true", "KGW_XDS_SERVICE_NAME": "kgateway",
               "KGW_XDS_SERVICE_PORT": str(free_port()), "KGW_DEFAULT_IMAGE_TAG": KGATEWAY_VERSION,
               "KGW_LOCAL_HEALTH_ADDR": f"127.0.0.1:{health}",
               "KGW_LOCAL_METRICS_ADDR": f"127.0.0.1:{free_port()}",
               "KGW_LOCAL_ADMIN_PORT": str(free_port()), "KGW_LOG_LEVEL": "info"}
        self._spawn("kgateway-local", [], env=env)
        self._until("kgateway /readyz", lambda: _http_ok(f"http://127.0.0.1:{health}/readyz"))
        self._until("GatewayClass kgateway (created by the controller)", lambda: self.kubectl(
            "get", "gatewayclass", "kgateway", check=False).returncode == 0, 60)
        self.kgateway_started = True


def _b64(path: Path) -> str:
    import base64
    return base64.b64encode(path.read_bytes()).decode()


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return int(answer.status) == 200
    except OSError:
        return False


def crd_documents(files: Iterable[Path], skip: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Every CustomResourceDefinition in ``files`` (multi-document YAML), except names in ``skip``."""
    skipped = set(skip)
    found = []
    for path in files:
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition" \
                    and doc["metadata"]["name"] not in skipped:
                found.append(doc)
    return found


def release_crds(control: ControlPlane, render: str) -> list[dict[str, Any]]:
    """The CRDs a render is judged with: Gateway API v1.4.1 experimental, then its release's
    (kgateway 2.2: as built; other kgateway: ``../shared/crds/kgateway-2.3.0``, as the kubeconform
    test; Gloo: ``gloo-1.22`` from 1.22, else ``gloo-1.17``, the other set for the kinds it lacks).
    A folder's own Gateway API CRDs (v1.1.0 standard) are not installed over v1.4.1."""
    gateway_api = crd_documents(sorted((control.built / "crds" / "gateway-api").glob("*.yaml")))
    if "gateway.kgateway.dev/" in render or "kgateway" in _images(render):
        if re.search(r"kgateway[\w/.-]*:v?2\.2\.", render):
            return gateway_api + crd_documents(sorted((control.built / "crds" / "kgateway").glob("*.yaml")))
        return gateway_api + crd_documents(sorted((SHARED_CRDS / "kgateway-2.3.0").glob("*.yaml")))
    version = re.search(r"solo-io/gloo[\w-]*:v?1\.(\d+)", render)
    order = ["gloo-1.17", "gloo-1.22"]
    if version and int(version.group(1)) >= 22:
        order.reverse()
    taken: set[str] = {d["metadata"]["name"] for d in gateway_api}
    chosen = list(gateway_api)
    for folder in order:
        for doc in crd_documents(sorted((SHARED_CRDS / folder).glob("*.yaml")), skip=taken):
            taken.add(doc["metadata"]["name"])
            chosen.append(doc)
    return chosen


def _images(render: str) -> str:
    return " ".join(re.findall(r"image:\s*\S+", render))


def session(factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """The ``control_plane`` fixture (tests/conftest.py): started on first use, stopped by PID."""
    built = binaries()
    plane = ControlPlane(built, factory.mktemp("control-plane"))
    try:
        plane.start()
        yield plane
    finally:
        plane.stop()
