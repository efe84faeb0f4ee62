"""Splitting, joining and writing documents: Helm's oddities survive."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import empty_cluster
from gloo_harden.run import hardenings
from gloo_harden.run.pipeline import Options, Source, harden
from gloo_harden.yamltext import stream

ALL = Options(hardenings.builtin(), evidence=empty_cluster())

PROXY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gateway-proxy
  namespace: gloo-system
  labels: {gloo: gateway-proxy}
spec:
  template:
    metadata:
      labels:
        gloo: gateway-proxy
    spec:
      containers:
      - name: gateway-proxy
        image: quay.io/solo-io/gloo-envoy-wrapper:1.22.1
        env:
        - name: ENABLED
          value: "on"
        - name: MODE
          value: "0755"
        - name: LONG
          value: {long}
        args: ["--log-level", "info"]   # keep this comment
        securityContext:
          capabilities:
            add: [NET_BIND_SERVICE]
"""


def _harden(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return harden([Source("test.yaml", data)], ALL).text


@pytest.mark.parametrize(
    ("text", "bodies"),
    [
        ("a: 1\n---\nb: 2\n", ["a: 1\n", "b: 2\n"]),
        ("---apiVersion: v1\nkind: A\n---apiVersion: v1\nkind: B\n",
         ["apiVersion: v1\nkind: A\n", "apiVersion: v1\nkind: B\n"]),
        ("---\n---\n# only a comment\n---\nx: 1", ["", "# only a comment\n", "x: 1"]),
        ("x: 1\n--- # trailing comment\ny: 1\n", ["x: 1\n", "y: 1\n"]),
        ("key: |\n  ---\n  inside a block\n", ["key: |\n  ---\n  inside a block\n"]),
    ],
)
def test_split_like_helm(text: str, bodies: list[str]) -> None:
    assert [d.text for d in stream.split(text, "-")] == bodies


def test_join_keeps_every_byte_glued_separators_included() -> None:
    text = "---\n# Source: x\n\n---\n---apiVersion: v1\nkind: A\n"
    assert stream.join(stream.split(text, "-"), {}) == text


def test_changed_document_keeps_quotes_floats_comments_and_long_strings() -> None:
    long = "x" * 300
    settings = ("apiVersion: gloo.solo.io/v1\nkind: Settings\nmetadata: {name: default}\n"
                "spec:\n  gloo:\n    disableKubernetesDestinations: false\n"
                "  gateway:\n    validation:\n      validationServerGrpcMaxSizeBytes: 1.048576e+08\n")
    text = "---\n# Source: gloo/templates/7.yaml\n" + PROXY.replace("{long}", long) + "---\n" + settings
    out = _harden(text)
    assert '"on"' in out and '"0755"' in out and long in out
    assert "1.048576e+08" in out and "# keep this comment" in out
    assert "# Source: gloo/templates/7.yaml" in out
    assert 'args: ["--log-level", "info"]   # keep this comment' in out
    proxy, parsed_settings = yaml.safe_load_all(out)  # YAML 1.1, as kubectl reads it
    env = proxy["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env[0]["value"] == "on" and env[1]["value"] == "0755"
    assert parsed_settings["spec"]["gloo"]["disableKubernetesDestinations"] is True


def test_block_scalars_with_trailing_spaces_survive_in_changed_documents() -> None:
    config = ("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gateway-proxy\n"
              "  labels: {gloo: gateway-proxy}\n  annotations:\n    note: |\n"
              "      port_value: 19000   \n      \n      next line\n")
    out = _harden(config)
    assert "      port_value: 19000   \n      \n      next line\n" in out
    assert out.endswith("automountServiceAccountToken: false\n")


def test_crlf_and_bom_input_is_written_in_its_own_line_endings() -> None:
    text = "\ufeff---\r\n" + PROXY.replace("{long}", "short").replace("\n", "\r\n")
    out = _harden(text.encode("utf-8"))
    assert out.startswith("\ufeff---\r\n") and "add: []\r\n" in out
    assert out.count("\n") == out.count("\r\n")


def test_placeholders_survive() -> None:
    text = PROXY.replace("{long}", "x").replace("namespace: gloo-system", "namespace: ${NAMESPACE}")
    out = _harden(text)
    assert "namespace: ${NAMESPACE}" in out and "add: []" in out


def test_kind_list_items_are_hardened() -> None:
    item = "\n".join("  " + line if line else line for line in PROXY.replace("{long}", "x").splitlines())
    text = "apiVersion: v1\nkind: List\nitems:\n-" + item[1:] + "\n"
    outcome = harden([Source("list.yaml", text.encode())], ALL)
    assert any(r.field and r.field.startswith("items[0].spec") for r in outcome.results)
    data = yaml.safe_load(outcome.text)
    assert data["items"][0]["spec"]["template"]["spec"]["containers"][0]["securityContext"] == {
        "capabilities": {"add": []}, "readOnlyRootFilesystem": True}


def test_added_strings_are_quoted_where_yaml_1_1_would_misread_them() -> None:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    from gloo_harden.yamltext.yamlio import quote_if_ambiguous

    for value in ("on", "yes", "No", "0755", "12:30", "1e3", "null", "~", "2024-01-01"):
        assert isinstance(quote_if_ambiguous(value), DoubleQuotedScalarString), value
    for value in ("gateway-proxy", "NET_BIND_SERVICE", "v1.2"):
        assert not isinstance(quote_if_ambiguous(value), DoubleQuotedScalarString), value


@settings(max_examples=2000)
@given(st.text(alphabet=st.sampled_from("yesnoYESNOtrufalTRUFALxX~+-.:_0123456789abefEF \n"),
               max_size=8) | st.text(max_size=6))
def test_ambiguity_is_decided_as_the_whole_pattern_decides_it(value: str) -> None:
    """``is_ambiguous`` answers from the first character where no branch of the YAML 1.1
    pattern could match; everywhere it answers as the pattern does."""
    from gloo_harden.yamltext import yamlio

    assert yamlio.is_ambiguous(value) == (yamlio._YAML11_AMBIGUOUS.match(value) is not None)


@pytest.mark.parametrize("text", [
    "---kind: X\n---\n# c\n\n---\n  a: 1\n", "a: 1", "# only\n", "", "---\n---\n", "  # x\n  y\n",
])
def test_blank_reads_a_document_in_place_as_is_blank_reads_its_copy(text: str) -> None:
    for start, end in stream.spans(text):
        assert stream.blank(text, start, end) == \
            stream.Document(0, "t", "", text[start:end]).is_blank


_SEPARATOR_PIECES = ["---", "\n", "-", " ", "\t", "#", "a: b", "--- #c", "...", "\r\n", "---x",
                     "- ---", "\n---\n"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_SEPARATOR_PIECES), max_size=30))
def test_separators_are_found_as_the_pattern_finds_them(pieces: list[str]) -> None:
    """The splitter tries its pattern only where a line starts with ``---`` (``str.find``),
    not at every character of the stream: the same matches as ``finditer``."""
    text = "".join(pieces)
    assert [m.span() for m in stream._separators(text)] == \
        [m.span() for m in stream._SEPARATOR.finditer(text)], text


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([" " * 100, " " * 99, " ", "a: b", "\n", "\r", "\r\n", "\x85", "\u2028",
                                 "\x0c", "[", "- "]), max_size=25))
def test_deep_indentation_is_seen_as_splitlines_sees_it(pieces: list[str]) -> None:
    """The C parser's pre-check finds a line indented past the depth limit without splitting
    every document into lines (a search for a newline and the indent), as before."""
    from gloo_harden.yamltext import limits, yamlio

    text = "".join(pieces)
    depth = limits.active().max_depth
    wanted = text.count("[") + text.count("{") >= depth or any(
        len(line) - len(line.lstrip(" ")) >= depth for line in text.splitlines())
    assert yamlio._maybe_deep(text) is wanted, repr(text)
