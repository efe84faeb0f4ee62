"""Writing the answer ResourceList: results in kyaml's shape, comments left to the client,
block style only (kpt would copy JSON flow style into the package files).
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedBase, CommentedMap, CommentedSeq

from gloo_harden.resources.results import Result
from gloo_harden.yamltext import yamlio

#: ``tags`` key that names the hardening a result is about.
TAG = "gloo-harden.dev/hardening"
#: ``tags`` key for a note's kind (``results.BROKEN``, ``results.UNSEEN``)
OUTCOME_TAG = "gloo-harden.dev/note"
#: ``Result.file`` of items that did not come from a file (set by the KRM adapter).
ITEMS = "ResourceList.items"


def write(resource_list: Any, results: list[Result]) -> str:
    """The ResourceList text: items as they are now, earlier results kept, ours appended."""
    if resource_list.fa.flow_style():  # JSON in, YAML out: kpt would write JSON into files
        _set_block(resource_list)
    items = resource_list["items"]
    for item in items if isinstance(items, list) else ():  # a str: see krmtext.PLACEHOLDER
        if item.fa.flow_style():
            _set_block(item)
    _strip_comments(resource_list)
    if "results" not in resource_list:  # the usual case: ours are the first results
        written = results_text(results)
        if written is not None:
            return yamlio.dump(resource_list) + written
    previous = resource_list.get("results")
    ours = [result_map(r) for r in results]
    resource_list["results"] = (previous if isinstance(previous, list) else []) + ours
    return yamlio.dump(resource_list)


def results_text(results: list[Result]) -> str | None:
    """``results:`` written directly, every value as JSON (which is YAML, and quoted where a
    YAML 1.1 reader could misread it): the round-trip emitter took longer than the rest of
    the answer. None for a value JSON cannot write (the emitter then writes them all)."""
    import json

    lines = ["results:" if results else "results: []"]
    try:
        for result in results:
            entries = _entries(yamlio.to_plain(result_map(result)), "  ", json.dumps)
            lines += ["- " + entries[0][2:], *entries[1:]]
    except ValueError:  # NaN or infinity
        return None
    return "".join(line + "\n" for line in lines)


def _entries(mapping: dict[str, Any], indent: str, scalar: Any) -> list[str]:
    lines = []
    for key, value in mapping.items():
        if isinstance(value, dict) and value:
            lines += [f"{indent}{key}:", *_entries(value, indent + "  ", scalar)]
        else:
            lines.append(f"{indent}{key}: {scalar(value, ensure_ascii=False, allow_nan=False)}")
    return lines


def result_map(result: Result) -> dict[str, Any]:
    """One result in the KRM shape (kyaml ``framework.Result``); strings quoted for YAML 1.1."""
    # kpt prints a result as "[severity] object field: message", without its tags
    message = f"{result.message} ({result.hardening})" if result.hardening else result.message
    out: dict[str, Any] = {"message": yamlio.quote_if_ambiguous(message),
                           "severity": result.severity.value}
    if result.resource is not None:
        out["resourceRef"] = {k: yamlio.quote_if_ambiguous(v)
                              for k, v in result.resource.to_dict().items()}
    if result.field:
        field: dict[str, Any] = {"path": result.field}
        for key, value in (("currentValue", result.current), ("proposedValue", result.proposed)):
            if value is not None:
                field[key] = _quoted(yamlio.to_plain(value))
        out["field"] = field
    if result.file is not None and result.file != ITEMS:
        out["file"] = {"path": result.file, "index": result.document or 0}
    if result.hardening:
        out["tags"] = {TAG: result.hardening}
    if result.tag:
        out.setdefault("tags", {})[OUTCOME_TAG] = result.tag
    return out


def _quoted(value: Any) -> Any:
    if isinstance(value, list):
        return [_quoted(v) for v in value]
    if isinstance(value, dict):
        return {k: _quoted(v) for k, v in value.items()}
    return yamlio.quote_if_ambiguous(value)


def _strip_comments(node: Any) -> None:
    if isinstance(node, CommentedBase):
        node.ca.items.clear()
        node.ca.comment = None
        if hasattr(node.ca, "end"):
            node.ca.end = []
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        _strip_comments(child)


def _set_block(node: Any) -> Any:
    """JSON read as YAML, written as block-style YAML with plain keys and scalars."""
    if isinstance(node, CommentedMap):
        node.fa.set_block_style()
        items = list(node.items())
        node.clear()
        for key, value in items:
            node[_plain(key)] = _set_block(value)
    elif isinstance(node, CommentedSeq):
        node.fa.set_block_style()
        for i, value in enumerate(node):
            node[i] = _set_block(value)
    return _plain(node)


def _plain(value: Any) -> Any:
    """A quoted string as a plain one, unless YAML 1.1 would misread it (the emitter quotes
    whatever else needs it)."""
    if isinstance(value, str) and type(value) is not str:
        return yamlio.quote_if_ambiguous(str(value))
    return value
