"""The C reader (``yamlio._c_reader``) reads exactly as ruamel's own safe loader on libyaml
(``YAML(typ="safe", pure=False)``): same tags on every node, same data, same refusals. It
only skips work (rules looked up once, nodes turned into plain data directly)."""

from __future__ import annotations

from typing import Any

import pytest
from ruamel.yaml import YAML

from conftest import CORPUS, needs_corpus
from gloo_harden.yamltext import stream, yamlio

SCALARS = [
    "true", "True", "TRUE", "tRUE", "yes", "on", "off", "y", "n", "null", "Null", "~", "",
    "0", "-0", "+1", "0755", "0o17", "0x1F", "0b101", "1_000", "1.5", "-.5e3", ".inf", "-.Inf",
    ".nan", "1e3", "2020-01-01", "2020-01-01 10:00:00", "12:30", "=", "'quoted'", '"dq"',
    "!!str 5", "!!int '7'", "a b", "~x", "0.", "._", "+.5",
]


def _tags(node: Any) -> list[str]:
    out = [str(node.tag)]
    if isinstance(node.value, list):
        for child in node.value:
            for part in child if isinstance(child, tuple) else (child,):
                out += _tags(part)
    return out


def _reference(text: str) -> tuple[list[str], Any]:
    yaml = YAML(typ="safe", pure=False)
    return _tags(yaml.compose(text)), yamlio.to_plain(yaml.load(text))


@pytest.mark.parametrize("scalar", SCALARS)
def test_scalars_resolve_and_construct_as_ruamel_does(scalar: str) -> None:
    text = f"key: {scalar}\nlist:\n- {scalar}\n"
    assert _tags(yamlio.compose_fast(text)) == _tags(YAML(typ="safe", pure=False).compose(text))
    try:
        data = _reference(text)[1]
    except Exception:  # ruamel cannot build it (e.g. "._" resolves to a float): neither do we
        assert yamlio._fast_plain(text) is yamlio._NOTHING
    else:
        assert yamlio._fast_plain(text) == data


@pytest.mark.parametrize("text", ["a: 1\na: 2\n", "a: !custom 1\n", "a: [1\n", "<<: {a: 1}\nb: 2\n"])
def test_what_ruamel_refuses_or_builds_its_way_is_left_to_it(text: str) -> None:
    try:
        expected = _reference(text)[1]
    except Exception:
        assert yamlio._fast_plain(text) is yamlio._NOTHING
    else:
        assert yamlio._fast_plain(text) == expected


@needs_corpus
def test_every_corpus_document_reads_as_ruamel_reads_it() -> None:
    for path in sorted(CORPUS.glob("*.yaml")):
        for doc in stream.split(path.read_text(), path.name):
            if doc.is_blank:
                continue
            tags, data = _reference(doc.text)
            assert _tags(yamlio.compose_fast(doc.text)) == tags, doc.where
            assert yamlio._fast_plain(doc.text) == data, doc.where
