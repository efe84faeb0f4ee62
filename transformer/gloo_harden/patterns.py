"""Regular expressions compiled when a run first uses them, not when their module is imported.

Every module-level ``re.compile`` is paid by every run that imports its module, whether or not
the run ever matches it: the 31 patterns of a plain run's modules were 25M of the 295M
instructions of a corpus render (callgrind), and that render used six of them. ``lazy``
takes ``re.compile``'s arguments and answers the methods gloo-harden calls on a pattern; one
that every run uses (the stream splitter's) stays an ``re.compile``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

_END = sys.maxsize  # what re takes for "to the end"


class Lazy:
    """``re.compile(pattern, flags)``, compiled at its first use."""

    __slots__ = ("pattern", "flags", "_compiled")

    def __init__(self, pattern: str, flags: int | re.RegexFlag = 0) -> None:
        self.pattern, self.flags = pattern, flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self.flags)
        return self._compiled

    def match(self, text: str, pos: int = 0, endpos: int = _END) -> re.Match[str] | None:
        return self.compiled.match(text, pos, endpos)

    def fullmatch(self, text: str, pos: int = 0,
                  endpos: int = _END) -> re.Match[str] | None:
        return self.compiled.fullmatch(text, pos, endpos)

    def search(self, text: str, pos: int = 0, endpos: int = _END) -> re.Match[str] | None:
        return self.compiled.search(text, pos, endpos)

    def finditer(self, text: str, pos: int = 0,
                 endpos: int = _END) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(text, pos, endpos)

    def findall(self, text: str, pos: int = 0, endpos: int = _END) -> list[Any]:
        return self.compiled.findall(text, pos, endpos)

    def sub(self, replacement: str | Callable[[re.Match[str]], str], text: str,
            count: int = 0) -> str:
        return self.compiled.sub(replacement, text, count)


def lazy(pattern: str, flags: int | re.RegexFlag = 0) -> Lazy:
    """A pattern compiled on first use: ``re.compile``'s arguments, its methods."""
    return Lazy(pattern, flags)


def line_matches(pattern: re.Pattern[str] | Lazy, text: str, needle: str
                 ) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a pattern that matches within one line, from its start
    (``^`` under ``re.MULTILINE``, or ``[ \\t]*`` after it) to at most its end, and only on a
    line containing ``needle``: tried on those lines alone, found with ``str.find``.

    A search for a line-anchored pattern has no literal to look for, so ``re`` tries it at
    every character: ~80 instructions a byte, paid for every document of a stream.
    """
    at = text.find(needle)
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        match = pattern.match(text, start, end)  # ^ holds at start, $ at end, as in the text
        if match is not None:
            yield match
        at = text.find(needle, end)
