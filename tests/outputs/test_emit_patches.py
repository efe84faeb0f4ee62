"""``emit.patches``: the patch from an object as read to the object as written is exact (our
strategic merge, which equals kubectl's, and jsonpatch give ``after`` back) and names only what
changed."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gloo_harden.outputs.emit import patches
from gloo_harden.patching import json6902 as apply_json6902
from gloo_harden.patching.strategic import merge

PROXY: dict[str, Any] = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "gateway-proxy", "namespace": "gloo-system",
                 "labels": {"gloo": "gateway-proxy"}},
    "spec": {"template": {"spec": {
        "containers": [
            {"name": "gateway-proxy", "image": "envoy",
             "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                                 "runAsUser": 10101}},
            {"name": "sds", "image": "sds"}],
        "volumes": [{"name": "envoy-config", "configMap": {"name": "gateway-proxy"}}]}}},
}


def _hardened() -> dict[str, Any]:
    after = copy.deepcopy(PROXY)
    spec = after["spec"]["template"]["spec"]
    spec["automountServiceAccountToken"] = False
    context = spec["containers"][0]["securityContext"]
    context["capabilities"]["add"] = []
    context["readOnlyRootFilesystem"] = True
    return after


def _strategic_round_trip(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    patch = patches.strategic(before, after)
    merged = copy.deepcopy(before)
    merge(merged, copy.deepcopy(patch), "Workload", create_missing=True)  # as kubectl
    for obj in (merged, after):  # a new element of a merge list: kubectl puts it first,
        spec = obj["spec"]["template"]["spec"]  # kustomize last; by merge key they are one
        spec["volumes"] = sorted(spec.get("volumes", []), key=lambda v: v["name"])
    assert merged == after
    return patch


def test_strategic_names_only_the_changed_container_and_fields() -> None:
    patch = _strategic_round_trip(PROXY, _hardened())
    assert patch == {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "gateway-proxy", "namespace": "gloo-system"},
        "spec": {"template": {"spec": {
            "automountServiceAccountToken": False,
            "containers": [{"name": "gateway-proxy", "securityContext": {
                "capabilities": {"add": []}, "readOnlyRootFilesystem": True}}]}}}}


def test_strategic_removes_with_null_and_deletes_list_elements_by_merge_key() -> None:
    after = copy.deepcopy(PROXY)
    spec = after["spec"]["template"]["spec"]
    del spec["containers"][0]["securityContext"]["runAsUser"]
    spec["containers"].pop(1)
    spec["volumes"].append({"name": "tmp", "emptyDir": {}})
    patch = _strategic_round_trip(PROXY, after)
    pod = patch["spec"]["template"]["spec"]
    assert pod["containers"] == [
        {"name": "gateway-proxy", "securityContext": {"runAsUser": None}},
        {"name": "sds", "$patch": "delete"}]
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": {}}]


def test_json6902_pins_what_it_replaces_and_removes() -> None:
    before = {"apiVersion": "gloo.solo.io/v1", "kind": "Settings",
              "metadata": {"name": "default", "namespace": "gloo-system"},
              "spec": {"gloo": {"disableKubernetesDestinations": False, "a/b~c": 1},
                       "list": ["x", "y"]}}
    after = copy.deepcopy(before)
    after["spec"]["gloo"]["disableKubernetesDestinations"] = True
    del after["spec"]["gloo"]["a/b~c"]
    after["spec"]["list"] = ["x"]
    after["spec"]["new"] = {"k": "v"}
    ops = patches.json6902(before, after)
    assert ops == [
        {"op": "test", "path": "/spec/gloo/disableKubernetesDestinations", "value": False},
        {"op": "replace", "path": "/spec/gloo/disableKubernetesDestinations", "value": True},
        {"op": "test", "path": "/spec/gloo/a~1b~0c", "value": 1},
        {"op": "remove", "path": "/spec/gloo/a~1b~0c"},
        {"op": "test", "path": "/spec/list", "value": ["x", "y"]},
        {"op": "replace", "path": "/spec/list", "value": ["x"]},
        {"op": "add", "path": "/spec/new", "value": {"k": "v"}}]
    applied = copy.deepcopy(before)
    apply_json6902.apply(applied, ops, "")
    assert applied == after


def test_json6902_test_op_fails_when_the_render_changed_under_it() -> None:
    before = {"spec": {"gloo": {"disableKubernetesDestinations": False}}}
    ops = patches.json6902(before, {"spec": {"gloo": {"disableKubernetesDestinations": True}}})
    from gloo_harden.errors import PatchError

    with pytest.raises(PatchError):
        apply_json6902.apply({"spec": {"gloo": {"disableKubernetesDestinations": "maybe"}}},
                             ops, "")


@pytest.mark.parametrize(("api_version", "kind", "strategic"), [
    ("apps/v1", "Deployment", True), ("apps/v1", "DaemonSet", True),
    ("v1", "ServiceAccount", True), ("gloo.solo.io/v1", "Settings", False),
    ("gateway.kgateway.dev/v1alpha1", "GatewayParameters", False),
    ("example.com/v1", "Deployment", False),  # a CR that borrows a built-in kind's name
])
def test_strategic_only_for_built_in_kinds(api_version: str, kind: str, strategic: bool) -> None:
    assert patches.is_strategic(api_version, kind) is strategic


def test_target_selects_exactly_the_object() -> None:
    assert patches.target(PROXY) == {"group": "apps", "version": "v1", "kind": "Deployment",
                                     "name": "gateway-proxy", "namespace": "gloo-system"}
    account = {"apiVersion": "v1", "kind": "ServiceAccount",
               "metadata": {"name": "gateway.proxy", "namespace": "${NAMESPACE}"}}
    assert patches.target(account) == {"version": "v1", "kind": "ServiceAccount",
                                       "name": "gateway\\.proxy",
                                       "namespace": "\\$\\{NAMESPACE\\}"}
    cluster = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
               "metadata": {"name": "kgateway"}}
    assert "namespace" not in patches.target(cluster)
