"""Write a changed document by editing its text only where its data changed.

Most hardenings change a few fields of a document that was only read so far, by the C parser.
Parsing it again in round-trip mode and dumping it twice (fidelity.py) would cost ten times
what the rest of a run does. Instead the document is composed once more by the C parser,
whose nodes carry their exact positions, and the difference between the data before and after
the change becomes text edits at those positions: a scalar replaced, keys or list items
inserted after their last sibling, entries or items removed with their lines.

Only block-style mappings and sequences with plain string keys are edited, and only values
written as plain scalars (``true``, ``RuntimeDefault``, ``[]``, nested block mappings and
lists of those). Anything else (flow collections with content, tags, block scalars, values
that would need quotes, keys that move) is ``Unsupported`` and left to the round-trip writer,
as is any result that does not parse back to exactly the hardened data.
"""

from __future__ import annotations

from typing import Any

from gloo_harden.patterns import lazy
from gloo_harden.yamltext import yamlio

#: A string written plain means the same string to YAML 1.1 and 1.2 readers unless it is one
#: of the spellings ``yamlio.quote_if_ambiguous`` knows (numbers, booleans, null, dates).
_PLAIN = lazy(r"[A-Za-z0-9_./][A-Za-z0-9_./-]*")
#: Between a key and its value: the colon and white space only (a comment there is left alone).
_KEY_GAP = lazy(r"[ \t]*:[ \t]*(?:\n[ \t]*)*")
_DASH = lazy(r"[ \t]*-[ \t]+")
_STR = "tag:yaml.org,2002:str"


class Unsupported(Exception):
    """A change this module does not write; the round-trip writer will."""


def render(text: str, before: Any, after: Any, wide_sequences: bool) -> str | None:
    """``text`` edited from ``before`` to ``after`` (plain data), or None if not supported.

    ``wide_sequences``: new lists are indented under their key (``key:\\n  - a``), else not.
    """
    root = yamlio.compose_fast(text)
    if root is None:
        return None
    editor = _Editor(text, wide_sequences)
    try:
        editor.mapping(root, before, after)
    except Unsupported:
        return None
    written = editor.result()
    return written if yamlio.parses_fast_to(written, after) else None


class _Editor:
    """Collects (start, end, replacement) edits against one text, then applies them."""

    def __init__(self, text: str, wide_sequences: bool) -> None:
        self.text = text
        self.wide = wide_sequences
        self.edits: list[tuple[int, int, str]] = []

    def result(self) -> str:
        out, position = [], 0
        for start, end, replacement in sorted(self.edits, key=lambda e: (e[0], e[1])):
            if start < position:
                raise Unsupported  # overlapping edits: never expected, never guessed at
            out += [self.text[position:start], replacement]
            position = end
        return "".join(out) + self.text[position:]

    # -- mappings -------------------------------------------------------------------------

    def mapping(self, node: Any, old: Any, new: Any) -> None:
        if not (_is_block(node, "map") and isinstance(old, dict) and isinstance(new, dict)):
            raise Unsupported
        entries = {_key(key): (key, value) for key, value in node.value}
        kept = [k for k in old if k in new]
        added = [k for k in new if k not in old]
        if list(new) != kept + added or not kept or list(entries) != list(old):
            raise Unsupported  # reordered, emptied, or keys that are not plain strings
        for name in old:
            key, value = entries[name]
            if name not in new:
                self.edits.append((self._own_line(key), self._line_end(_end(value)), ""))
            elif old[name] != new[name]:
                self.value(key, value, old[name], new[name])
        if added:
            column = node.start_mark.column
            lines = [line for name in added for line in self._entry(name, new[name], column)]
            self._insert_after(_end(node.value[-1][1]), lines)

    def value(self, key: Any, node: Any, old: Any, new: Any) -> None:
        """Change the value of one mapping entry."""
        if old and new and isinstance(old, dict) and isinstance(new, dict):
            self.mapping(node, old, new)
        elif old and new and isinstance(old, list) and isinstance(new, list):
            self.sequence(node, old, new)
        else:
            self.replace(key, node, new)

    def replace(self, key: Any, node: Any, new: Any) -> None:
        """Write ``new`` in place of the entry's value, inline or as a block below the key."""
        gap = self.text[key.end_mark.index:node.start_mark.index]
        if not _KEY_GAP.fullmatch(gap) or getattr(node, "style", None) in ("|", ">"):
            raise Unsupported
        if self.text.startswith(("!", "&", "*"), node.start_mark.index):
            raise Unsupported
        end = _end(node)
        if _inline(new):
            same_line = node.start_mark.line == key.end_mark.line
            if same_line and node.end_mark.index > node.start_mark.index:  # not an empty null
                self.edits.append((node.start_mark.index, end, _scalar(new)))
            else:
                self.edits.append((key.end_mark.index, end, ": " + _scalar(new)))
            return
        column = key.start_mark.column
        lines = self._block(new, column + 2 if isinstance(new, dict) else self._list_column(column))
        self.edits.append((key.end_mark.index, end, ":\n" + "\n".join(lines)))

    # -- sequences ------------------------------------------------------------------------

    def sequence(self, node: Any, old: list[Any], new: list[Any]) -> None:
        if not _is_block(node, "seq") or len(node.value) != len(old):
            raise Unsupported
        if len(new) == len(old):
            for item, before, after in zip(node.value, old, new, strict=True):
                if before != after:
                    self.item(item, before, after)
        elif len(new) > len(old) and new[:len(old)] == old:
            column = node.start_mark.column
            lines = [line for value in new[len(old):] for line in self._item(value, column)]
            self._insert_after(_end(node.value[-1]), lines)
        else:
            for item in _removed(node.value, old, new):
                self.edits.append((self._item_line(item), self._line_end(_end(item)), ""))

    def item(self, node: Any, old: Any, new: Any) -> None:
        if isinstance(old, dict) and isinstance(new, dict):
            self.mapping(node, old, new)
        elif isinstance(old, list) and isinstance(new, list):
            self.sequence(node, old, new)
        elif _is_plain_scalar(node) and _inline(new) and not isinstance(new, (dict, list)):
            self.edits.append((node.start_mark.index, node.end_mark.index, _scalar(new)))
        else:
            raise Unsupported

    # -- rendering new values -------------------------------------------------------------

    def _entry(self, name: Any, value: Any, column: int) -> list[str]:
        head = " " * column + _plain(name) + ":"
        if _inline(value):
            return [f"{head} {_scalar(value)}"]
        child = column + 2 if isinstance(value, dict) else self._list_column(column)
        return [head, *self._block(value, child)]

    def _item(self, value: Any, column: int) -> list[str]:
        if _inline(value):
            return [" " * column + "- " + _scalar(value)]
        if not isinstance(value, dict):
            raise Unsupported  # a list in a list
        lines = self._block(value, column + 2)
        return [" " * column + "- " + lines[0].lstrip(" "), *lines[1:]]

    def _block(self, value: Any, column: int) -> list[str]:
        if isinstance(value, dict):
            return [line for name, child in value.items()
                    for line in self._entry(name, child, column)]
        return [line for child in value for line in self._item(child, column)]

    def _list_column(self, key_column: int) -> int:
        return key_column + 2 if self.wide else key_column

    # -- positions ------------------------------------------------------------------------

    def _insert_after(self, position: int, lines: list[str]) -> None:
        at = self._line_end(position)
        block = "".join(line + "\n" for line in lines)
        if at == len(self.text) and not self.text.endswith("\n"):
            block = "\n" + block.removesuffix("\n")
        self.edits.append((at, at, block))

    def _line_end(self, position: int) -> int:
        """Where the line holding the end of a value ends (after its break, comment included).

        A block scalar's end lies in the indentation of a later line: its own last line
        has ended before that line starts."""
        start = self.text.rfind("\n", 0, position) + 1
        if not self.text[start:position].strip(" \t"):
            return start
        newline = self.text.find("\n", position)
        return len(self.text) if newline < 0 else newline + 1

    def _own_line(self, key: Any) -> int:
        """The start of the key's line, when the key is alone at its start."""
        start = self.text.rfind("\n", 0, key.start_mark.index) + 1
        if self.text[start:key.start_mark.index].strip(" \t"):
            raise Unsupported  # ``- key:`` starts a list item, or a flow context
        return start

    def _item_line(self, item: Any) -> int:
        """The start of the line whose ``- `` introduces ``item``."""
        start = self.text.rfind("\n", 0, item.start_mark.index) + 1
        if not _DASH.fullmatch(self.text[start:item.start_mark.index]):
            raise Unsupported
        return start


def _removed(items: list[Any], old: list[Any], new: list[Any]) -> list[Any]:
    """The nodes of the items removed from ``old`` to leave ``new``, in order."""
    removed, kept = [], 0
    for node, value in zip(items, old, strict=False):
        if kept < len(new) and new[kept] == value:
            kept += 1
        else:
            removed.append(node)
    if kept != len(new) or not new:
        raise Unsupported  # not a removal, or the list becomes empty (written by replace)
    return removed


def _is_block(node: Any, kind: str) -> bool:
    return bool(node.tag == f"tag:yaml.org,2002:{kind}" and node.flow_style is False and node.value)


def _is_plain_scalar(node: Any) -> bool:
    return bool(isinstance(node.value, str) and node.style is None
                and node.end_mark.index > node.start_mark.index)


def _key(node: Any) -> str:
    if node.tag != _STR or not isinstance(node.value, str):
        raise Unsupported
    return str(node.value)


def _end(node: Any) -> int:
    """Where a node's text ends: a block collection's ends with its last child's."""
    while node.tag in ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq") and not node.flow_style:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    return int(node.end_mark.index)


def _inline(value: Any) -> bool:
    return not isinstance(value, (dict, list)) or not value


def _scalar(value: Any) -> str:
    if value == {} or value == []:
        return "{}" if isinstance(value, dict) else "[]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _plain(value)


def _plain(value: Any) -> str:
    if not isinstance(value, str) or not _PLAIN.fullmatch(value) or yamlio.is_ambiguous(value):
        raise Unsupported
    return value
