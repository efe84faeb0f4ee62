"""Split a manifest stream into documents the way Helm does, and join it back.

Helm's splitter (``(?:^|\\s*\\n)---\\s*``) treats ``---`` at the start of a line as a separator
even when text is glued to it (``---apiVersion: v1``, rendered by Gloo's
``kubeResourceOverride``). We split the same way, but keep every byte: a document that no
hardening touches is written back exactly as it was read: a glued separator stays glued, and
line endings (LF, CRLF, a lone CR) and byte order marks stay as they came. The pipeline works
on a normalised copy (LF line ends, no byte order mark); a document whose bytes differ from it
keeps its exact text in ``Document.raw`` (nothing more is held for the usual LF input), and a
changed document is written back in its own line endings (``restyled``).
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

from gloo_harden.errors import InputError
from gloo_harden.patterns import lazy

_SEPARATOR = re.compile(r"^---(?:[ \t]*(?:#[^\n]*)?(?:\n|$)|[ \t]*(?=[^-\s]))", re.MULTILINE)
_KIND = re.compile(r"^kind:[ \t]*[\"']?([A-Za-z0-9_.-]+)", re.MULTILINE)
_API_VERSION = re.compile(r"^apiVersion:[ \t]*[\"']?([A-Za-z0-9_./-]+)", re.MULTILINE)
_CONTENT_LINE = re.compile(r"^[ \t]*[^#\s]", re.MULTILINE)
#: YAML's printable set (as ruamel's reader checks it), and its ASCII part for a fast pre-check.
_NON_PRINTABLE = "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]"
_PRINTABLE_ASCII = bytes([0x09, 0x0A, 0x0D, *range(0x20, 0x7F)])


class Document:
    """One document of the stream: its exact text, where it came from, and what we parsed."""

    __slots__ = ("index", "source", "separator", "text", "tree", "round_trip", "pristine",
                 "replay", "raw", "line", "column", "added", "beside")

    def __init__(self, index: int, source: str, separator: str, text: str, tree: Any = None,
                 round_trip: bool = True, pristine: Any = None,
                 replay: list[Callable[[Any], None]] | None = None,
                 raw: tuple[str, str] | None = None, line: int = 0, column: int = 0) -> None:
        #: the document's number in its file, counted from 1 (a KRM item's: its position)
        self.index = index
        self.source = source
        self.separator = separator
        self.text = text
        self.tree = tree
        #: False while ``tree`` is plain data read by the C parser (``yamlio.load_for_reading``)
        self.round_trip = round_trip
        #: a copy of ``tree`` taken before its first change: the writer's "before"
        self.pristine = pristine
        #: the changes made to a plain ``tree``, to make again on a round-trip tree if the
        #: text editor cannot write them (``fidelity.write``)
        self.replay = replay if replay is not None else []
        #: the separator and text exactly as read, when they differ from the normalised ones
        #: (CR line ends, a byte order mark); None for the usual LF input
        self.raw = raw
        #: where ``text`` starts in its file: lines before it, and its column (0 unless the
        #: separator is glued to it), so parse errors name the file's line and column
        self.line = line
        self.column = column
        #: True for an object a hardening added (``additions``): it is in no input file, so
        #: it has no document number or line there; ``source`` is the file it is added to
        self.added = False
        #: for an added object: the document of the object it was added for
        self.beside: Document | None = None

    def __repr__(self) -> str:
        return f"Document({self.where}, separator={self.separator!r}, text={self.text[:40]!r}…)"

    @property
    def where(self) -> str:
        return f"{self.source}[doc {self.index}]"

    @property
    def origin(self) -> tuple[int, int]:
        """(line, column) where ``text`` starts in its file, both counted from 0."""
        return self.line, self.column

    @property
    def first_line(self) -> int:
        """The line of the file (from 1) where the content starts: after leading comments
        (``# Source: …``) and blank lines."""
        match = _CONTENT_LINE.search(self.text)
        return self.line + 1 + (self.text.count("\n", 0, match.start()) if match else 0)

    @property
    def is_blank(self) -> bool:
        """Empty or comment-only: nothing to parse, always passed through."""
        return blank(self.text, 0, len(self.text))

    def sniff_kind(self) -> str | None:
        """The top-level ``kind`` read without parsing, or None when it is not at column 0."""
        match = _KIND.search(self.text)
        return match.group(1) if match else None

    def sniff_api_version(self) -> str | None:
        match = _API_VERSION.search(self.text)
        return match.group(1) if match else None


def decode(data: bytes, source: str) -> str:
    """Bytes to the normalised text the pipeline works on (``normalised(decode_exact(…))``)."""
    return normalised(decode_exact(data, source))


def decode_exact(data: bytes, source: str) -> str:
    """Bytes to text exactly as they are (line ends and byte order marks kept); only UTF-8
    YAML text is accepted: binary input is refused."""
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise InputError(f"{source}: NUL byte at offset {offset}; expected a YAML text stream")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: byte 0x{data[exc.start]:02x} at offset {exc.start} is not UTF-8; "
            "expected a UTF-8 YAML text stream"
        ) from None
    if data.translate(None, _PRINTABLE_ASCII):  # fast path: plain ASCII text has nothing left
        _refuse_control_characters(text, source)
    return text


def normalised(text: str) -> str:
    """LF line ends and no byte order mark at the start of a line; ``text`` itself (no copy)
    when it has neither.

    A lone CR is a line break to YAML readers too; left as it is, the splitter and the parser
    would disagree on where lines end (found by fuzzing: a second run differed). A byte order
    mark may start any document of a YAML 1.2 stream (files joined with ``cat``), and libyaml,
    which kubectl and Helm read with, skips one at the start of any line.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\ufeff" in text:
        text = text.removeprefix("\ufeff").replace("\n\ufeff", "\n")
    return text


@functools.lru_cache(maxsize=1)
def _non_printable() -> re.Pattern[str]:
    return re.compile(_NON_PRINTABLE)  # 5 ms to compile: only for input that is not ASCII


def _refuse_control_characters(text: str, source: str) -> None:
    """Refuse what no YAML reader accepts (ruamel and kubectl alike), in every document.

    Checked on the whole stream, so it also covers documents that are copied through unparsed.
    """
    match = _non_printable().search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        raise InputError(f"{source}: line {line}, column {column}: control character "
                         f"U+{ord(match.group()):04X} is not allowed in YAML; expected a "
                         "YAML text stream")


def split(text: str, source: str, exact: str | None = None) -> list[Document]:
    """Split ``text`` (normalised) into documents, numbered from 1, keeping separators and
    comment-only documents; ``exact`` is the text as read, when it differs (``normalised``)."""
    documents: list[Document] = []
    line, counted = 0, 0
    to_exact = _Offsets(exact) if exact is not None and exact != text else None
    for i, (separator, start, end) in enumerate(_pieces(text)):
        line += text.count("\n", counted, start)
        counted = start
        column = start - (text.rfind("\n", 0, start) + 1)
        document = Document(i + 1, source, separator, text[start:end], line=line, column=column)
        if to_exact is not None:
            assert exact is not None
            head, middle, tail = (to_exact(start - len(separator)) if i else 0,
                                  to_exact(start), to_exact(end))
            raw = exact[head:middle], exact[middle:tail]
            if raw != (separator, document.text):
                document.raw = raw
        documents.append(document)
    return documents


def inner_byte_order_marks(documents: list[Document]) -> Iterator[tuple[Document, int]]:
    """Each byte order mark that starts a line other than its file's first (files joined
    with ``cat``), as its document and its line in the file (from 1). ``normalised`` reads
    them as libyaml does; they are kept in the output."""
    for doc in documents:
        if doc.raw is None:
            continue
        exact = doc.raw[0] + doc.raw[1]
        for match in _LINE_START_BOM.finditer(exact):
            if match.start() == 0 and doc.index == 1:
                continue  # the file's own byte order mark
            before = normalised(exact[:match.start()] + "x")[:-1]  # whole lines, counted as read
            yield doc, doc.line - doc.separator.count("\n") + before.count("\n") + 1


_LINE_START_BOM = lazy(r"(?:^|(?<=[\r\n]))\ufeff")


class _Offsets:
    """Maps an offset in ``normalised(exact)`` to the offset of the same character in
    ``exact``: every character ``normalised`` removed (the CR of a CRLF, a byte order mark)
    before it is counted back in."""

    def __init__(self, exact: str) -> None:
        self.removed: list[int] = []  # normalised offsets where a character was removed
        for skip, match in enumerate(re.finditer(r"\r\n|" + _LINE_START_BOM.pattern, exact)):
            self.removed.append(match.start() - skip)

    def __call__(self, offset: int) -> int:
        return offset + bisect.bisect_left(self.removed, offset)


def restyled(document: Document, text: str) -> str:
    """A changed document's ``text`` (LF) in the document's own line endings: each line the
    change left alone exactly as read, each new or changed line with the document's most
    common line end."""
    if document.raw is None:
        return text
    from difflib import SequenceMatcher  # only for CRLF or CR input

    exact = _LINE.findall(document.raw[1])
    ends = [line[len(line.rstrip("\r\n")):] for line in exact]
    style = max(("\r\n", "\n", "\r"), key=ends.count)
    old, new = _LF_LINE.findall(document.text), _LF_LINE.findall(text)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            out += exact[i1:i2]
        else:
            out += [line[:-1] + style if line.endswith("\n") else line for line in new[j1:j2]]
    return "".join(out)


_LINE = lazy(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
#: lines of a normalised text: cut at LF only (``str.splitlines`` also cuts at form feeds,
#: U+2028 and others, which YAML keeps inside a line)
_LF_LINE = lazy(r"[^\n]*\n|[^\n]+$")


def blank(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` (a document's text) is empty or comments only.

    Its first line is looked at on its own: after a glued separator (``---kind: X``) it does
    not start a line of ``text``, where ``^`` would match."""
    newline = text.find("\n", start, end)
    first_end = end if newline < 0 else newline
    if _CONTENT_LINE.match(text[start:first_end]):
        return False
    return newline < 0 or _CONTENT_LINE.search(text, newline + 1, end) is None


def spans(text: str) -> list[tuple[int, int]]:
    """Where ``split`` finds each document's text, without copying it."""
    return [(start, end) for _, start, end in _pieces(text)]


def _pieces(text: str) -> Iterator[tuple[str, int, int]]:
    """Each document as (its separator, the start and end of its text)."""
    if not text.startswith("---") and "\n---" not in text:  # one document: what kpt sends
        if text:
            yield "", 0, len(text)
        return
    position = 0
    separator = ""
    for match in _separators(text):
        if match.start() > position or separator or position > 0:
            yield separator, position, match.start()
        separator = match.group(0)  # glued to content (``---apiVersion``): kept glued
        position = match.end()
    if position < len(text) or separator:
        yield separator, position, len(text)


def _separators(text: str) -> Iterator[re.Match[str]]:
    """``_SEPARATOR.finditer(text)``, tried only where a line starts with ``---`` (found with
    ``str.find``): tried at every character, as ``re`` does with a pattern anchored at line
    starts, it cost ~80 instructions a byte of every stream."""
    at = 0 if text.startswith("---") else _dashes_after(text, 0)
    while at >= 0:
        match = _SEPARATOR.match(text, at)  # ^ holds: at is 0 or follows a newline
        if match is not None:
            yield match
        at = _dashes_after(text, at if match is None else match.end() - 1)


def _dashes_after(text: str, start: int) -> int:
    """The start of the next line that begins with ``---`` and whose newline is at ``start``
    or after it; -1 when there is none."""
    found = text.find("\n---", start)
    return found + 1 if found >= 0 else -1


Piece = tuple[str, str, str]  # what ends the line before, the separator, the document's text


def pieces(documents: list[Document], texts: dict[int, str]) -> list[Piece]:
    """The stream as written, one piece per document, without copying any text: changed
    documents from ``texts`` (by position), the rest as read."""
    out: list[Piece] = []
    previous = ""  # the last non-empty string written
    for position, doc in enumerate(documents):
        if doc.raw is None:
            separator, body = doc.separator, texts.get(position, doc.text)
        else:
            separator, body = doc.raw[0], doc.raw[1]
            if position in texts:
                body = restyled(doc, texts[position])
        lead = "\n" if previous and not previous.endswith(("\n", "\r")) else ""
        # A later file's first document has no separator; without one it would run into the
        # previous file's last document and both would become one mapping.
        separator = separator or ("---\n" if previous else "")
        out.append((lead, separator, body))
        previous = body or separator or lead or previous
    return out


def joined(written: list[Piece]) -> str:
    """``pieces`` as one text."""
    return "".join(part for piece in written for part in piece)


def join(documents: list[Document], texts: dict[int, str]) -> str:
    """Write the stream back as one text."""
    return joined(pieces(documents, texts))
