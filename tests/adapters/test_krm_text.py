"""KRM function mode, by the items' text: kpt's and kustomize's shape is answered without
parsing what nothing reads, and gives the same answer as the whole-list parse it falls back to."""

from __future__ import annotations

import collections
import json
import re
import sys
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EMPTY_CLUSTER, REPO
from gloo_harden.adapters import krm, krmio, krmtext
from gloo_harden.errors import PatchError
from gloo_harden.run import pipeline
from gloo_harden.run.options import Request
from gloo_harden.yamltext import yamlio
from gloo_harden.yamltext.stream import Document

sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests" / "adapters"))
import test_krm_adapter as fixtures  # noqa: E402

import gen_gloo  # noqa: E402

NEVER_PARSED = ("CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding",
                "ValidatingWebhookConfiguration", "Upstream")


def kpt_shaped(documents: list[str], config: str = "") -> str:
    """Documents as kpt sends them: ``- `` at column 0, a leading comment on that line."""
    items = []
    for doc in documents:
        lines = doc.removeprefix("---\n").splitlines(keepends=True)
        items.append("- " + lines[0] + "".join("  " + line if line.strip() else line
                                               for line in lines[1:]))
    return ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
            + "".join(items) + (config or "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n"
                                "  metadata:\n    name: function-input\n  data: {}\n"))


def at_column_0(text: str) -> str:
    """The adapter tests' ResourceList (items indented two spaces) in kpt's compact shape."""
    head, items = text.split("items:\n", 1)
    body, _, config = items.partition("functionConfig:")
    compact = "".join(line[2:] if line.startswith("  ") else line
                      for line in body.splitlines(keepends=True))
    return head + "items:\n" + compact + ("functionConfig:" + config if config else "")


def run(text: str, request: Request = Request(evidence=(str(EMPTY_CLUSTER),)), check: bool = False,
        ) -> tuple[str, list[Any], int, int]:
    out, results, code, changed = krm.process(text.encode(), request._replace(check=check))
    return out, results, code, changed


def by_tree(monkeypatch: pytest.MonkeyPatch, text: str, request: Request = Request(evidence=(str(EMPTY_CLUSTER),)),
            check: bool = False) -> tuple[str, list[Any], int, int]:
    with monkeypatch.context() as patch:
        patch.setattr(krmtext, "split", lambda _text: None)
        return run(text, request, check)




def _kind(text: str) -> str | None:
    return Document(0, "t", "", text).sniff_kind()


def test_a_kpt_shaped_list_is_answered_without_parsing_what_nothing_reads(
        reads: collections.Counter[str], parses: collections.Counter[str]) -> None:
    documents = list(gen_gloo.stream(60))
    text = kpt_shaped(documents)
    out, _, code, changed = run(text)
    assert code == 0 and changed == 7
    split = krmtext.split(text)
    assert split is not None
    items = set(split.texts)
    assert items & set(reads) and not items & set(parses), "an item was round-trip parsed"
    parsed_kinds = {_kind(t) for t in reads}
    assert not parsed_kinds & set(NEVER_PARSED), parsed_kinds
    assert "Deployment" in parsed_kinds
    raw = krmtext.split(text)
    assert raw is not None and len(raw.raw) == 60
    written = krmtext.split(out)
    assert written is not None, "the answer is not in the shape it came in"
    same = [a == b for a, b in zip(raw.raw, written.raw, strict=True)]
    assert same.count(False) == 7, "unchanged items are not copied verbatim"
    # kpt restores comments by id: each "# Source" line once, as it came
    sources = [line for line in out.splitlines() if "# Source" in line]
    assert sources == [line for line in text.splitlines() if "# Source" in line]


def test_the_answer_is_the_whole_list_parse_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    text = kpt_shaped(list(gen_gloo.stream(60)))
    fast, fast_results, fast_code, fast_changed = run(text)
    full, full_results, full_code, full_changed = by_tree(monkeypatch, text)
    assert yaml.safe_load(fast) == yaml.safe_load(full)
    assert (fast_results, fast_code, fast_changed) == (full_results, full_code, full_changed)


def test_json_and_flow_style_take_the_whole_list_parse_with_the_same_answer() -> None:
    text = kpt_shaped(list(gen_gloo.stream(60)))
    plain = yaml.safe_load(text)
    as_json = json.dumps(plain)
    as_flow = yaml.safe_dump(plain, default_flow_style=True, width=100_000)
    assert krmtext.split(as_json) is None and krmtext.split(as_flow) is None
    fast, fast_results, fast_code, _ = run(text)
    for other in (as_json, as_flow):
        out, results, code, _ = run(other)
        assert yaml.safe_load(out) == yaml.safe_load(fast)
        assert (results, code) == (fast_results, fast_code)
        if other is as_json:
            assert json.loads(out) == yaml.safe_load(fast), "JSON in, JSON out"
        else:
            assert krmtext.split(out) is not None, "items must come back in block style"


SCENARIOS = {
    "default": (fixtures.resource_list(), Request(evidence=(str(EMPTY_CLUSTER),)), False),
    "no path annotation": (fixtures.resource_list(annotations=False), Request(evidence=(str(EMPTY_CLUSTER),)), False),
    "strict guard refusal": (fixtures.resource_list(port=80), Request(evidence=(str(EMPTY_CLUSTER),), strict=True), False),
    "bad functionConfig": (fixtures.resource_list(
        "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x}\n"
        "  data: {enable: nope}\n"), Request(evidence=(str(EMPTY_CLUSTER),)), False),
    "v1beta1": (fixtures.resource_list(api_version="config.kubernetes.io/v1beta1"),
                Request(evidence=(str(EMPTY_CLUSTER),)), False),
    "--check, work left": (fixtures.resource_list(), Request(evidence=(str(EMPTY_CLUSTER),)), True),
    "--check, nothing left": (fixtures.resource_list().replace(
        "add: [NET_BIND_SERVICE]", "add: []"), Request(evidence=(str(EMPTY_CLUSTER),)), True),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_adapter_behaviour_is_the_same_on_both_paths(
        monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    wide, settings, check = SCENARIOS[name]
    text = at_column_0(wide)
    assert krmtext.split(text) is not None
    fast = run(text, settings, check)
    full = by_tree(monkeypatch, text, settings, check)
    assert yaml.safe_load(fast[0]) == yaml.safe_load(full[0])
    assert fast[1:] == full[1:]


def test_an_error_while_hardening_falls_back_to_the_whole_list_answer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any) -> Any:
        raise PatchError("rename.yaml: renames Deployment gateway-proxy; expected the same name")

    monkeypatch.setattr(pipeline, "harden_documents", refuse)
    text = at_column_0(fixtures.resource_list())
    out, results, code, _ = run(text)
    assert code == 2 and "rename" in results[0].message
    full = by_tree(monkeypatch, text)
    assert (out, results, code) == full[:3]


def test_an_unusable_config_returns_the_items_verbatim_with_the_reason(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    (tmp_path / "broken.yaml").write_text("apiVersion: gloo-harden.dev/v1alpha1\n"
                                          "kind: Hardening\nmetadata: {name: x}\n"
                                          "scope: no-such-scope\n")
    text = at_column_0(fixtures.resource_list(
        "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x}\n"
        f"  data: {{patches: '{tmp_path}'}}\n"))
    out, results, code, _ = run(text)
    assert code == 2 and "broken.yaml" in results[0].message
    assert out.startswith(text)  # comments and all, the results after them
    full = by_tree(monkeypatch, text)
    assert yaml.safe_load(out) == yaml.safe_load(full[0]) and (results, code) == full[1:3]


ITEM = "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n"
HEAD = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"


@pytest.mark.parametrize("text", [
    HEAD + "items:\n  - apiVersion: v1\n    kind: ConfigMap\n",  # wide indentation
    HEAD + "items: []\n",
    HEAD + "items: [{apiVersion: v1, kind: ConfigMap}]\n",
    HEAD + "items:\n- just a string\n",
    HEAD + "items:\n- - a list\n",
    HEAD + "items:\n- \"quoted\": key\n",
    HEAD + "items:\n-\n  apiVersion: v1\n",
    HEAD + "items:\n" + ITEM + "# whose comment?\n  data: {}\n",
    HEAD + "items:\n" + ITEM.replace("{name: a}", "&m {name: a}") + ITEM.replace(
        "{name: a}", "*m"),
    HEAD + "items:\n" + ITEM + "\tdata: {}\n",
    HEAD + "items:\n" + ITEM + " data: {}\n",
    HEAD + "items:\n" + ITEM + "functionConfig: \"a\nb: c\"\n",  # a quoted scalar at column 0
    HEAD + "items:\n" + ITEM + "items:\n" + ITEM,
    HEAD + "items:\n" + ITEM + "---\n",
    HEAD + "items:  # a comment\n" + ITEM,
    HEAD + f"items:\n{ITEM}x: {krmtext.PLACEHOLDER}\n",
])
def test_other_shapes_take_the_whole_list_parse(text: str) -> None:
    assert krmtext.split(text) is None


def test_kustomize_shape_sorted_keys_function_config_first() -> None:
    text = ("apiVersion: config.kubernetes.io/v1\nfunctionConfig:\n  apiVersion: v1\n"
            "  kind: ConfigMap\n  metadata:\n    name: x\nitems:\n" + ITEM + ITEM.replace("a}", "b}")
            + "kind: ResourceList\n")
    parts = krmtext.split(text)
    assert parts is not None and parts.texts == (ITEM[2:].replace("\n  ", "\n"),
                                                 ITEM[2:].replace("\n  ", "\n").replace("a}", "b}"))
    out, results, code, _ = run(text)
    assert code == 0 and list(yaml.safe_load(out)) == ["apiVersion", "functionConfig", "items",
                                                       "kind", "results"]
    assert out.count(ITEM) == 1


def test_indent_is_the_inverse_of_the_split() -> None:
    text = kpt_shaped(list(gen_gloo.stream(60)))
    parts = krmtext.split(text)
    assert parts is not None
    assert [krmtext.indent(t) for t in parts.texts] == list(parts.raw)


def test_results_written_as_text_read_back_as_the_emitter_would_write_them() -> None:
    from gloo_harden.resources.results import ResourceRef, Result, Severity

    ref = ResourceRef("apps/v1", "Deployment", "on", "0755")
    results = [Result(Severity.INFO, "set x: \"yes\" → ü", "h", ref, "spec.x", "file.yaml", 2,
                      ["on", 1, None], {"k": "no"}),
               Result(Severity.WARNING, "no resource")]
    head = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n"
    text = krmio.write(yamlio.load(head, "t"), results)
    expected = [yamlio.to_plain(krmio.result_map(r)) for r in results]
    assert yamlio.to_plain(yamlio.load(text, "t"))["results"] == expected
    assert yaml.safe_load(text)["results"] == expected  # a YAML 1.1 reader: "on" stays a string
    nan = Result(Severity.INFO, "m", field="x", current=float("nan"))
    again = krmio.write(yamlio.load(head, "t"), [nan])  # JSON has no NaN: the emitter's turn
    assert "results:" in again and ".nan" in again


def test_the_header_comes_back_as_it_came_with_our_results_after_it() -> None:
    config = ("functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: fn}\n"
              "  data: {strict: 'false'}\n")
    text = kpt_shaped(list(gen_gloo.stream(60)), config)
    out, results, _, _ = run(text)
    assert config + "results:\n" in out  # byte for byte, flow style and quotes included
    assert yamlio.to_plain(yamlio.load(out, "t"))["results"] == [
        yamlio.to_plain(krmio.result_map(r)) for r in results]
    commented = text.replace("functionConfig:\n", "functionConfig:  # ours\n")
    again, _, _, _ = run(commented)  # a comment: the header is written by ruamel, without it
    assert "# ours" not in again
    assert yaml.safe_load(again)["results"] == yaml.safe_load(out)["results"]


@pytest.mark.parametrize("text", [
    "items:\n", "a: 1\nitems:\n- x\n", "items: []\n", "items:  \t\nb", "xitems:\n", "a:\n  items:\n",
    "items:", "a\nitems:", "items:\nitems:\n", "", "\nitems:\n", "items:x\nitems:\n",
])
def test_items_lines_are_found_where_a_multiline_regex_finds_them(text: str) -> None:
    regex = re.compile(r"^items:[ \t]*(?:\n|$)", re.MULTILINE)
    assert krmtext._items_lines(text) == [(m.start(), m.end()) for m in regex.finditer(text)]


_ANNOTATION_PIECES = ["  ", "\t", "    ", "'", '"', "internal.", "config.kubernetes.io/",
                      "path", "index", ":", " ", "a.yaml", "'0'", "\n", "\r\n", "x: y",
                      "- ", "config.kubernetes.io/path: b.yaml", "#"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_ANNOTATION_PIECES), max_size=40))
def test_annotation_lines_are_what_the_patterns_find_in_the_whole_text(pieces: list[str]) -> None:
    """The KRM route reads an item's path and index annotations from the lines naming
    ``config.kubernetes.io/`` only (a whole-text regex scan of every item was 44% of a run):
    the same pairs, in the same order, as ``findall`` over the whole text."""
    text = "".join(pieces)
    for pattern in (krm._FILE_LINE, krm._PATH_LINE):
        assert krm._annotation_lines(pattern, text) == pattern.findall(text), text
        assert krm._annotation_lines(pattern, text + "\n") == pattern.findall(text + "\n")


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["  ", " ", "\n", "a: b", "- c", "#x", "\t", "\r\n", "\x85",
                                 "    d: e"]), max_size=30))
def test_items_are_dedented_and_read_as_line_by_line(pieces: list[str]) -> None:
    """An item's text is moved left by a replace when every indented line has two spaces,
    and its first content line is found without splitting all of it: as line by line."""
    item = "- " + "".join(pieces)
    lines = item.splitlines(keepends=True)
    out = [lines[0][2:]] + [line[2:] if line.startswith("  ") else line.lstrip(" ")
                            for line in lines[1:]]
    wanted = "".join(out)
    assert krmtext._dedent(item) == (wanted if wanted.endswith("\n") else wanted + "\n")
    text = "".join(pieces)
    first = next((line for line in text.splitlines()
                  if line.strip() and not line.lstrip().startswith("#")), None)
    assert krmtext._is_mapping(text) is (first is not None
                                         and krmtext._ITEM_KEY.match(first) is not None)
