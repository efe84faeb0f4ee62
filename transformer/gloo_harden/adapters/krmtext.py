"""A ResourceList's text split at its items, so items nothing reads are copied as text.

kpt and kustomize send ``items`` as a block sequence at column 0: each item starts with a line
``- …`` and its other lines are indented two spaces (kpt puts the item's first comment on that
line, ``- # Source: …``). With exactly that shape, an item's lines with the first two columns
removed are a standalone document, which the stream machinery handles like a file's: parsed only
when a scope or guard reads it, re-written by the minimal-diff writer only when changed,
otherwise copied verbatim. That skips the round-trip parse and dump of every CRD, the bulk of a
Gloo render. Any other shape (JSON, flow style, other indentation, anchors or aliases that cross
items, an item that does not start with a plain key, a comment at column 0 among the items)
gives None, and
the caller parses the whole list as before; so does a header whose top-level keys, read as
text, are not exactly the keys ruamel reads (a quoted scalar running onto column 0).
"""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

import bisect
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from gloo_harden.errors import TransformerError
from gloo_harden.yamltext import yamlio

#: Stands for the items while the header is parsed and written; never in real input.
PLACEHOLDER = "gloo-harden-items-placeholder-7f3c"
_DECIDING = r"(?! {2}| *(?:\n|$))"  # a line neither indented two spaces nor blank
_DECIDING_AT = re.compile(_DECIDING, re.MULTILINE)
#: Searched from each newline (a literal the regex engine skips to), not tried at every offset.
_DECIDING_NEXT = re.compile(r"\n" + _DECIDING, re.MULTILINE)
_TOP_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_]*):(?:[ \t]|$)")
_ITEM_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*:(?:[ \t]|$)")
#: What may stand before an anchor or alias indicator on its line, where a node can start.
_BEFORE_ANCHOR = re.compile(r"[ \t]*(?:-[ \t]+)*|.*[:,?\[{][ \t]*")
_NAME = re.compile(r"[^\s,\[\]{}]+")


class Split(NamedTuple):
    """The header (every top-level key, ``items`` holding PLACEHOLDER), read and as text, and
    each item's text."""

    header: Any
    raw: tuple[str, ...]
    texts: tuple[str, ...]
    head: str


def split(text: str) -> Split | None:
    """The ResourceList in ``text`` split at its items, or None when it has another shape."""
    found = _items_lines(text)
    if len(found) != 1 or PLACEHOLDER in text:
        return None
    start = found[0][1]
    raw = _item_lines(text, start)
    if not raw:
        return None
    end = start + sum(len(item) for item in raw)
    if not _anchors_item_local(text, start, end, raw):
        return None
    head = text[: found[0][0]] + f"items: {PLACEHOLDER}\n" + text[end:]
    header = _header(head)
    texts = tuple(_dedent(item) for item in raw)
    if header is None or not all(_is_mapping(t) for t in texts):
        return None
    return Split(header, tuple(r if r.endswith("\n") else r + "\n" for r in raw), texts, head)


def _items_lines(text: str) -> list[tuple[int, int]]:
    """Where each ``items:`` line at column 0 (nothing after it but blanks) starts, and where
    its line ends, found with ``str.find``: a MULTILINE regex took a tenth of the answer."""
    found: list[tuple[int, int]] = []
    start = 0
    while True:
        if text.startswith("items:", start):
            newline = text.find("\n", start)
            end = len(text) if newline < 0 else newline + 1
            if not text[start + len("items:"):end].strip(" \t\n"):
                found.append((start, end))
        before = text.find("\nitems:", start)
        if before < 0:
            return found
        start = before + 1


def _anchors_item_local(text: str, start: int, end: int, raw: list[str]) -> bool:
    """Whether every anchor (``&a``) and alias (``*a``) is inside the items, and every alias
    refers to an anchor of its own item: each item is then a standalone document (kpt sends
    a file's anchors as they are, and YAML anchors never cross documents)."""
    found = _anchors(text)
    if not found:
        return True
    bounds, at = [], start
    for item in raw:
        bounds.append(at)
        at += len(item)
    defined: dict[int, set[str]] = {}
    for position, indicator, name in found:
        if not start <= position < end:
            return False  # in the header: the whole-list path is always right
        owner = bisect.bisect_right(bounds, position) - 1
        if indicator == "&":
            defined.setdefault(owner, set()).add(name)
        elif name not in defined.get(owner, set()):
            return False
    return True


def _anchors(text: str) -> list[tuple[int, str, str]]:
    """Each anchor (``&a``) or alias (``*a``) where a node can start, in order, as (offset,
    indicator, name); some false alarms (the name is then an unknown alias and the whole-list
    path answers, which is always right). Looked for at each ``&`` and ``*``: one regex over
    the whole list took half of the answer's time."""
    found = []
    for indicator in "&*":
        at = text.find(indicator)
        while at >= 0:
            following = text[at + 1:at + 2]
            if following and not following.isspace() and following not in ",]}":
                line_start = text.rfind("\n", 0, at) + 1
                if _BEFORE_ANCHOR.fullmatch(text, line_start, at):
                    name = _NAME.match(text, at + 1)
                    found.append((at, indicator, name.group() if name else ""))
            at = text.find(indicator, at + 1)
    return sorted(found)


def _item_lines(text: str, start: int) -> list[str]:
    """The items' texts from ``start`` up to the next top-level key; [] when ambiguous.

    Only the lines that are neither blank nor indented two spaces decide anything: an item's
    ``- `` starts it, a top-level key ends them all."""
    starts: list[int] = []
    end = len(text)
    first = [start] if _DECIDING_AT.match(text, start) else []
    for at in first + [line.start() + 1 for line in _DECIDING_NEXT.finditer(text, start)]:
        if text.startswith("- ", at):
            starts.append(at)
        elif text.startswith(("#", "-", " ", "\t"), at):
            return []  # a comment, a dash or odd indentation at column 0: whose is it?
        else:
            end = at
            break
    if not starts or starts[0] != start:
        return []  # something before the first item: whose is it?
    return [text[a:b] for a, b in zip(starts, starts[1:] + [end], strict=True)]


def _header(head: str) -> Any:
    """The ResourceList without its items, parsed; None unless its keys read as text agree."""
    keys = []
    for line in head.splitlines():
        if line[:1] in ("", " ", "#") or line.startswith("- "):
            continue  # nested lines, comments, compact sequences under a top-level key
        match = _TOP_KEY.match(line)
        if match is None:
            return None
        keys.append(match.group(1))
    try:
        header, _ = yamlio.load_for_reading(head, "stdin")
    except TransformerError:
        return None
    if not isinstance(header, dict) or list(header) != keys \
            or header.get("items") != PLACEHOLDER:
        return None
    return header


def _dedent(item: str) -> str:
    """An item's text moved two columns left: its ``- `` and each line's indent (a line
    indented less loses what it has)."""
    if not _other_breaks(item):
        text = item[2:].replace("\n  ", "\n")
        # every indented line had two spaces to lose when the replacements (two characters
        # each) were as many as the lines that start with a space
        if (len(item) - 2 - len(text)) // 2 == item.count("\n "):
            return text if text.endswith("\n") else text + "\n"
    lines = item.splitlines(keepends=True)
    out = [lines[0][2:]]
    out += [line[2:] if line.startswith("  ") else line.lstrip(" ") for line in lines[1:]]
    text = "".join(out)
    return text if text.endswith("\n") else text + "\n"


def _is_mapping(text: str) -> bool:
    """True when the first line that is not blank or a comment is a plain key at column 0."""
    for line in text.splitlines() if _other_breaks(text) else _lines(text):
        if line.strip() and not line.lstrip().startswith("#"):
            return _ITEM_KEY.match(line) is not None
    return False


def _lines(text: str) -> Iterator[str]:
    """``text.splitlines()`` for a text whose only line break is ``\\n``, one line at a time:
    a caller that stops at the first line does not split a whole item (a split of every
    item's text was 2% of a KRM run)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield text[start:end]
        start = end + 1


def _other_breaks(text: str) -> bool:
    return any(other in text for other in yamlio.OTHER_LINE_BREAKS)


def indent(text: str) -> str:
    """A document's text as an item of the column-0 ``items`` sequence."""
    lines = text.splitlines(keepends=True)
    out = ["- " + lines[0]] if lines else ["- {}\n"]
    out += ["  " + line if line.strip("\n") else line for line in lines[1:]]
    result = "".join(out)
    return result if result.endswith("\n") else result + "\n"


def join(header_text: str, items: list[str]) -> str:
    """The written header with the items put back where PLACEHOLDER stands."""
    line = f"items: {PLACEHOLDER}\n"
    if header_text.count(line) != 1:
        raise AssertionError("the ResourceList header lost its items placeholder")
    return header_text.replace(line, "items:\n" + "".join(items))
