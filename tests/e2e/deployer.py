"""The proxy a Gateway-API controller would create, rendered offline, and what we promise about it.

Gloo Gateway (1.17+, ``kubeGateway``) and kgateway 2.x create each Gateway's proxy Deployment at
run time from the GatewayClass's and the Gateway's GatewayParameters, so a render never shows it.
``../shared/tools/deployer-emulator/emulate.py`` re-implements the deployers' merge and values
code and renders their internal charts with a real Helm 3 (validated against kgateway's own
deployer golden files, ``validate.sh``; see ``../shared/notes/gateway-api.md`` §5). This module
feeds it streams and reads back the rendered proxy.

A missing Helm 3 or emulator fails the test when ``GLOO_HARDEN_REQUIRE_CLIENTS=1`` (CI) and skips
it otherwise, like every other end-to-end test.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from helmtools import BIN_DIR, REPO, helm, objects

EMULATOR = REPO.parent / "shared" / "tools" / "deployer-emulator"
CORPUS = REPO.parent / "shared" / "corpus"
CHARTS = Path(os.environ.get("GLOO_HARDEN_CHARTS") or REPO.parent / "shared" / "charts")
#: ``Version.render`` naming a chart of CHARTS, rendered with the Gateway API on
CHART_RENDER = "chart:"
KGATEWAY_CONTROLLER = "kgateway.dev/kgateway"
UNPRIVILEGED_PORT_START = "net.ipv4.ip_unprivileged_port_start"
TEAM_PARAMETERS = "team-params"
NAMESPACE = "apps"
#: The kinds the deployer reads to build a proxy (the emulator parses nothing else).
DEPLOYER_READS = ("Gateway", "GatewayClass", "GatewayParameters")


class Version(NamedTuple):
    """One deployer generation: emulator family, internal chart, and the chart render we harden."""

    label: str
    family: str        # emulate.py --family
    chart: str         # folder under the emulator's charts/
    render: str        # file in ../shared/corpus, or CHART_RENDER + a chart of ../shared/charts
    gateway_class: str
    release: str       # what ``--assume-version`` takes for streams that do not show it
    #: kgateway ≥2.2 applies the class itself, parametersRef from KGW_GATEWAY_CLASS_PARAMETERS_REFS
    class_from_env: bool = False

    @property
    def kgateway(self) -> bool:
        return self.family.startswith("kgw-")

    @property
    def binds_real_ports(self) -> bool:
        """kgateway ≥2.1 binds the listener port itself (no +8000 mapping, #11508)."""
        return self.family in ("kgw-2.1", "kgw-2.3")


#: Gloo's deployer chart is the same for 1.17–1.19 apart from sidecars (notes §1a); the corpus
#: holds the 1.17.0 render, whose GatewayParameters both deployers read.
VERSIONS = (
    Version("gloo-1.17", "gloo-1.19", "gloo-1.17.0", "gloo-1.17.0-kubegateway.yaml", "gloo-gateway",
            "gloo-1.17.0"),
    Version("gloo-1.19", "gloo-1.19", "gloo-1.19.0", "gloo-1.17.0-kubegateway.yaml", "gloo-gateway",
            "gloo-1.19.0"),
    # the 1.22.1 chart's own render (kubeGateway.enabled=true); its deployer is 1.19's (notes §1a)
    Version("gloo-1.22", "gloo-1.19", "gloo-1.19.0", f"{CHART_RENDER}gloo-1.22.1", "gloo-gateway",
            "gloo-1.22.1"),
    Version("kgw-2.0", "kgw-2.0", "kgw-2.0.5", "kgateway-2.0.5-default.yaml", "kgateway",
            "kgateway-2.0.5"),
    Version("kgw-2.1", "kgw-2.1", "kgw-2.1.2", "kgateway-2.1.2-default.yaml", "kgateway",
            "kgateway-2.1.2"),
    Version("kgw-2.3", "kgw-2.3", "kgw-2.3.0", "kgateway-2.3.0-default.yaml", "kgateway",
            "kgateway-2.3.0", class_from_env=True),
)
BY_LABEL = {v.label: v for v in VERSIONS}


def emulator() -> Path:
    """The emulator script; a missing one (or corpus) fails in CI and skips elsewhere."""
    script = EMULATOR / "emulate.py"
    for needed in (script, CORPUS):
        if not needed.exists():
            message = f"{needed} not found: the deployer proof needs ../shared"
            if os.environ.get("GLOO_HARDEN_REQUIRE_CLIENTS") == "1":
                pytest.fail(message)
            pytest.skip(message)
    return script


# ---------------------------------------------------------------- inputs


def gateway(version: Version, name: str, ports: tuple[int, ...], team: bool) -> dict[str, Any]:
    """A Gateway with one listener per port; ``team`` points it at the team's GatewayParameters
    the way its generation selects per-Gateway parameters (Gloo: an annotation; kgateway:
    ``spec.infrastructure.parametersRef``)."""
    listeners = [{"name": f"listener-{p}", "port": p, "protocol": "HTTP"} for p in ports]
    meta: dict[str, Any] = {"name": name, "namespace": NAMESPACE}
    spec: dict[str, Any] = {"gatewayClassName": version.gateway_class, "listeners": listeners}
    if team and version.kgateway:
        spec["infrastructure"] = {"parametersRef": {
            "group": "gateway.kgateway.dev", "kind": "GatewayParameters", "name": TEAM_PARAMETERS}}
    elif team:
        meta["annotations"] = {"gateway.gloo.solo.io/gateway-parameters-name": TEAM_PARAMETERS}
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": meta,
            "spec": spec}


def team_parameters(version: Version) -> dict[str, Any]:
    """An application team's per-Gateway GatewayParameters that undoes the hardening: it adds
    NET_BIND_SERVICE (lists are appended on merge) and sets readOnlyRootFilesystem: false (a
    set scalar wins), notes §2b."""
    group = "gateway.kgateway.dev" if version.kgateway else "gateway.gloo.solo.io"
    return {"apiVersion": f"{group}/v1alpha1", "kind": "GatewayParameters",
            "metadata": {"name": TEAM_PARAMETERS, "namespace": NAMESPACE},
            "spec": {"kube": {"envoyContainer": {"securityContext": {
                "capabilities": {"add": ["NET_BIND_SERVICE"]},
                "readOnlyRootFilesystem": False}}}}}


#: The two Gateways every case renders: privileged ports, and an unprivileged one.
GATEWAYS = (("web", (80, 443)), ("internal", (8080,)))


def application_stream(version: Version, team: bool) -> str:
    """The application team's objects: both Gateways, and with ``team`` their parameters."""
    docs = [gateway(version, name, ports, team) for name, ports in GATEWAYS]
    if team:
        docs.append(team_parameters(version))
    return yaml.safe_dump_all(docs, sort_keys=False)


def sidecar_team_stream(version: Version, users: bool = True) -> str:
    """A Gateway on 8080 and its own GatewayParameters templating both sidecars, with their
    users (sds as Gloo's 10101, istio-proxy as Istio's 1337) when ``users``."""
    group = "gateway.kgateway.dev" if version.kgateway else "gateway.gloo.solo.io"
    sds: dict[str, Any] = {"securityContext": {"runAsUser": 10101}} if users else \
        {"bootstrap": {"logLevel": "info"}}
    istio: dict[str, Any] = {"securityContext": {"runAsUser": 1337}} if users else \
        {"logLevel": "warning"}
    parameters = {"apiVersion": f"{group}/v1alpha1", "kind": "GatewayParameters",
                  "metadata": {"name": TEAM_PARAMETERS, "namespace": NAMESPACE},
                  "spec": {"kube": {"sdsContainer": sds,
                                    "istio": {"istioProxyContainer": istio}}}}
    return yaml.safe_dump_all([gateway(version, "web", (8080,), True), parameters],
                              sort_keys=False)


def sidecar_stream(version: Version, users: bool = True) -> str:
    """The platform render and ``sidecar_team_stream``."""
    return join(platform_stream(version), sidecar_team_stream(version, users))


def platform_stream(version: Version) -> str:
    """The chart render of the corpus (read, never copied), or the chart rendered here."""
    emulator()
    if version.render.startswith(CHART_RENDER):
        return _chart_render(version.render.removeprefix(CHART_RENDER))
    return (CORPUS / version.render).read_text(encoding="utf-8")


@functools.cache
def _chart_render(chart: str) -> str:
    """``helm template`` of a Gloo chart of ../shared/charts with the Gateway API on, as a
    platform team installs it (release gloo, namespace gloo-system)."""
    folder = CHARTS / chart
    if not folder.is_dir():
        message = f"{folder} not found: the deployer proof needs ../shared/charts"
        if os.environ.get("GLOO_HARDEN_REQUIRE_CLIENTS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    done = subprocess.run([helm(3), "template", "gloo", str(folder), "-n", "gloo-system",
                           "--set", "kubeGateway.enabled=true"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def join(*texts: str) -> str:
    return "".join(t if t.startswith("---") else "---\n" + t for t in texts)


def harden(text: str, *args: str) -> str:
    """``gloo-harden [args] < text``, as a pipe user runs it; it must succeed."""
    return _run(text, *args)[0]


def results(text: str, *args: str) -> str:
    """What that run says on stderr."""
    return _run(text, *args)[1]


@functools.cache
def _run(text: str, *args: str) -> tuple[str, str]:
    done = subprocess.run([str(BIN_DIR / "gloo-harden"), *args], input=text.encode(),
                          capture_output=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode(), done.stderr.decode()


# ---------------------------------------------------------------- the controller


def controller_gateway_class(version: Version, docs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The GatewayClass the kgateway controller creates when the cluster has the stream applied.

    2.0/2.1 create ``kgateway`` without parametersRef only when it is missing
    (``gatewayclass_provisioner.go@v2.1.0:141``); ≥2.2 apply it with force and take
    parametersRef from the controller env ``KGW_GATEWAY_CLASS_PARAMETERS_REFS``
    (``pkg/kgateway/controller/gatewayclass.go@v2.3.0:205-225``). Gloo's chart renders its
    class, so Gloo gets None.
    """
    if not version.kgateway:
        return None
    existing = [d for d in docs if d.get("kind") == "GatewayClass"
                and d["metadata"]["name"] == version.gateway_class]
    spec: dict[str, Any] = {"controllerName": KGATEWAY_CONTROLLER}
    if version.class_from_env:
        ref = _class_parameters_refs(docs).get(version.gateway_class)
        if ref:
            spec["parametersRef"] = {"group": ref.get("group", "gateway.kgateway.dev"),
                                     "kind": ref.get("kind", "GatewayParameters"),
                                     "name": ref["name"], "namespace": ref["namespace"]}
        elif existing:
            return None
    elif existing:
        return None
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
            "metadata": {"name": version.gateway_class}, "spec": spec}


def _class_parameters_refs(docs: list[dict[str, Any]]) -> dict[str, Any]:
    for doc in docs:
        if doc.get("kind") != "Deployment":
            continue
        for container in doc["spec"]["template"]["spec"].get("containers") or []:
            for env in container.get("env") or []:
                if env.get("name") == "KGW_GATEWAY_CLASS_PARAMETERS_REFS":
                    refs = json.loads(env.get("value") or "{}")
                    assert isinstance(refs, dict), env
                    return refs
    return {}


def cluster(version: Version, *applied: str) -> str:
    """Everything the deployer sees once ``applied`` streams are in the cluster, the
    controller's own GatewayClass included (it replaces a same-named one: 2.2+ apply it with
    force)."""
    text = join(*applied)
    docs = objects(text)
    created = controller_gateway_class(version, docs)
    if created is None:
        return text
    kept = [d for d in docs if (d["kind"], d["metadata"]["name"])
            != ("GatewayClass", created["metadata"]["name"])]
    return yaml.safe_dump_all([*kept, created], sort_keys=False)


@functools.cache
def render(version: Version, text: str, gateway_name: str,
           istio: bool = False) -> tuple[dict[str, Any], ...]:
    """The objects the deployer creates for Gateway ``gateway_name`` of the cluster ``text``;
    ``istio``: with the controller's Istio integration on (Gloo Settings
    ``istioOptions.enableIntegration``, kgateway ``KGW_ENABLE_ISTIO_AUTO_MTLS``), which adds the
    ``sds`` and ``istio-proxy`` sidecars."""
    read = [d for d in objects(text) if d["kind"] in DEPLOYER_READS]
    with tempfile.TemporaryDirectory() as folder:
        stream = Path(folder) / "cluster.yaml"
        stream.write_text(yaml.safe_dump_all(read), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, str(emulator()), "--family", version.family,
             "--chart", str(EMULATOR / "charts" / version.chart), "--helm", helm(3),
             "--input", str(stream), "--gateway", gateway_name, *(["--istio"] if istio else [])],
            capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return tuple(objects(done.stdout))


# ---------------------------------------------------------------- the promise


class Proxy(NamedTuple):
    deployment: dict[str, Any]
    pod: dict[str, Any]
    envoy: dict[str, Any]
    service_account: dict[str, Any]

    @property
    def container_ports(self) -> list[int]:
        return [p["containerPort"] for p in self.envoy.get("ports") or []]

    @property
    def sysctls(self) -> dict[str, str]:
        context = self.pod.get("securityContext") or {}
        return {s["name"]: s["value"] for s in context.get("sysctls") or []}

    @property
    def added_capabilities(self) -> list[str]:
        context = self.envoy.get("securityContext") or {}
        return list((context.get("capabilities") or {}).get("add") or [])

    @property
    def dropped_capabilities(self) -> list[str]:
        context = self.envoy.get("securityContext") or {}
        return list((context.get("capabilities") or {}).get("drop") or [])


def proxy(version: Version, rendered: tuple[dict[str, Any], ...]) -> Proxy:
    (deployment,) = [d for d in rendered if d["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    envoy_name = "kgateway-proxy" if version.kgateway else "gloo-gateway"
    (envoy,) = [c for c in pod["containers"] if c["name"] == envoy_name]
    (account,) = [d for d in rendered if d["kind"] == "ServiceAccount"
                  and d["metadata"]["name"] == pod.get("serviceAccountName")]
    return Proxy(deployment, pod, envoy, account)


def violations(version: Version, rendered: tuple[dict[str, Any], ...],
               gateway_name: str) -> list[str]:
    """What breaks the promise for this generation (issue 11): the proxy Deployment has no
    NET_BIND_SERVICE (unless it binds below 1024 without the unprivileged-port sysctl, where it
    must have it), a read-only root filesystem, no automounted token, and keeps what it needs
    (kgateway's projected ``xds-token`` and per-Gateway ServiceAccount). Empty when the promise
    holds."""
    found = []
    p = proxy(version, rendered)
    low = [port for port in p.container_ports if port < 1024]
    start = p.sysctls.get(UNPRIVILEGED_PORT_START)
    needs_capability = bool(low) and (start is None or int(start) > min(low))
    capability = "NET_BIND_SERVICE" in p.added_capabilities
    if capability and not needs_capability:
        found.append("NET_BIND_SERVICE added")
    if needs_capability and not capability:
        found.append(f"binds {min(low)} with neither the {UNPRIVILEGED_PORT_START} sysctl "
                     "nor NET_BIND_SERVICE")
    if (p.envoy.get("securityContext") or {}).get("readOnlyRootFilesystem") is not True:
        found.append("root filesystem not read-only")
    if p.service_account.get("automountServiceAccountToken") is not False:
        found.append("ServiceAccount automounts its token")
    if p.pod.get("automountServiceAccountToken") is True:
        found.append("pod automounts its token")
    if version.kgateway:
        if p.pod.get("serviceAccountName") != gateway_name:
            found.append("ServiceAccount is not the Gateway's (xDS identity)")
        if not _xds_token(p):
            found.append("no projected xds-token (audience kgateway) mounted in Envoy")
    return found


def _xds_token(p: Proxy) -> bool:
    volumes = {v["name"]: v for v in p.pod.get("volumes") or []}
    volume = volumes.get("xds-token") or {}
    sources = (volume.get("projected") or {}).get("sources") or []
    audience = [s["serviceAccountToken"].get("audience") for s in sources
                if "serviceAccountToken" in s]
    mounted = any(m["name"] == "xds-token" for m in p.envoy.get("volumeMounts") or [])
    return audience == ["kgateway"] and mounted
