"""Every real render in ../shared/corpus: the output is the input plus exactly the reported changes.

Read back with PyYAML (YAML 1.1, as kubectl reads it): same resources in the same order, each
equal to its input with the reported fields set to their reported values; untouched documents
byte-identical; and the expected verdicts per file.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import CORPUS, PINNED, corpus_params, needs_corpus
from gloo_harden.resources.results import Severity
from gloo_harden.run import hardenings
from gloo_harden.run.pipeline import Options, Outcome, Source, harden
from gloo_harden.yamltext import stream

pytestmark = needs_corpus
OPTIONS = Options(hardenings.builtin())

#: file → number of field changes expected (a regression guard for scopes and guards).
EXPECTED_CHANGES = {
    "gloo-1.13.0-daemonset-hostnetwork.yaml": 3,
    "gloo-1.13.0-default.yaml": 3,
    "gloo-1.13.0-ingress-knative.yaml": 6,  # Settings kept: Knative routes are kube destinations
    "gloo-1.13.0-istio-sds.yaml": 1,
    "gloo-1.13.0-istio-sidecar-injection.yaml": 1,
    "gloo-1.13.0-multiple-proxies.yaml": 4,
    "gloo-1.17.0-kubegateway.yaml": 3,  # Settings kept: 1.17 Gateway API needs kube destinations
    "gloo-1.2.0-rio-glooctl-dry-run.yaml": 4,
    "gloo-1.22-kube-destinations-virtualservice.yaml": 0,
    "gloo-1.22.1-default.yaml": 3,
    "gloo-1.22.1-hardened-values.yaml": 1,
    "gloo-1.22.1-istio-integration.yaml": 1,
    "gloo-1.22.1-securitycontext-override.yaml": 4,
    "gloo-1.4.15-rio-glooctl-dry-run.yaml": 3,
    "gloo-1.6.0-beta15-committed-helm-template.yaml": 3,
    "kgateway-2.0.0-beta1-default.yaml": 1,
    # 2.0/2.1: GatewayParameters kgateway and GatewayClass kgateway added (notes §6); 2.2/2.3: the
    # controller's defaults already drop NET_BIND_SERVICE and keep a read-only root
    "kgateway-2.0.5-default.yaml": 2,
    "kgateway-2.1.2-default.yaml": 2,
    "kgateway-2.2.0-default.yaml": 0,  # as 2.3 (gateway-api.md)
    "kgateway-2.3.0-default.yaml": 0,
}


def _run(*paths: Path) -> Outcome:
    return harden([Source(p.name, p.read_bytes()) for p in paths], OPTIONS)


def _identity(doc: Any) -> tuple[Any, ...]:
    meta = doc.get("metadata") or {}
    return doc.get("apiVersion"), doc.get("kind"), meta.get("namespace"), meta.get("name")


def _keys(path: str) -> list[str | int]:
    return [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", path)]


def _set(doc: Any, path: str, value: Any) -> None:
    *parents, last = _keys(path)
    for key in parents:
        doc = doc.setdefault(key, {}) if isinstance(doc, dict) else doc[key]
    doc[last] = value


def _changes(outcome: Outcome) -> list[Any]:
    return [r for r in outcome.results
            if r.severity is Severity.INFO and r.field and (r.current, r.proposed) != (None, None)]


@pytest.mark.parametrize("path", corpus_params(), ids=lambda p: getattr(p, "name", p))
def test_output_is_input_plus_reported_changes(path: Path) -> None:
    outcome = _run(path)
    text = stream.decode(path.read_bytes(), path.name)
    before = list(yaml.safe_load_all(text))
    after = list(yaml.safe_load_all(outcome.text))
    identities = [_identity(d) for d in before if d]
    changes = _changes(outcome)
    added = [tuple(r.resource) for r in changes if tuple(r.resource) not in identities]
    # objects a hardening adds come after the input's, one reported result each
    assert [_identity(d) for d in after if d] == identities + added
    expected = copy.deepcopy(before)
    for result in changes:
        if tuple(result.resource) in added:
            continue
        position = [i for i, d in enumerate(before) if d and _identity(d) == (
            result.resource.api_version, result.resource.kind, result.resource.namespace,
            result.resource.name)][0]
        _set(expected[position], result.field, result.proposed)
    assert after[:len(before)] == expected
    # the count is the built-ins' it was written for: a new one is checked by the rest
    assert len([c for c in changes if c.hardening in PINNED]) == EXPECTED_CHANGES[path.name]


@pytest.mark.parametrize("path", corpus_params(), ids=lambda p: getattr(p, "name", p))
def test_untouched_documents_are_byte_identical(path: Path) -> None:
    outcome = _run(path)
    documents = stream.split(stream.decode(path.read_bytes(), path.name), path.name)
    written = stream.split(outcome.text, path.name)
    assert set(range(len(documents), len(written))) <= set(outcome.changed)  # added at the end
    for position, (old, new) in enumerate(zip(documents, written, strict=False)):
        if position not in outcome.changed:
            assert new.text == old.text, old.where


@pytest.mark.parametrize("path", corpus_params(), ids=lambda p: getattr(p, "name", p))
def test_second_run_changes_nothing(path: Path) -> None:
    first = _run(path)
    second = harden([Source(path.name, first.text.encode())], OPTIONS)
    assert second.text == first.text
    assert second.changed == []


def _messages(outcome: Outcome, severity: Severity, hardening: str) -> list[str]:
    return [str(r) for r in outcome.results if r.severity is severity and r.hardening == hardening]


def test_hostnetwork_daemonset_keeps_net_bind_service_naming_port_80() -> None:
    outcome = _run(CORPUS / "gloo-1.13.0-daemonset-hostnetwork.yaml")
    (warning,) = _messages(outcome, Severity.WARNING, "drop-net-bind-service")
    assert "DaemonSet/gloo-system/gateway-proxy" in warning
    assert "containerPort 80 on the host network" in warning
    assert "Gateway gateway-proxy bindPort 80 (Job gloo-system/gloo-resource-rollout" in warning
    assert "NET_BIND_SERVICE" in outcome.text


@pytest.mark.parametrize("name", ["gloo-1.13.0-istio-sds.yaml", "gloo-1.22.1-istio-integration.yaml",
                                  "gloo-1.13.0-istio-sidecar-injection.yaml"])
def test_istio_files_keep_the_token(name: str) -> None:
    outcome = _run(CORPUS / name)
    warnings = _messages(outcome, Severity.WARNING, "disable-sa-token-automount")
    assert len(warnings) == 2  # the pod spec and the ServiceAccount
    assert "automountServiceAccountToken" not in outcome.text


def test_override_file_regains_read_only_root() -> None:
    outcome = _run(CORPUS / "gloo-1.22.1-securitycontext-override.yaml")
    proxy = [d for d in yaml.safe_load_all(outcome.text)
             if d and d["kind"] == "Deployment" and d["metadata"]["name"] == "gateway-proxy"][0]
    context = proxy["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    assert context == {"runAsUser": 20000, "readOnlyRootFilesystem": True}


@pytest.mark.parametrize("name", ["kgateway-2.0.0-beta1-default.yaml", "kgateway-2.0.5-default.yaml",
                                  "kgateway-2.2.0-default.yaml", "kgateway-2.3.0-default.yaml"])
def test_kgateway_is_not_asked_for_a_settings_it_cannot_have(name: str) -> None:
    outcome = _run(CORPUS / name)
    assert not _messages(outcome, Severity.WARNING, "disable-kubernetes-destinations")
    (info,) = _messages(outcome, Severity.INFO, "disable-kubernetes-destinations")
    assert "[info]: no Gloo Edge in the stream, so no Settings to set" in info


def test_gloo_1_17_gateway_api_keeps_kubernetes_destinations() -> None:
    outcome = _run(CORPUS / "gloo-1.17.0-kubegateway.yaml")
    (warning,) = _messages(outcome, Severity.WARNING, "disable-kubernetes-destinations")
    assert "Settings/gloo-system/default: kept for Settings: Gloo 1.17 with the Kubernetes " \
        "Gateway API on (GatewayClass -/gloo-gateway (gloo-1.17.0-kubegateway.yaml[doc " in warning
    assert "disableKubernetesDestinations: true" not in outcome.text


def test_kube_destination_routes_block_settings_and_are_all_named() -> None:
    outcome = _run(CORPUS / "gloo-1.22.1-default.yaml",
                   CORPUS / "gloo-1.22-kube-destinations-virtualservice.yaml")
    (warning,) = _messages(outcome, Severity.WARNING, "disable-kubernetes-destinations")
    for route in ("VirtualService default/partially-valid spec.virtualHost.routes[0].routeAction.single.kube",
                  "VirtualService default/partially-valid spec.virtualHost.routes[1].routeAction.single.kube",
                  "VirtualService -/vs-targeting-kube spec.virtualHost.routes[0].routeAction.single.kube",
                  "VirtualService -/vs-targeting-kube spec.virtualHost.routes[1].routeAction.single.kube"):
        assert route in warning
    assert "httpbin" not in warning
    assert "disableKubernetesDestinations: false" in outcome.text


def test_ingress_and_knative_proxies_lose_net_bind_service_but_not_the_default_account() -> None:
    outcome = _run(CORPUS / "gloo-1.13.0-ingress-knative.yaml")
    changed = {r.resource.name for r in _changes(outcome) if r.hardening == "drop-net-bind-service"}
    assert changed == {"ingress-proxy", "knative-external-proxy", "knative-internal-proxy"}
    assert "NET_BIND_SERVICE" not in outcome.text


@pytest.mark.parametrize("name", ["kgateway-2.0.5-default.yaml", "kgateway-2.1.2-default.yaml"])
def test_kgateway_2_0_and_2_1_get_class_level_parameters(name: str) -> None:
    outcome = _run(CORPUS / name)
    added = [d for d in yaml.safe_load_all(outcome.text) if d][-2:]
    version = name.split("-")[1]
    assert [(d["kind"], d["metadata"]["name"]) for d in added] == [
        ("GatewayParameters", "kgateway"), ("GatewayClass", "kgateway")]
    assert added[0]["metadata"]["namespace"] == "kgateway-system"
    assert added[0]["metadata"]["labels"]["helm.sh/chart"] == f"kgateway-v{version}"
    assert added[0]["spec"]["kube"]["envoyContainer"]["securityContext"]["capabilities"] == {
        "add": []}
    assert added[1]["spec"]["parametersRef"]["name"] == "kgateway"
    assert f"decisions assume kgateway {version}" in "\n".join(map(str, outcome.results))


@pytest.mark.parametrize("version", ["2.2.0", "2.3.0"])
def test_kgateway_2_2_and_later_add_nothing_and_say_why(version: str) -> None:
    outcome = _run(CORPUS / f"kgateway-{version}-default.yaml")
    assert outcome.changed == []
    messages = "\n".join(map(str, outcome.results))
    assert f"kgateway {version}: the controller's default proxy has no NET_BIND_SERVICE" in messages
    assert "automountServiceAccountToken: false and mounts the projected xds-token" in messages
