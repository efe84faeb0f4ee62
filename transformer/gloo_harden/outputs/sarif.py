"""``--results-format sarif``: the results as a SARIF 2.1.0 log, for code-scanning views.

Shape (OASIS SARIF 2.1.0, the subset GitHub code scanning reads): one run whose tool driver is
gloo-harden, with one rule per hardening that ran (built-in, profile and user patches; ids as in
``gloo-harden list``) and one per guard (``gloo_harden.guards``). Each result of a hardening is a
SARIF result: a change is a ``note``, a change kept back by a guard is a ``warning`` (an
``error`` under ``--strict``) whose rule is that guard. Each is located by its file and the line
of its field (the nearest line that exists: a field being added has none yet), with the
Kubernetes object as a logical location; results read from stdin have only the logical one.
Results that belong to no hardening (empty input, a mapping without ``kind``) are tool
notifications of the run. ``partialFingerprints`` name the rule, object and field, so an alert
keeps its identity when lines move.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from gloo_harden import __version__
from gloo_harden.errors import InputError
from gloo_harden.guards import GUARDS
from gloo_harden.patching.hardening import Hardening
from gloo_harden.resources.results import Result, Severity
from gloo_harden.yamltext import stream, yamlio

#: the schema the log names (OASIS SARIF 2.1.0, errata 01)
SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
          "sarif-schema-2.1.0.json")
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def log(results: Iterable[Result], hardenings: Iterable[Hardening],
        texts: Mapping[str, str], failure: tuple[str, int] | None = None) -> str:
    """The SARIF log of ``results`` as JSON text; ``texts`` maps each input file's name to its
    decoded text (to find lines; ``stdin`` is not a file). ``failure`` (message, exit code):
    the run failed after all; its invocation says so, with the message as an ``error``
    notification."""
    rules = _rules(hardenings)
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    lines = _Lines(texts)
    located: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for result in results:
        rule = result.guard or result.hardening or ""
        if rule in index and result.resource is not None:
            located.append(_result(result, rule, index[rule], lines))
        else:
            notifications.append(_notification(result, lines))
    run = {
        "tool": {"driver": {"name": "gloo-harden", "version": __version__,
                            "semanticVersion": __version__, "rules": rules}},
        "invocations": [_invocation(notifications, failure)],
        "columnKind": "unicodeCodePoints",
        "results": located,
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2,
                      ensure_ascii=False) + "\n"


def _invocation(notifications: list[dict[str, Any]],
                failure: tuple[str, int] | None) -> dict[str, Any]:
    if failure is None:
        return {"executionSuccessful": True, "toolExecutionNotifications": notifications}
    message, code = failure
    notifications.append({"level": "error", "message": {"text": message}})
    return {"executionSuccessful": False, "exitCode": code,
            "toolExecutionNotifications": notifications}


def _rules(hardenings: Iterable[Hardening]) -> list[dict[str, Any]]:
    rules: dict[str, dict[str, Any]] = {}
    for item in hardenings:
        rules.setdefault(item.id, _rule(item.id, item.summary, item.description or item.summary,
                                        "hardening", {"guards": list(item.guards),
                                                      "origin": item.origin}))
    for guard_id, module in GUARDS.items():
        doc = (module.__doc__ or guard_id).strip()
        first = doc.split("\n\n", 1)[0].replace("\n", " ")
        short = first.split(": ", 1)[1] if first.startswith(f"``{guard_id}``: ") else first
        rules.setdefault(guard_id, _rule(guard_id, short, doc, "guard", {}))
    return list(rules.values())


def _rule(rule_id: str, short: str, full: str, kind: str,
          extra: dict[str, Any]) -> dict[str, Any]:
    return {"id": rule_id, "name": "".join(p.capitalize() for p in rule_id.split("-")),
            "shortDescription": {"text": short},
            "fullDescription": {"text": full.split("\n\n", 1)[0].replace("\n", " ")},
            "help": {"text": full, "markdown": full},
            "defaultConfiguration": {"level": "note" if kind == "hardening" else "warning"},
            "properties": {"kind": kind, "tags": ["security", "kubernetes", "gloo"], **extra}}


def _result(result: Result, rule: str, rule_index: int, lines: _Lines) -> dict[str, Any]:
    assert result.resource is not None
    resource = result.resource
    name = "/".join(filter(None, (resource.kind, resource.namespace, resource.name)))
    location: dict[str, Any] = {"logicalLocations": [
        {"fullyQualifiedName": f"{resource.api_version}/{name}", "name": resource.name or name,
         "kind": "resource"}]}
    physical = _physical(result, lines)
    if physical:
        location["physicalLocation"] = physical
    field = f" {result.field}" if result.field else ""
    out: dict[str, Any] = {
        "ruleId": rule, "ruleIndex": rule_index, "level": LEVELS[result.severity],
        "message": {"text": f"{resource}{field}: {result.message}"},
        "locations": [location],
        "partialFingerprints": {"gloo-harden/v1": hashlib.sha256(
            f"{rule}|{resource}|{result.field or ''}".encode()).hexdigest()},
        "properties": {key: value for key, value in result.to_dict().items()
                       if key not in ("severity", "message")},
    }
    return out


def _notification(result: Result, lines: _Lines) -> dict[str, Any]:
    out: dict[str, Any] = {"level": LEVELS[result.severity],
                           "message": {"text": result.message}}
    physical = _physical(result, lines)
    if physical:
        out["locations"] = [{"physicalLocation": physical}]
    if result.hardening:
        out["properties"] = {"hardening": result.hardening}
    return out


def _physical(result: Result, lines: _Lines) -> dict[str, Any] | None:
    if result.file is None or result.file not in lines.texts:
        return None
    if result.document is not None:
        line, column = lines.find(result.file, result.document, result.field)
    elif result.resource is not None:  # an object gloo-harden adds: it goes after the stream
        line, column = max(1, len(lines.texts[result.file].splitlines())), 1
    else:
        return None
    return {"artifactLocation": {"uri": uri(result.file)},
            "region": {"startLine": line, "startColumn": column}}


def uri(name: str) -> str:
    """A file name as a SARIF artifact URI: relative names stay relative (code scanning reads
    them from the repository's root), absolute ones become ``file://`` URIs."""
    path = Path(name)
    return path.as_uri() if path.is_absolute() else quote(path.as_posix(), safe="/")


class _Lines:
    """Where a document and a field of it are in its file (line and column, from 1)."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = texts
        self._documents: dict[str, list[stream.Document]] = {}
        self._trees: dict[tuple[str, int], Any] = {}

    def find(self, name: str, document: int, field: str | None) -> tuple[int, int]:
        """``document`` is its number in the file, from 1 (as results count them)."""
        documents = self._documents.setdefault(
            name, stream.split(stream.normalised(self.texts[name]), name))
        if not 1 <= document <= len(documents):
            return 1, 1
        found = documents[document - 1]
        line, column = self._in_document(name, found, field or "")
        return found.line + line + 1, column + 1 + (found.column if line == 0 else 0)

    def _in_document(self, name: str, document: stream.Document,
                     field: str) -> tuple[int, int]:
        """The 0-based line and column of ``field`` (or its nearest ancestor) in the
        document's text."""
        key = (name, document.index)
        if key not in self._trees:
            try:
                self._trees[key] = yamlio.load(document.text, name)
            except InputError:
                self._trees[key] = None
        node = self._trees[key]
        found = _start(node)
        for match in _STEP.finditer(field):
            step, item = match.group(1), match.group(2)
            position = _position(node, step, item)
            if position is None:
                break
            found, node = position
        return found


def _start(node: Any) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    return (lc.line, lc.col) if lc is not None and lc.line is not None else (0, 0)


def _position(node: Any, step: str | None, item: str | None) -> tuple[tuple[int, int],
                                                                        Any] | None:
    lc: Any = getattr(node, "lc", None)
    try:
        if item is not None and isinstance(node, list) and int(item) < len(node):
            line, column = lc.item(int(item))
            return (line, column), node[int(item)]
        if step is not None and isinstance(node, dict) and step in node:
            line, column = lc.key(step)
            return (line, column), node[step]
    except (AttributeError, KeyError, TypeError):
        return None
    return None
