"""``--diff``: one unified diff per input file, in that file's own names and line numbers.

The output is what ``diff -u FILE hardened`` would print for each file, with the file's name on
both header lines, so ``patch -p0 < changes.diff`` (run where gloo-harden ran) applies it to the
files themselves; stdin is named ``stdin``. A file with nothing to change gets no diff. A last
line without a line break is marked ``\\ No newline at end of file``, as GNU diff and patch
expect (``difflib`` alone would glue it to the next line).

Objects a hardening adds (kgateway 2.0/2.1) belong to the file whose documents they follow
(with ``--separate-renders`` their own render's, else the last file's): that file's diff
creates them, exactly as ``-o`` writes them there, and every other file's diff is its own.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

from gloo_harden.yamltext import stream
from gloo_harden.yamltext.stream import Piece

_NO_NEWLINE = "\\ No newline at end of file\n"


def per_file(names_and_texts: Iterable[tuple[str, str]], written: list[Piece],
             added: Collection[int] = frozenset()) -> str:
    """The diff of each input (its name and its text exactly as read, line ends and byte order
    marks included, in reading order) against its part of ``written`` (the hardened stream,
    one piece per document, inputs one after another): its own documents and the added ones
    (positions ``added`` in ``written``) that follow them."""
    out: list[str] = []
    position = 0
    for name, original in names_and_texts:
        documents = stream.split(stream.normalised(original), name, original)
        end = position + len(documents)
        while end in added:  # objects added to this file's render, after its documents
            end += 1
        own = written[position:end]
        position = end
        if own:  # the separator and line break the joiner adds between inputs are not the file's
            first = documents[0]
            own[0] = ("", first.raw[0] if first.raw else first.separator, own[0][2])
        out += _unified(name, original, stream.joined(own))
    return "".join(out)


def _unified(name: str, before: str, after: str) -> Iterator[str]:
    import difflib

    if before == after:
        return
    for line in difflib.unified_diff(_lines(before), _lines(after), name, name):
        yield line
        if not line.endswith("\n"):  # the last line of a side, without a line break
            yield "\n" + _NO_NEWLINE


def _lines(text: str) -> list[str]:
    """``text`` cut after each ``\n`` only, as diff and patch cut it (``str.splitlines`` would
    also cut at U+2028, form feeds and other characters YAML keeps inside a line)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]
