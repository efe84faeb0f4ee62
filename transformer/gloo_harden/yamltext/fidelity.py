"""Write a changed document so that it differs from its input only in the lines of the change.

``write`` is the one entry: a document read as plain data is edited as text (textedit.py);
this module's round-trip writer (``render``) takes what the text editor declines and the
documents that had to be parsed in round-trip mode from the start (anchors, deep nesting).

ruamel keeps comments and quoting, but it normalises indentation, trailing spaces and a few
scalar spellings, so a plain re-dump would touch hundreds of lines of a Helm render. Instead
``render`` dumps the tree twice, before (``noop``) and after (``patched``) the change, takes
the line diff between those two dumps (exactly the change), and replays it onto the original
text wherever the original lines line up with the ``noop`` dump. The result is re-parsed and
must equal the patched tree; when it does not (or a hunk cannot be placed), the next strategy
is tried, and last the full dump, which is always correct, only noisier.
"""

from __future__ import annotations

import copy
from typing import Any

from gloo_harden.errors import InputError, InvariantError
from gloo_harden.patterns import lazy
from gloo_harden.yamltext import textedit, yamlio
from gloo_harden.yamltext.stream import Document


def write(document: Document) -> str:
    """The text of a changed document.

    A document read as plain data is edited as text where its data changed (textedit.py);
    when that cannot be done, it is parsed in round-trip mode, its changes are made again on
    that tree, and it is written by ``render``, as a document parsed that way from the start.
    """
    if looks_like_json(document.text):  # ``kubectl get -o json``: JSON in, JSON out
        written = write_json(document.text, yamlio.to_plain(document.tree))
        if written is not None:
            return written
    if document.round_trip:
        return render(document.text, document.tree, document.where, document.pristine)
    after = yamlio.to_plain(document.tree)
    edited = textedit.render(document.text, document.pristine, after,
                             _indent_styles(document.text)[0])
    if edited is not None:
        yamlio.remember_plain(document.text, document.pristine)
        return edited
    tree = yamlio.load(document.text, document.where)
    before = copy.deepcopy(tree)
    for change in document.replay:
        change(tree)
    if yamlio.to_plain(tree) != after:
        raise InvariantError(f"{document.where}: the change made again on the round-trip tree "
                             "differs from the change made on the data read")
    return render(document.text, tree, document.where, before)


def render(original: str, after: Any, where: str, before: Any = None) -> str:
    """The text of the changed document: minimal if possible, the full dump otherwise.

    ``before`` is the document's tree before the change (``Document.pristine``); without it
    the original text is parsed again.
    """
    wanted = yamlio.to_plain(after)
    if before is None:
        before = copy.deepcopy(yamlio.load(original, where))
    yamlio.remember_plain(original, before)  # the invariants re-read the original: parse it once
    # ``before`` is a deep copy, which ruamel dumps differently from the tree it copied
    # (anchors, merge keys, tags): dumped as a deep copy too, ``after`` differs from it only
    # by the change, so the lines around it (``!!int "1"``, ``<<: *sel``) keep their text.
    copied = copy.deepcopy(after)
    for indentation_blind in (False, True):
        for wide in _indent_styles(original):
            noop = yamlio.dump(before, wide)
            patched = yamlio.dump(copied, wide)
            merged = replay(original, noop, patched, indentation_blind)
            if merged is not None and _same(merged, wanted, where):
                return merged
    return yamlio.dump(after, _indent_styles(original)[0])


def looks_like_json(text: str) -> bool:
    """Whether ``text`` starts like a JSON object (``write_json`` decides whether it is one)."""
    return text.lstrip(" \t\r\n")[:1] == "{"


def write_json(original: str, after: Any) -> str | None:
    """``original``, a JSON text, changed to ``after`` (plain data) and still JSON: only the
    lines of the change differ, the rest keeps the input's indentation, key order and
    escapes; None when ``original`` is not JSON.

    JSON is YAML, so a YAML writer would answer ``kubectl get -o json`` output with flow YAML
    (unquoted keys) that ``jq`` and JSON clients refuse. ``json.dumps`` in the input's style
    (its indentation, or one line) before and after the change gives the change as a line
    diff, replayed onto the original as ``render`` does; the full dump, when that cannot be
    placed, is still valid JSON in the same style.
    """
    import json

    try:
        before = json.loads(original)
    except ValueError:
        return None
    indent, separators = _json_style(original)

    def dump(value: Any) -> str:
        text = json.dumps(value, indent=indent, separators=separators, ensure_ascii=False)
        return text + "\n"

    patched = dump(after)
    merged = replay(original, dump(before), patched)
    if merged is not None:
        try:
            if json.loads(merged) == after:
                return merged
        except ValueError:
            pass
    return patched if original.endswith("\n") else patched.removesuffix("\n")


def _json_style(text: str) -> tuple[str | None, tuple[str, str]]:
    """The indentation of ``text``'s first indented line (None: all on one line) and its
    separators, for ``json.dumps``."""
    body = text.strip()
    lines = body.splitlines()
    if len(lines) < 2:
        compact = '":' in body and '": ' not in body
        return None, ((",", ":") if compact else (", ", ": "))
    second = lines[1]
    indent = second[:len(second) - len(second.lstrip(" \t"))] or "  "
    return indent, (",", ": ")


def replay(original: str, noop: str, patched: str, indentation_blind: bool = False) -> str | None:
    """Apply the ``noop`` → ``patched`` line diff to ``original``; None if it cannot be placed.

    Trailing spaces are always compared away (Helm leaves them, ruamel drops them). With
    ``indentation_blind`` leading spaces are too, and each hunk is shifted by the indentation
    difference at its anchor line: Helm mixes sequence styles inside one document, which no
    single ruamel setting reproduces.
    """
    from difflib import SequenceMatcher  # the round-trip writer is the text editor's fallback

    o_lines = original.splitlines(keepends=True)
    if o_lines and not o_lines[-1].endswith("\n"):
        o_lines[-1] += "\n"
    n_lines = noop.splitlines(keepends=True)
    p_lines = patched.splitlines(keepends=True)
    key = str.strip if indentation_blind else str.rstrip
    n_keys, o_keys, p_keys = ([key(line) for line in lines] for lines in (n_lines, o_lines, p_lines))
    n_to_o: dict[int, int] = {}
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, n_keys, o_keys, autojunk=False).get_opcodes():
        # equal lines, and lines the dump only spells differently (an explicit tag such as
        # ``!!int "8080"``, a list's indentation, a comment's spacing): as many lines in the
        # same place are the same lines, so a change beside them is placed without touching them
        if tag == "equal":
            n_to_o.update({i1 + k: j1 + k for k in range(i2 - i1)})
        elif tag == "replace" and i2 - i1 == j2 - j1:
            n_to_o.update({i1 + k: j1 + k for k in range(i2 - i1)
                           if _same_line(n_lines[i1 + k], o_lines[j1 + k])})
    edits: list[tuple[int, int, list[str]]] = []
    written = set(p_keys)
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, n_keys, p_keys, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        # a comment line at a hunk's edge holds no data: ruamel drops it with the node it
        # hangs on (a list item removed), the original keeps it where it is
        while i1 < i2 and _lost_comment(n_lines[i2 - 1], written):
            i2 -= 1
        while i1 < i2 and _lost_comment(n_lines[i1], written):
            i1 += 1
        if i1 == i2 and j1 == j2:
            continue
        span = _place(n_to_o, i1, i2, len(n_lines))
        if span is None:
            return None
        shift = _shift(n_lines, o_lines, n_to_o, i1 if i1 < i2 else i1 - 1, p_lines[j1:j2])
        edits.append((span[0], span[1], [_shifted(line, shift) for line in p_lines[j1:j2]]))
    for start, end, lines in reversed(edits):
        o_lines[start:end] = lines
    return "".join(o_lines)


def _same_line(dumped: str, original: str) -> bool:
    """Whether a line of the dump and one of the original are the same line spelled apart:
    the same key (``replicas: 1``, ``replicas: !!int "1"``), or else the same words."""
    return _line_key(dumped) == _line_key(original)


_KEY = lazy(r"^(-\s+)*[^\s:#'\"][^:#]*?:(?=\s|$)")


def _line_key(line: str) -> str:
    words = " ".join(line.split())
    found = _KEY.match(words)
    return found.group(0).replace("- ", "-") if found else words


def _lost_comment(line: str, written: set[str]) -> bool:
    """Whether ``line`` of the dump is a comment line the patched dump no longer has."""
    stripped = line.strip()
    return stripped.startswith("#") and line.rstrip() not in written and stripped not in written


def _shift(n_lines: list[str], o_lines: list[str], n_to_o: dict[int, int], anchor: int,
           hunk: list[str]) -> int:
    """How much deeper the original indents than the dump where ``hunk`` goes.

    Measured at the hunk's nearest sibling above it (same indentation, both list items or
    both keys) or else its parent: a line deeper inside a neighbour says nothing about it.
    """
    first = next((line for line in hunk if line.strip()), "")
    level, item = _indent(first), first.lstrip().startswith("- ")
    for k in range(anchor, -1, -1):
        line = n_lines[k]
        if k not in n_to_o or not line.strip():
            continue
        if _indent(line) < level or (_indent(line) == level and line.lstrip().startswith("- ") == item):
            return _indent(o_lines[n_to_o[k]]) - _indent(line)
    return 0


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _shifted(line: str, shift: int) -> str:
    if shift > 0:
        return " " * shift + line
    if shift < 0 and _indent(line) >= -shift:
        return line[-shift:]
    return line


def _place(n_to_o: dict[int, int], i1: int, i2: int, n_count: int) -> tuple[int, int] | None:
    if i1 < i2:  # replace or delete: every line must map, contiguously
        mapped = [n_to_o.get(k) for k in range(i1, i2)]
        if None in mapped or mapped != list(range(mapped[0] or 0, (mapped[0] or 0) + len(mapped))):
            return None
        start = mapped[0]
        assert start is not None
        return start, start + len(mapped)
    if i1 > 0 and i1 - 1 in n_to_o:  # insert after the line it follows in the dump
        return n_to_o[i1 - 1] + 1, n_to_o[i1 - 1] + 1
    if i1 < n_count and i1 in n_to_o:
        return n_to_o[i1], n_to_o[i1]
    return None


def _indent_styles(body: str) -> list[bool]:
    """Try the sequence style the document mostly uses first (False: compact, True: wide)."""
    compact = wide = 0
    previous = ""
    for line in body.splitlines():
        stripped = line.lstrip(" ")
        if stripped.startswith("- ") and previous.rstrip().endswith(":"):
            parent = len(previous) - len(previous.lstrip(" "))
            if len(line) - len(stripped) > parent:
                wide += 1
            else:
                compact += 1
        previous = line
    return [True, False] if wide > compact else [False, True]


def _same(text: str, wanted: Any, where: str) -> bool:
    try:
        return yamlio.parses_to(text, wanted, where)
    except InputError:
        return False
