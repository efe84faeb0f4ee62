"""gateway_review: what the controllers' merge undoes, said per object, for the right release."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from conftest import CORPUS, needs_corpus, run_tool
from gloo_harden.gloo.index import StreamIndex
from gloo_harden.gloo.release_detection import Generation, Product, Version
from gloo_harden.resources.results import Result, Severity, said_once
from gloo_harden.run import gateway_review, hardenings
from gloo_harden.run.pipeline import parse
from gloo_harden.yamltext import stream

ALL = frozenset({"drop-net-bind-service", "read-only-root-filesystem",
                 "disable-sa-token-automount", "add-kgateway-class-parameters"})


def _review(docs: list[dict[str, Any]], version: tuple[int, int, int] | None = (2, 3, 0),
            product: Product = Product.KGATEWAY, enabled: frozenset[str] = ALL,
            added_class: bool = False) -> list[Result]:
    text = yaml.safe_dump_all(docs, sort_keys=False)
    documents = stream.split(text, "t.yaml")
    resources, _ = parse(documents)
    found = Generation(product, Version(*version) if version else None, "test", False, True)
    # as the run says them (run.pipeline): each statement once
    return said_once(gateway_review.review(StreamIndex(resources, generation=found),
                                           _owners(enabled), added_class))


def _owners(enabled: frozenset[str]) -> dict[str, str]:
    return gateway_review.owners(h for h in hardenings.builtin() if h.id in enabled)


def _parameters(kube: dict[str, Any], group: str = "gateway.kgateway.dev") -> dict[str, Any]:
    return {"apiVersion": f"{group}/v1alpha1", "kind": "GatewayParameters",
            "metadata": {"name": "p", "namespace": "apps"}, "spec": {"kube": kube}}


def _said(results: list[Result]) -> list[tuple[str, str | None, str | None]]:
    return [(r.severity.value, r.hardening, r.field) for r in results
            if r.severity is not Severity.INFO]


@pytest.mark.parametrize(("version", "expected"), [
    ((2, 0, 5), []),  # the field does not exist in 2.0
    # said once, though it concerns two hardenings (under the first that runs)
    ((2, 1, 2), ["discards the whole class-level GatewayParameters"]),
    ((2, 2, 0), ["discards the class-level Envoy securityContext"]),
    ((2, 3, 0), ["keeps the class-level fields but adds no"]),
    (None, ["2.1.x discards the whole class-level GatewayParameters, 2.2.0 its Envoy"]),
])
def test_omit_default_security_context_by_release(version: tuple[int, int, int] | None,
                                                  expected: list[str]) -> None:
    results = [r for r in _review([_parameters({"omitDefaultSecurityContext": True})], version)
               if r.severity is Severity.WARNING]
    assert len(results) == len(expected)
    for result, text in zip(results, expected, strict=True):
        assert text in result.message and result.field == "spec.kube.omitDefaultSecurityContext"


def test_gloo_has_no_omit_field() -> None:
    results = _review([_parameters({"omitDefaultSecurityContext": True}, "gateway.gloo.solo.io")],
                      (1, 19, 0), Product.GLOO)
    assert _said(results) == []


def test_overlays_that_undo_the_hardening_are_each_named() -> None:
    overlay = {"spec": {"template": {"spec": {
        "automountServiceAccountToken": True,
        "serviceAccountName": "shared",
        "volumes": [{"$patch": "replace"}, {"name": "config"}],
        "containers": [{"name": "kgateway-proxy", "securityContext": {
            "readOnlyRootFilesystem": False, "capabilities": {"add": ["NET_RAW"]}}},
                       {"name": "sds", "securityContext": {"$patch": "delete"}}]}}}}
    account = {"metadata": {"name": "renamed"}}
    results = _review([_parameters({"deploymentOverlay": overlay,
                                    "serviceAccountOverlay": account})])
    base = "spec.kube.deploymentOverlay.spec.template.spec"
    assert _said(results) == [
        ("warning", "disable-sa-token-automount", f"{base}.automountServiceAccountToken"),
        ("warning", "disable-sa-token-automount", base),
        ("warning", "disable-sa-token-automount", f"{base}.volumes"),
        ("warning", "drop-net-bind-service", f"{base}.containers[0].securityContext.capabilities.add"),
        ("warning", "read-only-root-filesystem", f"{base}.containers[0].securityContext.readOnlyRootFilesystem"),
        ("warning", "read-only-root-filesystem", f"{base}.containers[1].securityContext"),
        ("warning", "disable-sa-token-automount", "spec.kube.serviceAccountOverlay.metadata"),
    ]


def test_an_overlay_that_keeps_xds_token_is_fine() -> None:
    overlay = {"spec": {"template": {"spec": {"volumes": [
        {"$patch": "replace"}, {"name": "xds-token", "projected": {"sources": []}}]}}}}
    assert _said(_review([_parameters({"deploymentOverlay": overlay})])) == []


def test_references_to_parameters_not_in_the_stream() -> None:
    gateway = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
               "metadata": {"name": "web", "namespace": "apps"},
               "spec": {"gatewayClassName": "kgateway", "infrastructure": {"parametersRef": {
                   "group": "gateway.kgateway.dev", "kind": "GatewayParameters",
                   "name": "missing"}}}}
    present = dict(gateway, metadata={"name": "ok", "namespace": "apps"},
                   spec={"infrastructure": {"parametersRef": {"kind": "GatewayParameters",
                                                              "name": "p"}}})
    gateway_class = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                     "metadata": {"name": "other"},
                     "spec": {"controllerName": "kgateway.dev/kgateway", "parametersRef": {
                         "group": "gateway.kgateway.dev", "kind": "GatewayParameters",
                         "name": "central", "namespace": "kgateway-system"}}}
    results = _review([_parameters({}), gateway, present, gateway_class], (2, 1, 2))
    assert _said(results) == [
        ("warning", "drop-net-bind-service", "spec.infrastructure.parametersRef"),
        ("warning", "drop-net-bind-service", "spec.parametersRef")]  # each said once
    assert 'names GatewayParameters "missing", which is not in the stream' in results[0].message


def test_kgateway_2_2_class_must_be_wired_through_the_controller_env() -> None:
    controller = {"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": "kgateway", "namespace": "kgateway-system",
                               "labels": {"app.kubernetes.io/name": "kgateway"}},
                  "spec": {"template": {"spec": {"containers": [{"name": "kgateway", "env": [
                      {"name": "KGW_GATEWAY_CLASS_PARAMETERS_REFS", "value": "{}"}]}]}}}}
    gateway_class = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                     "metadata": {"name": "kgateway"},
                     "spec": {"controllerName": "kgateway.dev/kgateway", "parametersRef": {
                         "kind": "GatewayParameters", "name": "p", "namespace": "apps"}}}
    results = _review([controller, gateway_class, _parameters({})], (2, 2, 0))
    (warning,) = [r for r in results if r.severity is Severity.WARNING]
    assert "set Helm gatewayClassParametersRefs.kgateway to apps/p" in warning.message
    infos = [r.message for r in results if r.severity is Severity.INFO]
    assert any("no class-level GatewayParameters is added" in m for m in infos)


def test_results_follow_the_enabled_hardenings() -> None:
    docs = [_parameters({"omitDefaultSecurityContext": True})]
    assert {r.hardening for r in _review(docs, (2, 1, 2))} == {
        "drop-net-bind-service", "disable-sa-token-automount"}  # the warning once, under NBS
    assert _review(docs, (2, 1, 2), enabled=frozenset({"read-only-root-filesystem"}))[0].hardening \
        == "read-only-root-filesystem"
    assert _review(docs, (2, 1, 2), enabled=frozenset()) == []


def test_nothing_is_said_about_a_stream_without_the_gateway_api() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
    resources, _ = parse(stream.split(text, "t.yaml"))
    assert gateway_review.review(StreamIndex(resources), _owners(ALL)) == []



CLASS = ("---\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n"
         "  name: kgateway\nspec:\n  controllerName: kgateway.dev/kgateway\n")
REF = ("  parametersRef: {group: gateway.kgateway.dev, kind: GatewayParameters, name: kgateway,"
       " namespace: kgateway-system}\n---\napiVersion: gateway.kgateway.dev/v1alpha1\n"
       "kind: GatewayParameters\nmetadata: {name: kgateway, namespace: kgateway-system}\n"
       "spec:\n  kube:\n    envoyContainer: {}\n")


@needs_corpus
@pytest.mark.parametrize(("render", "ref", "warned"), [
    ("kgateway-2.0.5-default.yaml", "", True),
    ("kgateway-2.1.2-default.yaml", "", True),
    ("kgateway-2.1.2-default.yaml", REF, False),  # pointed at one in the stream: hardened there
    ("kgateway-2.2.0-default.yaml", "", False),  # 2.2+ defaults add no NET_BIND_SERVICE
    ("kgateway-2.3.0-default.yaml", "", False),
])
def test_a_class_kgateway_in_the_stream_without_parameters_is_said(
        render: str, ref: str, warned: bool) -> None:
    """2.0/2.1: no class-level GatewayParameters is added while the stream has the class, so
    a class without parametersRef leaves its proxies on the default (NET_BIND_SERVICE)."""
    text = (CORPUS / render).read_text() + CLASS + ref
    done = run_tool("-", input=text)
    assert done.returncode == 0, done.stderr.decode()
    said = [line for line in done.stderr.decode().splitlines()
            if "GatewayClass//kgateway spec.parametersRef" in line]
    assert len(said) == warned
    if warned:
        assert "[warning]" in said[0] and "adds NET_BIND_SERVICE" in said[0]
        assert "capabilities.add: []" in said[0] and b"kind: GatewayClass" in done.stdout
    assert done.stdout.count(b"kind: GatewayClass") == 1  # nothing added beside it


def test_every_built_in_review_topic_is_one_the_review_says() -> None:
    said = {topic for h in hardenings.builtin() for topic in h.review}
    assert said <= gateway_review.TOPICS and said == gateway_review.TOPICS


def test_kgateway_2_4_overlays_must_keep_podinfo_too() -> None:
    """kgateway 2.4 mounts a downwardAPI volume podinfo on the proxy (gateway-api.md §9): an
    overlay replacing volumes with only xds-token drops it; 2.3 has no podinfo to drop."""
    overlay = {"spec": {"template": {"spec": {"volumes": [
        {"$patch": "replace"}, {"name": "xds-token", "projected": {"sources": []}}]}}}}
    results = _review([_parameters({"deploymentOverlay": overlay})], (2, 4, 0))
    base = "spec.kube.deploymentOverlay.spec.template.spec"
    assert _said(results) == [("warning", "disable-sa-token-automount", f"{base}.volumes")]
    assert "podinfo" in results[0].message
    kept = {"spec": {"template": {"spec": {"volumes": [
        {"$patch": "replace"}, {"name": "xds-token", "projected": {"sources": []}},
        {"name": "podinfo", "downwardAPI": {"items": []}}]}}}}
    assert _said(_review([_parameters({"deploymentOverlay": kept})], (2, 4, 0))) == []
    assert _said(_review([_parameters({"deploymentOverlay": overlay})], (2, 3, 0))) == []


def _controller(version: str, env: list[dict[str, str]], annotations: dict[str, str] | None = None
                ) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "kgateway", "namespace": "kgateway-system",
                         "labels": {"app.kubernetes.io/name": "kgateway",
                                    "app.kubernetes.io/instance": "kgw"},
                         "annotations": annotations or {}},
            "spec": {"template": {"spec": {"containers": [
                {"name": "kgateway", "image": f"cr.kgateway.dev/kgateway-dev/kgateway:v{version}",
                 "env": [{"name": "KGW_XDS_SERVICE_NAME", "value": "kgateway"}, *env]}]}}}}


def test_kgateway_2_1_waypoint_class_keeps_net_bind_service_said() -> None:
    """waypoint.enabled (KGW_ENABLE_WAYPOINT) on 2.0/2.1: class kgateway-waypoint's proxies
    take the default that adds NET_BIND_SERVICE (gateway-api.md §9); not on 2.2."""
    waypoint = [{"name": "KGW_ENABLE_WAYPOINT", "value": "true"}]
    results = _review([_controller("2.1.2", waypoint)], (2, 1, 2))
    (said,) = [r for r in results if "kgateway-waypoint" in r.message]
    assert said.severity is Severity.WARNING and said.hardening == "drop-net-bind-service"
    assert "ambient.istio.io/waypoint-inbound-binding" in said.message
    assert not [r for r in _review([_controller("2.1.2", [])], (2, 1, 2))
                if "kgateway-waypoint" in r.message]
    assert not [r for r in _review([_controller("2.2.0", waypoint)], (2, 2, 0))
                if "kgateway-waypoint" in r.message]


def test_upgrade_past_the_added_class_is_a_warning_under_helm() -> None:
    """The GatewayClass added for 2.0/2.1 is part of a Helm release: the next upgrade that no
    longer renders it (2.2+, or the hardening off) deletes it; said with the safe path."""
    helm4 = {"postrenderer.helm.sh/postrender-filename": "kgateway/templates/deployment.yaml"}
    added = _review([_controller("2.1.2", [], helm4)], (2, 1, 2), added_class=True)
    (said,) = [r for r in added if "becomes part of" in r.message]
    assert said.severity is Severity.WARNING
    assert "kubectl annotate gatewayclass kgateway helm.sh/resource-policy=keep" in said.message
    plain = _review([_controller("2.1.2", [])], (2, 1, 2), added_class=True)
    assert [r.severity for r in plain if "becomes part of" in r.message] == [Severity.INFO]
    later = _review([_controller("2.2.0", [], helm4)], (2, 2, 0))
    (said,) = [r for r in later if "this upgrade leaves it out" in r.message]
    assert said.severity is Severity.WARNING and said.hardening == "add-kgateway-class-parameters"
    assert not [r for r in _review([_controller("2.2.0", [])], (2, 2, 0))
                if "this upgrade leaves it out" in r.message]
