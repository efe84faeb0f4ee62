"""Shared YAML nodes: a target gets its own copy, and nothing else changes."""

from __future__ import annotations

import pytest

from gloo_harden.yamltext import aliases, yamlio

MERGED = """\
containers:
- &envoy
  name: gateway-proxy
  securityContext: &sc {capabilities: {add: [NET_BIND_SERVICE]}}
- <<: *envoy
  name: sds
  securityContext: *sc
"""


def test_a_merge_source_is_copied_and_the_merging_map_keeps_the_original() -> None:
    tree = yamlio.load(MERGED, "t")
    source = tree["containers"][0]
    node, copies = aliases.own_copy(tree, "containers[0]", "")
    assert copies == [("containers[0]", ["containers[1].<<"])]
    assert node is tree["containers"][0] and node is not source
    node["securityContext"]["capabilities"]["add"] = []
    assert yamlio.to_plain(tree["containers"][1]) == {
        "name": "sds", "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"]}}}


def test_a_shared_node_inside_the_target_is_copied_there() -> None:
    tree = yamlio.load(MERGED, "t")
    node, copies = aliases.own_copy(tree, "containers[1]", "")
    assert [where for where, _ in copies] == ["containers[1].securityContext"]
    node["securityContext"]["readOnlyRootFilesystem"] = True
    assert "readOnlyRootFilesystem" not in tree["containers"][0]["securityContext"]


def test_nothing_is_copied_where_nothing_is_shared() -> None:
    tree = yamlio.load("a: &x {b: 1}\nc: {d: *x}\ne: {f: 2}\n", "t")
    node, copies = aliases.own_copy(tree, "e", "")
    assert copies == [] and node is tree["e"]


def test_an_object_that_is_an_alias_of_another_is_refused() -> None:
    tree = yamlio.load("items:\n- &p {kind: Pod}\n- *p\n", "t")
    with pytest.raises(aliases.SharedResource) as refused:
        aliases.own_copy(tree, "items[0].spec", "items[0]")
    assert refused.value.others == ["items[1]"]


def test_fresh_resolves_merge_keys_and_keeps_flow_style() -> None:
    tree = yamlio.load(MERGED, "t")
    copy = aliases.fresh(tree["containers"][1])
    assert yamlio.dump({"c": copy}).splitlines() == [
        "c:", "  name: sds",
        "  securityContext: {capabilities: {add: [NET_BIND_SERVICE]}}"]


def test_outside_leaves_out_exactly_the_node() -> None:
    tree = yamlio.load(MERGED, "t")
    assert aliases.outside(tree, "containers[1].securityContext")["containers"][1] == {
        "name": "sds", "securityContext": None}
