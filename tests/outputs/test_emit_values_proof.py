"""Proof of ``emit values`` with the real Gloo and kgateway charts (``../shared/charts``) and
Helm 3: render a chart with its defaults plus a user's values (R0), emit the values overlay
from R0, render again with the overlay after the user's values (R1). Then

- ``gloo-harden --check`` on R1 finds exactly what ``emit values`` named as not doable by a
  value (hardening id and resource), and nothing else;
- gloo-harden over R1 writes the same objects, as data, as gloo-harden over R0: the overlay
  changes nothing but the hardening, and turns on nothing a guard kept back. Built-in objects
  are compared as the API server stores them: ``disableNetBind`` renders no ``add`` where
  gloo-harden writes ``add: []``, and ``Capabilities.Add`` is ``omitempty``; and workloads as
  the kubelet runs them: the chart's restricted defaults write ``seccompProfile`` (and
  ``runAsNonRoot``) on each container where gloo-harden writes it on the pod, and a
  container's value equal to its pod's has no effect of its own.

Every run is pinned to the hardenings these expectations were written for (``pinned()``), so a
new built-in changes nothing here; its own tests say what it does.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from emittools import hardened, same_objects

from conftest import PINNED, REPO, pinned, run_tool, unavailable
from e2e.helmtools import helm

CHARTS = Path(os.environ.get("GLOO_HARDEN_CHARTS") or REPO.parent / "shared" / "charts")
GLOO = "gloo-system"

RESTRICTED_IDS = ("restricted-seccomp", "restricted-no-privilege-escalation",
                  "restricted-drop-all-capabilities", "restricted-run-as-non-root",
                  "restricted-read-only-root-filesystem", "restricted-host-namespaces")
RESTRICTED = ("--profile", "restricted")
EVERY_COMPONENT: dict[str, Any] = {
    "discovery": {"enabled": True}, "ingress": {"enabled": True},
    "accessLogger": {"enabled": True},
    "settings": {"integrations": {"knative": {"enabled": True, "version": "0.24.0"}}},
    "global": {"glooMtls": {"enabled": True},
               "istioIntegration": {"enabled": True, "enableAutoMtls": True},
               "istioSDS": {"enabled": True}}}

CASES: list[tuple[str, str, dict[str, Any]] | tuple[str, str, dict[str, Any], tuple[str, ...]]] = [
    ("gloo-1.13.0", "defaults", {}),
    ("gloo-1.13.0", "ingress-knative", {"gateway": {"enabled": False},
                                        "ingress": {"enabled": True},
                                        "settings": {"integrations": {"knative": {
                                            "enabled": True, "version": "0.24.0"}}}}),
    ("gloo-1.13.0", "hostnetwork-port-80", {"gatewayProxies": {"gatewayProxy": {
        "kind": {"deployment": None, "daemonSet": {"hostPort": True}},
        "podTemplate": {"httpPort": 80, "httpsPort": 443, "disableNetBind": False}}}}),
    ("gloo-1.17.0", "kubegateway", {"kubeGateway": {"enabled": True}}),
    ("gloo-1.17.0", "ingress-knative", {"gateway": {"enabled": False},
                                        "ingress": {"enabled": True},
                                        "settings": {"integrations": {"knative": {
                                            "enabled": True, "version": "0.24.0"}}}}),
    ("gloo-1.22.1", "defaults", {}),
    ("gloo-1.22.1", "net-bind-on", {"gatewayProxies": {"gatewayProxy": {
        "podTemplate": {"disableNetBind": False}}}}),
    ("gloo-1.22.1", "securitycontext-override", {"gatewayProxies": {"gatewayProxy": {
        "podTemplate": {"glooContainerSecurityContext": {"runAsUser": 20000}}}}}),
    ("gloo-1.22.1", "istio-integration", {"global": {
        "istioIntegration": {"enabled": True, "enableAutoMtls": True},
        "istioSDS": {"enabled": True}}}),
    ("gloo-1.22.1", "two-proxies", {"gatewayProxies": {
        "gatewayProxy": {"podTemplate": {"disableNetBind": False}},
        "publicGw": {"podTemplate": {"glooContainerSecurityContext": {"runAsUser": 20000}}}}}),
    ("gloo-1.22.1", "profile-restricted", {}, RESTRICTED),
    ("gloo-1.17.0", "profile-restricted", {}, RESTRICTED),
    # every component the chart's restricted defaults reach: the Envoy and SDS sidecars of
    # gloo, discovery, ingress, ingress/knative proxies, the access logger, Istio sidecars
    ("gloo-1.22.1", "restricted-every-component", EVERY_COMPONENT, RESTRICTED),
    ("gloo-1.17.0", "restricted-every-component", EVERY_COMPONENT, RESTRICTED),
    # no runAsUser anywhere: runAsNonRoot kept back on the ingress proxy (switch off; its
    # value carries its context) and on ingress, whose pod already has it
    ("gloo-1.22.1", "restricted-floating-user", {
        "global": {"securitySettings": {"floatingUserId": True}},
        "gateway": {"enabled": True}, "ingress": {"enabled": True}}, RESTRICTED),
    # the brief's case: runAsNonRoot kept back for an unknown user (the proxy's SDS sidecar,
    # no runAsUser anywhere, no pod context) turns the chart's switch off, named with the guard
    ("gloo-1.22.1", "restricted-floating-user-sds", {"global": {
        "securitySettings": {"floatingUserId": True}, "glooMtls": {"enabled": True}}},
     RESTRICTED),
    # a guard keeps a key the restricted defaults would set: a custom pod seccomp profile on
    # the proxy (guard no-custom-seccomp) and a third-party kubectl image running as an
    # unknown user (guard known-third-party-user keeps drop [ALL]): no chart switch
    ("gloo-1.22.1", "restricted-custom-seccomp", {"gatewayProxies": {"gatewayProxy": {
        "podTemplate": {"podSecurityContext": {
            "mergePolicy": "helm-merge",
            "seccompProfile": {"type": "Localhost", "localhostProfile": "envoy.json"}}}}}},
     RESTRICTED),
    ("gloo-1.22.1", "restricted-third-party-kubectl", {"gateway": {"rolloutJob": {
        "image": {"registry": "docker.io", "repository": "bitnami/kubectl", "tag": "1.31"},
        "runAsUser": None}}}, RESTRICTED),
    # the proxy's context is an override: the chart's switch does not reach it
    ("gloo-1.22.1", "restricted-securitycontext-override", {"gatewayProxies": {"gatewayProxy": {
        "podTemplate": {"glooContainerSecurityContext": {"runAsUser": 20000}}}}}, RESTRICTED),
    # Gloo Gateway's GatewayParameters: the Envoy, sds and istio-proxy templates' contexts
    # (and the AI extension's from 1.18) are chart values written verbatim
    ("gloo-1.22.1", "restricted-kubegateway-sidecars", {"kubeGateway": {"enabled": True}},
     RESTRICTED),
    ("gloo-1.17.0", "restricted-kubegateway-sidecars", {"kubeGateway": {"enabled": True}},
     RESTRICTED),
    # an override that is already hardened for the built-ins (nothing for them to write) but
    # lacks allowPrivilegeEscalation: the switch does not reach it either, its own value does
    ("gloo-1.22.1", "restricted-override-without-built-in-changes", {"gatewayProxies": {
        "gatewayProxy": {"podTemplate": {"glooContainerSecurityContext": {
            "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
            "runAsUser": 10101}}}}}, RESTRICTED),
    ("kgateway-2.1.2", "defaults", {}),
    ("kgateway-2.2.0", "defaults", {}),
    ("kgateway-2.1.2", "profile-restricted", {}, RESTRICTED),
    ("kgateway-2.2.0", "profile-restricted", {}, RESTRICTED),
    ("kgateway-2.2.0", "restricted-user-contexts", {
        "podSecurityContext": {"runAsUser": 10101, "fsGroup": 10101},
        "securityContext": {"readOnlyRootFilesystem": True}}, RESTRICTED),
]


def _template(chart: str, tmp_path: Path, *values: Path) -> str:
    if not (CHARTS / chart).is_dir():
        unavailable(f"no chart {chart} in {CHARTS}: set GLOO_HARDEN_CHARTS to the folder "
                    "(default ../shared/charts beside the repository)")
    release, namespace = ("gloo", GLOO) if chart.startswith("gloo") else \
        ("kgateway", "kgateway-system")
    args = [helm(3), "template", release, str(CHARTS / chart), "-n", namespace]
    for path in values:
        args += ["-f", str(path)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _changes(results: Path) -> set[tuple[str, str, str]]:
    """(hardening, kind, name) of every change a run's results say it made or would make."""
    return {(r["hardening"], r["resource"]["kind"], r["resource"]["name"])
            for r in json.loads(results.read_text())
            if r["severity"] == "info" and r.get("field") and r.get("resource")
            and r.get("hardening") and "tag" not in r
            and (r["message"].startswith(("set ", "added ")) or "→" in r["message"]
                 or ": set " in r["message"] or "removed" in r["message"])}


@pytest.mark.parametrize(("chart", "case", "user_values", "options"),
                         [(*c, ())[:4] for c in CASES], ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_values_overlay_does_what_values_can_and_names_the_rest(
        chart: str, case: str, user_values: dict[str, Any], options: tuple[str, ...],
        tmp_path: Path) -> None:
    options = (*options, *pinned(*PINNED, *(RESTRICTED_IDS if options == RESTRICTED else ())))
    user = tmp_path / "user-values.yaml"
    user.write_text(yaml.safe_dump(user_values))
    r0 = tmp_path / "r0.yaml"
    r0.write_text(_template(chart, tmp_path, user))
    overlay = tmp_path / "values-hardening.yaml"
    emitted = run_tool("emit", "values", str(r0), "-o", str(overlay), *options,
                       "--results", str(tmp_path / "emit.json"))
    assert emitted.returncode == 0, emitted.stderr.decode()
    named = {(r["hardening"], r["resource"]["kind"], r["resource"]["name"])
             for r in json.loads((tmp_path / "emit.json").read_text())
             if r.get("tag") == "not-expressible"}
    r1 = tmp_path / "r1.yaml"
    r1.write_text(_template(chart, tmp_path, user, overlay))
    check = run_tool("--check", str(r1), "--results", str(tmp_path / "check.json"), *options)
    assert check.returncode in (0, 1), check.stderr.decode()
    if case.startswith(("profile-restricted", "restricted-")) and chart.startswith("gloo"):
        # the chart's switch is on where every container it reaches agrees, and where it is
        # off the line says which guard kept what back
        switch_off = {"restricted-floating-user-sds": "guard known-non-root-user",
                      "restricted-third-party-kubectl": "guard known-third-party-user",
                      "restricted-custom-seccomp": "",
                      # runAsNonRoot kept on the ingress proxy: its own value carries the rest
                      "restricted-floating-user": ""}
        assert ("enableRestrictedContainerDefaults: true" in overlay.read_text()) \
            == (case not in switch_off), overlay.read_text()
        assert f"{switch_off.get(case)} kept it back" in emitted.stderr.decode() \
            or not switch_off.get(case)
    if case == "restricted-kubegateway-sidecars":  # each template's context is a value
        parameters = yaml.safe_load(overlay.read_text())["kubeGateway"]["gatewayParameters"]
        for keys in (("sdsContainer",), ("istio", "istioProxyContainer")):
            context = parameters["glooGateway"]
            for key in (*keys, "securityContext"):
                context = context[key]
            assert context["capabilities"] == {"drop": ["ALL"]}, keys
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}, keys
    if case.startswith(("profile-restricted", "restricted-")) and chart.startswith("kgateway"):
        assert "\nsecurityContext:" in overlay.read_text()  # the controller's, verbatim
    assert _changes(tmp_path / "check.json") == named, (
        overlay.read_text(), emitted.stderr.decode(), check.stderr.decode())
    only_r1, only_r0 = same_objects(hardened(r1, *options), hardened(r0, *options),
                                    as_stored=True, effective=True)
    assert (only_r1, only_r0) == ([], []), overlay.read_text()
