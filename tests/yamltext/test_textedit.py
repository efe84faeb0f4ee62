"""The text editor: each kind of edit it writes, and each change it leaves to the round-trip
writer (None), checked on exact text."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from gloo_harden.yamltext import fidelity, textedit, yamlio
from gloo_harden.yamltext.stream import Document

Change = Callable[[Any], None]

POD = """\
# Source: gloo/templates/gateway-proxy.yaml
kind: Deployment
spec:
  template:
    spec:
      containers:
      - name: envoy   # the proxy
        securityContext:
          capabilities:
            add:
            - NET_BIND_SERVICE
            drop: [ALL]
          runAsUser: 10101
        volumeMounts:
          - name: config
            mountPath: /etc/envoy
      volumes:
      - name: config
        configMap:
          name: envoy
"""


def _set(path: str, value: Any) -> Change:
    def change(tree: Any) -> None:
        *parents, last = path.split(".")
        for key in parents:
            tree = tree[int(key)] if isinstance(tree, list) else tree[key]
        if isinstance(tree, list):
            tree[int(last)] = value
        else:
            tree[last] = value
    return change


def _delete(path: str) -> Change:
    def change(tree: Any) -> None:
        *parents, last = path.split(".")
        for key in parents:
            tree = tree[int(key)] if isinstance(tree, list) else tree[key]
        del tree[int(last) if isinstance(tree, list) else last]
    return change


def _edit(text: str, change: Change, wide: bool = False) -> str | None:
    before, _ = yamlio.load_for_reading(text, "t")
    after = copy.deepcopy(before)
    change(after)
    return textedit.render(text, before, after, wide)


C = "spec.template.spec.containers.0"
WRITTEN = {
    "scalar replaced in place, comment kept": (
        _set(f"{C}.securityContext.runAsUser", 10102),
        "          runAsUser: 10101\n", "          runAsUser: 10102\n"),
    "key added after the last entry": (
        _set(f"{C}.securityContext.readOnlyRootFilesystem", True),
        "          runAsUser: 10101\n",
        "          runAsUser: 10101\n          readOnlyRootFilesystem: true\n"),
    "block list emptied becomes []": (
        _set(f"{C}.securityContext.capabilities.add", []),
        "            add:\n            - NET_BIND_SERVICE\n", "            add: []\n"),
    "nested mapping added in block style": (
        _set("spec.template.spec.securityContext", {"seccompProfile": {"type": "RuntimeDefault"}}),
        "          name: envoy\n",
        "          name: envoy\n      securityContext:\n        seccompProfile:\n"
        "          type: RuntimeDefault\n"),
    "entry removed with its lines": (
        _delete(f"{C}.securityContext.runAsUser"), "          runAsUser: 10101\n", ""),
    "list item appended at the items' column": (
        _set(f"{C}.volumeMounts", [{"name": "config", "mountPath": "/etc/envoy"},
                                   {"name": "tmp", "mountPath": "/tmp"}]),
        "            mountPath: /etc/envoy\n",
        "            mountPath: /etc/envoy\n          - name: tmp\n            mountPath: /tmp\n"),
}


@pytest.mark.parametrize("case", WRITTEN)
def test_each_edit_changes_only_its_lines(case: str) -> None:
    change, old, new = WRITTEN[case]
    written = _edit(POD, change)
    assert written is not None
    assert written == POD.replace(old, new, 1)
    assert "# the proxy" in written and written.startswith("# Source:")


def test_a_new_list_follows_the_documents_sequence_style() -> None:
    fresh = _set("spec.template.spec.containers.0.args", ["serve", "info"])
    compact, wide = _edit(POD, fresh, wide=False), _edit(POD, fresh, wide=True)
    assert compact is not None and "        args:\n        - serve\n        - info\n" in compact
    assert wide is not None and "        args:\n          - serve\n          - info\n" in wide


def test_items_removed_from_a_longer_list() -> None:
    text = "kind: X\nspec:\n  add:\n  - A  # first\n  - B\n  - C\n"
    written = _edit(text, _set("spec.add", ["A", "C"]))
    assert written == "kind: X\nspec:\n  add:\n  - A  # first\n  - C\n"


def test_a_document_without_a_final_line_break() -> None:
    written = _edit("kind: X\nspec:\n  a: 1", _set("spec.b", True))
    assert written == "kind: X\nspec:\n  a: 1\n  b: true"


def test_an_empty_flow_mapping_becomes_a_block() -> None:
    text = "kind: X\nspec:\n  securityContext:\n    {}\n  next: 1\n"
    written = _edit(text, _set("spec.securityContext", {"runAsNonRoot": True}))
    assert written == "kind: X\nspec:\n  securityContext:\n    runAsNonRoot: true\n  next: 1\n"


def test_a_mapping_emptied_becomes_an_empty_flow_mapping() -> None:
    assert _edit("kind: X\nspec:\n  a: 1\nz: 2\n", _delete("spec.a")) == "kind: X\nspec: {}\nz: 2\n"


def test_after_a_literal_block_the_new_key_follows_its_last_line() -> None:
    text = "kind: X\ndata:\n  script: |\n    echo hi\n\nmetadata:\n  name: a\n"
    written = _edit(text, _set("data.other", "yes-please"))
    assert written == "kind: X\ndata:\n  script: |\n    echo hi\n\n  other: yes-please\nmetadata:\n  name: a\n"
    assert yamlio.load_plain(written, "t")["data"] == {"script": "echo hi\n", "other": "yes-please"}


LEFT_TO_ROUND_TRIP = {
    "a value YAML 1.1 would misread": ("kind: X\nspec: {}\n", _set("spec", {"mode": "on"})),
    "a value that needs quotes": ("kind: X\nspec:\n  a: 1\n", _set("spec.b", "a: b")),
    "a flow mapping with content": ("kind: X\nspec: {a: 1}\n", _set("spec.b", 2)),
    "a key in a list item's first line removed": (
        "kind: X\nitems:\n- a: 1\n  b: 2\n", _delete("items.0.a")),
    "a list's items replaced": ("kind: X\nl:\n- a\n", _set("l", ["b", "c"])),
    "a comment between key and value": (
        "kind: X\nspec: # why\n  a: 1\n", _set("spec", 3)),
    "keys that are not strings": ("kind: X\nspec:\n  1: a\n", _set("spec.b", 1)),
    "a literal block replaced": ("kind: X\ndata:\n  s: |\n    x\n", _set("data.s", "y")),
    "a list reordered": ("kind: X\nl:\n- a\n- b\n", _set("l", ["b", "a"])),
    "a tagged value": ("kind: X\nspec:\n  a: !!str 1\n", _set("spec.a", "2x")),
}


@pytest.mark.parametrize("case", LEFT_TO_ROUND_TRIP)
def test_what_the_text_editor_leaves_to_the_round_trip_writer(case: str) -> None:
    text, change = LEFT_TO_ROUND_TRIP[case]
    assert _edit(text, change) is None


@pytest.mark.parametrize("case", LEFT_TO_ROUND_TRIP)
def test_the_round_trip_writer_makes_the_same_change_again(case: str) -> None:
    """``fidelity.write`` falls back: the change is replayed on a round-trip tree."""
    text, change = LEFT_TO_ROUND_TRIP[case]
    before, _ = yamlio.load_for_reading(text, "t")
    document = Document(0, "t", "", text, tree=copy.deepcopy(before), round_trip=False,
                        pristine=before, replay=[change])
    change(document.tree)
    written = fidelity.write(document)
    assert yamlio.load_plain(written, "t") == yamlio.to_plain(document.tree)
    assert written != text
