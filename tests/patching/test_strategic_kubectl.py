"""Our strategic merge against apimachinery's, as ``kubectl patch --local --type strategic`` runs it.

A table of hand-written cases covers every merge key and directive; property-based cases merge
random patches into real corpus Deployments, DaemonSets, Jobs and Services (one kubectl call
per generated patch, over a batch of objects). Results are compared as parsed data, list order
included. The two deliberate differences are tested on their own below.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import corpus_files, needs_corpus
from patching.kubectl_smp import ours, ours_or_error, theirs, without_delete_directives

POD_SPEC = {
    "containers": [
        {"name": "a", "image": "i", "args": ["x", "y"],
         "ports": [{"containerPort": 80, "protocol": "TCP", "name": "h"},
                   {"containerPort": 81, "name": "m"}],
         "env": [{"name": "A", "value": "1"},
                 {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}],
         "volumeMounts": [{"name": "v", "mountPath": "/v"}, {"name": "w", "mountPath": "/w"}],
         "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE", "X"], "drop": ["ALL"]},
                             "runAsUser": 10101}},
        {"name": "b", "image": "j"},
    ],
    "initContainers": [{"name": "init", "image": "k"}],
    "volumes": [{"name": "v", "emptyDir": {}}, {"name": "w", "configMap": {"name": "cm"}}],
    "tolerations": [{"key": "t", "operator": "Exists"}],
    "imagePullSecrets": [{"name": "s1"}],
    "securityContext": {"runAsUser": 1, "fsGroup": 2},
}
POD = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": "p", "labels": {"a": "1"}, "finalizers": ["f1", "f2"]},
       "spec": POD_SPEC}
DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
              "spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
                       "template": {"metadata": {"labels": {"x": "y"}}, "spec": POD_SPEC}}}
SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
           "spec": {"selector": {"a": "b"},
                    "ports": [{"port": 80, "targetPort": 8080, "name": "http"},
                              {"port": 443, "targetPort": 8443, "name": "https",
                               "protocol": "TCP"}]}}


def _c(**fields: Any) -> dict[str, Any]:
    return {"spec": {"containers": [{"name": "a", **fields}]}}


CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "null-deletes-a-key": (POD, {"metadata": {"labels": {"a": None}}}),
    "container-by-name": (POD, _c(image="new")),
    "container-new-goes-first": (POD, {"spec": {"containers": [{"name": "z", "image": "z"}]}}),
    "container-delete": (POD, {"spec": {"containers": [{"name": "b", "$patch": "delete"}]}}),
    "containers-replace": (POD, {"spec": {"containers": [{"name": "q"}, {"$patch": "replace"}]}}),
    "init-container-new": (POD, {"spec": {"initContainers": [{"name": "i2", "image": "z"}]}}),
    "ephemeral-new-list": (POD, {"spec": {"ephemeralContainers": [{"name": "e", "image": "d"}]}}),
    "port-by-containerPort-only": (POD, _c(ports=[{"containerPort": 80, "protocol": "UDP",
                                                   "name": "u"}])),
    "port-new": (POD, _c(ports=[{"containerPort": 90}])),
    "port-delete": (POD, _c(ports=[{"containerPort": 81, "$patch": "delete"}])),
    "port-string-is-not-int": (POD, _c(ports=[{"containerPort": "80"}])),
    "env-by-name": (POD, _c(env=[{"name": "B", "value": "2"}])),
    "env-null-inside-element": (POD, _c(env=[{"name": "B", "valueFrom": None, "value": "2"}])),
    "env-new-keeps-null": (POD, _c(env=[{"name": "N", "value": None}])),
    "env-same-key-twice": (POD, _c(env=[{"name": "N", "value": "1"}, {"name": "N", "value": "2"}])),
    "volumeMount-by-mountPath": (POD, _c(volumeMounts=[{"mountPath": "/w", "readOnly": True}])),
    "volumeMount-new": (POD, _c(volumeMounts=[{"mountPath": "/z", "name": "z"}])),
    "volume-by-name": (POD, {"spec": {"volumes": [{"name": "v", "secret": {"secretName": "s"}}]}}),
    "volume-retainKeys": (POD, {"spec": {"volumes": [{"name": "v", "$retainKeys": ["name", "secret"],
                                                      "secret": {"secretName": "s"}}]}}),
    "imagePullSecrets-merge": (POD, {"spec": {"imagePullSecrets": [{"name": "s2"}]}}),
    "tolerations-replaced": (POD, {"spec": {"tolerations": [{"key": "u"}]}}),
    "tolerations-directive-is-literal": (POD, {"spec": {"tolerations": [{"key": "a",
                                                                         "$patch": "delete"}]}}),
    "args-replaced": (POD, _c(args=["z"])),
    "delete-from-args": (POD, _c(**{"$deleteFromPrimitiveList/args": ["x"]})),
    "delete-from-capabilities-add": (POD, _c(securityContext={"capabilities": {
        "$deleteFromPrimitiveList/add": ["NET_BIND_SERVICE"]}})),
    "delete-from-absent-list": (POD, _c(**{"$deleteFromPrimitiveList/command": ["x"]})),
    "delete-from-finalizers": (POD, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["f1"]}}),
    "finalizers-merge-as-set": (POD, {"metadata": {"finalizers": ["f3", "f1"]}}),
    "finalizers-duplicates": (POD, {"metadata": {"finalizers": ["f1", "f1", "f9", "f9"]}}),
    "finalizers-merge-and-delete": (POD, {"metadata": {"finalizers": ["f3"],
                                                       "$deleteFromPrimitiveList/finalizers": ["f1"]}}),
    "map-replace": (POD, _c(securityContext={"$patch": "replace", "runAsUser": 5})),
    "map-delete-leaves-empty": (POD, _c(securityContext={"$patch": "delete"})),
    "map-delete-absent": (POD, {"spec": {"dnsConfig": {"$patch": "delete"}}}),
    "map-replace-absent": (POD, {"spec": {"dnsConfig": {"$patch": "replace", "nameservers": ["1"]}}}),
    "map-merge-directive-fails": (POD, _c(securityContext={"$patch": "merge", "runAsUser": 5})),
    "element-merge-directive-fails": (POD, _c(ports=[{"containerPort": 80, "$patch": "merge"}])),
    "element-without-merge-key-fails": (POD, _c(ports=[{"name": "x"}])),
    "mixed-element-types-fails": (POD, {"metadata": {"finalizers": ["z", {"$patch": "replace"}]}}),
    "setElementOrder-containers": (POD, {"spec": {"$setElementOrder/containers": [
        {"name": "b"}, {"name": "a"}]}}),
    "setElementOrder-with-patch": (POD, {"spec": {
        "$setElementOrder/containers": [{"name": "b"}, {"name": "z"}, {"name": "a"}],
        "containers": [{"name": "z", "image": "z"}]}}),
    "setElementOrder-partial": (POD, {"spec": {"$setElementOrder/containers": [{"name": "b"}]}}),
    "setElementOrder-primitives": (POD, {"metadata": {"$setElementOrder/finalizers": ["f2", "f1"]}}),
    "setElementOrder-absent-list": (POD, {"spec": {"$setElementOrder/hostAliases": [{"ip": "1"}],
                                                   "hostAliases": [{"ip": "1"}]}}),
    "setElementOrder-mismatch-fails": (POD, _c(**{"$setElementOrder/args": ["y", "x"],
                                                  "args": ["x", "y"]})),
    "retainKeys-pod-securityContext": (POD, {"spec": {"securityContext": {
        "$retainKeys": ["fsGroup"], "fsGroup": 3}}}),
    "retainKeys-container": (POD, _c(**{"$retainKeys": ["name", "image"]})),
    "new-list-drops-directive-elements": (POD, {"spec": {"hostAliases": [
        {"ip": "1", "hostnames": ["a"]}, {"ip": "2", "$patch": "delete"}]}}),
    "new-map-drops-nulls": (POD, {"spec": {"dnsConfig": {"nameservers": ["1"], "options": None}}}),
    "new-map-keeps-retainKeys-literally": (POD, {"spec": {"dnsConfig": {
        "nameservers": ["1"], "$retainKeys": ["nameservers"]}}}),
    "type-change-replaces": (POD, {"spec": {"containers": {"a": 1}}}),
    "type-change-drops-nulls": (POD, _c(args={"a": None, "b": 1})),
    "type-change-drops-directive-maps": (POD, _c(args={"a": {"$patch": "delete"}, "b": 1})),
    "retainKeys-unlisted-key-fails": (POD, {"spec": {"securityContext": {
        "$retainKeys": ["fsGroup"], "runAsUser": 3}}}),
    "delete-from-list-of-maps-fails": (POD, {"spec": {"$deleteFromPrimitiveList/tolerations": [
        {"key": "t", "operator": "Exists"}]}}),
    "delete-from-a-string-does-nothing": (POD, _c(**{"$deleteFromPrimitiveList/image": ["i"]})),
    "new-list-of-lists-keeps-null-elements": (POD, {"spec": {"dnsConfig": {
        "x": [[None, {"a": None}]]}}}),
    "empty-list": (POD, _c(ports=[])),
    "root-replace": (POD, {"$patch": "replace", "apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": "q"}}),
    "deployment-strategy-retainKeys": (DEPLOYMENT, {"spec": {"strategy": {
        "$retainKeys": ["type"], "type": "Recreate"}}}),
    "deployment-strategy-merge": (DEPLOYMENT, {"spec": {"strategy": {"type": "Recreate"}}}),
    "deployment-container": (DEPLOYMENT, {"spec": {"template": {"spec": {"containers": [
        {"name": "a", "image": "x"}]}}}}),
    "deployment-template-labels": (DEPLOYMENT, {"spec": {"template": {"metadata": {
        "labels": {"x": None, "z": "1"}}}}}),
    "service-port-by-port": (SERVICE, {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}),
    "service-port-new": (SERVICE, {"spec": {"ports": [{"port": 8080, "protocol": "UDP"}]}}),
    "service-port-delete": (SERVICE, {"spec": {"ports": [{"port": 443, "$patch": "delete"}]}}),
    "service-selector-replace": (SERVICE, {"spec": {"selector": {"$patch": "replace", "c": "d"}}}),
}


def _same_outcome(obj: dict[str, Any], patch: dict[str, Any]) -> tuple[Any, Any]:
    want = theirs([obj], patch)
    expected = want[0] if isinstance(want, list) else "error"
    got = ours_or_error(copy.deepcopy(obj), patch)
    return expected, "error" if isinstance(got, str) else got


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_equals_kubectl(name: str) -> None:
    obj, patch = CASES[name]
    expected, got = _same_outcome(obj, patch)
    assert got == expected


def test_the_table_has_failing_cases_too() -> None:
    """The error rows really are errors in kubectl (so 'both failed' is not a free pass)."""
    errors = [n for n in CASES if n.endswith("-fails")]
    assert len(errors) == 7
    assert all(isinstance(theirs([CASES[n][0]], CASES[n][1]), str) for n in errors)


# --- property-based cases over the real corpus ------------------------------------------------

def _corpus_objects(kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    found = []
    for path in corpus_files():
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") in kinds:
                found.append(doc)
    return found


WORKLOADS = _corpus_objects(("Deployment", "DaemonSet", "Job"))
SERVICES = _corpus_objects(("Service",))
CONTAINER_NAMES = ["gloo", "gateway-proxy", "discovery", "kubectl", "certgen", "sds", "zz"]

maybe_bool = st.sampled_from([True, False, None])
small_int = st.sampled_from([0, 1, 10101, 20000, None])
caps = st.lists(st.sampled_from(["NET_BIND_SERVICE", "ALL", "NET_RAW", "CHOWN"]),
                max_size=2, unique=True)


@st.composite
def security_contexts(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in draw(st.sets(st.sampled_from(["readOnlyRootFilesystem", "runAsNonRoot",
                                             "allowPrivilegeEscalation"]), max_size=2)):
        out[key] = draw(maybe_bool)
    if draw(st.booleans()):
        out["runAsUser"] = draw(small_int)
    capabilities: dict[str, Any] = {}
    if draw(st.booleans()):
        capabilities["$deleteFromPrimitiveList/add"] = draw(caps)
    if draw(st.booleans()):
        capabilities["drop"] = draw(caps)
    if capabilities:
        out["capabilities"] = capabilities
    if draw(st.booleans()):
        out["seccompProfile"] = draw(st.sampled_from([{"type": "RuntimeDefault"}, None,
                                                      {"$patch": "delete"}]))
    return out


@st.composite
def containers(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {"name": draw(st.sampled_from(CONTAINER_NAMES))}
    if draw(st.booleans()):
        out["securityContext"] = draw(security_contexts())
    if draw(st.booleans()):
        out["env"] = draw(st.lists(st.fixed_dictionaries(
            {"name": st.sampled_from(["POD_NAMESPACE", "NEW", "LOG_LEVEL"])},
            optional={"value": st.sampled_from(["1", "debug", None]),
                      "$patch": st.just("delete")}), max_size=2, unique_by=lambda e: e["name"]))
    if draw(st.booleans()):
        out["ports"] = draw(st.lists(st.fixed_dictionaries(
            {"containerPort": st.sampled_from([8080, 8443, 9977, 80, 1234])},
            optional={"name": st.sampled_from(["http", "https", "x"]),
                      "$patch": st.just("delete")}), max_size=2,
            unique_by=lambda p: p["containerPort"]))
    if draw(st.booleans()):
        out["volumeMounts"] = draw(st.lists(st.fixed_dictionaries(
            {"mountPath": st.sampled_from(["/etc/envoy", "/tmp", "/new"])},
            optional={"name": st.sampled_from(["envoy-config", "tmp"]),
                      "readOnly": st.booleans()}), max_size=2,
            unique_by=lambda m: m["mountPath"]))
    if draw(st.booleans()):
        out["image"] = draw(st.sampled_from(["x:1", None]))
    return out


@st.composite
def workload_patches(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if draw(st.booleans()):
        # one element per merge key: kubectl's order for duplicate keys is not specified
        spec["containers"] = draw(st.lists(containers(), min_size=1, max_size=2,
                                           unique_by=lambda c: c["name"]))
    if draw(st.booleans()):
        order = [c["name"] for c in spec.get("containers", [])] + draw(st.lists(
            st.sampled_from(CONTAINER_NAMES), max_size=2, unique=True))
        spec["$setElementOrder/containers"] = [{"name": n} for n in dict.fromkeys(order)]
    if draw(st.booleans()):
        spec["securityContext"] = {"runAsNonRoot": draw(maybe_bool), "fsGroup": draw(small_int)}
        if draw(st.booleans()):
            spec["securityContext"]["$patch"] = "replace"
    if draw(st.booleans()):
        spec["volumes"] = draw(st.lists(st.fixed_dictionaries(
            {"name": st.sampled_from(["envoy-config", "tmp", "new"])},
            optional={"emptyDir": st.just({}), "$patch": st.just("delete")}), max_size=2,
            unique_by=lambda v: v["name"]))
    if draw(st.booleans()):
        spec["automountServiceAccountToken"] = draw(maybe_bool)
    if draw(st.booleans()):
        spec["tolerations"] = [{"key": "k", "operator": "Exists"}]
    template: dict[str, Any] = {"spec": spec}
    if draw(st.booleans()):
        template["metadata"] = {"labels": {"gloo": draw(st.sampled_from(["x", None])), "n": "1"}}
    patch: dict[str, Any] = {"spec": {"template": template}}
    if draw(st.booleans()):  # Deployments have a strategy, DaemonSets an updateStrategy
        patch["spec"][draw(st.sampled_from(["strategy", "updateStrategy"]))] = {
            "$retainKeys": ["type"], "type": draw(st.sampled_from(["Recreate", "OnDelete"]))}
    return patch


@st.composite
def service_patches(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if draw(st.booleans()):
        spec["ports"] = draw(st.lists(st.fixed_dictionaries(
            {"port": st.sampled_from([80, 443, 9977, 9999])},
            optional={"targetPort": st.sampled_from([8080, 8443, "http"]),
                      "$patch": st.just("delete")}), min_size=1, max_size=2,
            unique_by=lambda p: p["port"]))
    if draw(st.booleans()):
        spec["selector"] = {"gloo": draw(st.sampled_from(["gateway-proxy", None]))}
    spec["type"] = draw(st.sampled_from(["ClusterIP", "LoadBalancer", None]))
    return {"spec": spec, "metadata": {"labels": {"x": draw(st.sampled_from(["1", None]))}}}


def _check_batch(objects: list[dict[str, Any]], patch: dict[str, Any]) -> None:
    want = theirs(objects, patch)
    if isinstance(want, str):  # kubectl refused (e.g. a duplicate merge key): so must we
        for obj in objects:
            assert isinstance(ours_or_error(copy.deepcopy(obj), patch), str), want
        return
    for obj, expected in zip(objects, want, strict=False):
        assert ours(copy.deepcopy(obj), patch) == without_delete_directives(expected), \
            (obj["kind"], obj["metadata"].get("name"), patch)


# The suite runs the same 30 examples every time (no flaky CI); for a deeper search run e.g.
# GLOO_HARDEN_SMP_EXAMPLES=500 GLOO_HARDEN_SMP_RANDOM=1 pytest tests/patching -k equal_kubectl
PROPERTY = settings(max_examples=int(os.environ.get("GLOO_HARDEN_SMP_EXAMPLES", "30")),
                    derandomize=os.environ.get("GLOO_HARDEN_SMP_RANDOM") != "1",
                    deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@needs_corpus
@PROPERTY
@given(patch=workload_patches(), seed=st.integers(0, 10_000))
def test_workload_patches_equal_kubectl(patch: dict[str, Any], seed: int) -> None:
    batch = [WORKLOADS[(seed + i * 7) % len(WORKLOADS)] for i in range(8)]
    _check_batch(batch, patch)


@needs_corpus
@PROPERTY
@given(patch=service_patches(), seed=st.integers(0, 10_000))
def test_service_patches_equal_kubectl(patch: dict[str, Any], seed: int) -> None:
    batch = [SERVICES[(seed + i * 5) % len(SERVICES)] for i in range(6)]
    _check_batch(batch, patch)


# --- the deliberate differences ----------------------------------------------------------------

def test_missing_element_is_reported_not_created() -> None:
    """(a) kubectl creates container "typo"; we report it unless asked to create."""
    from gloo_harden.patching.strategic import MergeReport, merge
    from gloo_harden.yamltext import yamlio

    patch = {"spec": {"containers": [{"name": "typo", "image": "x"}]}}
    assert [c["name"] for c in theirs([POD], patch)[0]["spec"]["containers"]] == ["typo", "a", "b"]
    tree = yamlio.load(yaml.safe_dump(POD), "pod")
    report = MergeReport()
    merge(tree, patch, "Pod", report=report)
    assert [c["name"] for c in tree["spec"]["containers"]] == ["a", "b"]
    assert report.missing == ["spec.containers[name=typo]"]
    assert [c["name"] for c in ours(POD, patch)["spec"]["containers"]] == ["typo", "a", "b"]


def test_delete_directive_on_absent_map_is_not_written() -> None:
    """(b) kubectl writes ``$deleteFromPrimitiveList/add`` into a capabilities map it creates."""
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "a", "image": "i"}]}}
    patch = _c(securityContext={"capabilities": {"$deleteFromPrimitiveList/add": ["NET_BIND_SERVICE"]}})
    literal = theirs([obj], patch)[0]["spec"]["containers"][0]
    assert literal["securityContext"] == {"capabilities": {
        "$deleteFromPrimitiveList/add": ["NET_BIND_SERVICE"]}}
    assert "securityContext" not in ours(obj, patch)["spec"]["containers"][0]


def test_delete_from_capabilities_add_matches_kubectl_where_the_list_exists() -> None:
    """The built-in drop-net-bind-service relies on this; kubectl 1.32 does the same."""
    patch = _c(securityContext={"capabilities": {"$deleteFromPrimitiveList/add": ["NET_BIND_SERVICE"]}})
    got = ours(POD, patch)["spec"]["containers"][0]["securityContext"]["capabilities"]
    assert got == {"add": ["X"], "drop": ["ALL"]}
    assert got == theirs([POD], patch)[0]["spec"]["containers"][0]["securityContext"]["capabilities"]


def test_custom_resources_replace_lists() -> None:
    """CRDs have no merge keys: a list in a patch replaces the list (kubectl --type merge)."""
    obj = {"apiVersion": "gateway.gloo.solo.io/v1alpha1", "kind": "GatewayParameters",
           "metadata": {"name": "g"}, "spec": {"kube": {"items": [{"name": "a", "v": 1}]}}}
    patch = {"spec": {"kube": {"items": [{"name": "b"}]}}}
    assert ours(obj, patch)["spec"]["kube"]["items"] == [{"name": "b"}]


def test_comments_survive_a_merge() -> None:
    from gloo_harden.patching.strategic import merge
    from gloo_harden.yamltext import yamlio

    text = Path(__file__).with_name("commented-deployment.yaml").read_text()
    tree = yamlio.load(text, "x")
    merge(tree, {"spec": {"template": {"spec": {"containers": [
        {"name": "proxy", "securityContext": {"readOnlyRootFilesystem": True}}]}}}}, "Workload")
    out = yamlio.dump(tree)
    assert "# the proxy" in out and "# keep me" in out
