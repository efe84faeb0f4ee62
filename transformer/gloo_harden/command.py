"""The harden command's work, after its arguments are parsed: read, harden, report, write.

Kept apart from click (cli.py) because most runs need no parsing at all: Helm, kpt and
kustomize call ``gloo-harden`` with no arguments or only file names, and importing click costs
more than hardening a typical render. ``__main__`` sends exactly those command lines here
directly (``__main__.plain_files``); every other one goes through click, which builds the same
``Request`` (``options.py``: every choice, and the one place that turns choices into pipeline
options). An edge module: it reads the inputs and writes the outputs (exits.py keeps the
one-line error promise).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, NoReturn

from gloo_harden import exits, limits, report
from gloo_harden.errors import TransformerError
from gloo_harden.options import Request, resolve

if TYPE_CHECKING:
    from gloo_harden.pipeline import Source
    from gloo_harden.stream import Piece

_SLICE = 1 << 20


def harden(request: Request) -> NoReturn:
    """Harden the request's inputs (stdin without files) and write or check the result."""
    from gloo_harden import pipeline

    limits.activate(request.limits)  # the adapters read them too
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * request.limits.max_depth + 1000))
    for target in filter(None, (request.output, request.results_file)):
        _check_folder(str(target))  # before any work: the error is then the only line
    budget = request.limits.max_input_bytes
    sources: list[Source] = []
    if not request.files or request.plugin_config:  # a ResourceList means KRM function mode
        from gloo_harden.adapters import dispatch

        sources = list(_read_all(request.files or ("-",), budget))
        try:  # the adapters read their configuration and write stdout themselves
            code = dispatch(sources[0].data, request)
        except BrokenPipeError:
            exits.quiet_broken_pipe()
        if code is not None:
            sys.exit(code)
    _, options = resolve(request)  # every id and patch file is checked here, before any work
    if request.show_diff:  # the diff needs the input again
        sources = sources or list(_read_all(request.files, budget))
        outcome = pipeline.harden(sources, options)
    else:  # read one at a time, each input's bytes let go once it is split
        outcome = pipeline.harden(_handed_over(sources) if sources
                                  else _read_all(request.files, budget), options)
    lines = [*report.text(outcome.results, request.quiet),
             report.summary(outcome.results, len(outcome.changed))]
    sys.stderr.write("".join(line + "\n" for line in lines))
    if request.results_file:
        _write_atomically(request.results_file, report.to_json(outcome.results))
    if request.show_diff:
        label = ", ".join(request.files or ("stdin",))
        _write_stdout(_diff(sources, outcome.text, label))
    elif request.output:
        _write_atomically(request.output, outcome.pieces)
    elif not request.check:
        _write_stdout(outcome.pieces)
    sys.exit(report.exit_code(outcome.results, len(outcome.changed), request.check))


def _read_all(names: tuple[str, ...], budget: int) -> Iterator[Source]:
    """Every input, within one byte budget for all of them together; nothing here holds on to
    an input once it is handed over (``pipeline.read`` lets each one go once it is split)."""
    used = [0]

    def read_one(name: str) -> Source:
        source = _read(name, budget - used[0])
        used[0] += len(source.data)
        return source

    return (read_one(name) for name in names)


def _handed_over(sources: list[Source]) -> Iterator[Source]:
    """Each of ``sources``, removed from the list as it is taken (nothing else keeps it)."""
    while sources:
        yield sources.pop(0)


def _read(name: str, budget: int) -> Source:
    """Read one input, in chunks, refusing it as soon as it is larger than ``budget``."""
    from gloo_harden.pipeline import Source

    if name == "-":
        return Source("stdin", limits.read_limited(sys.stdin.buffer, "stdin", budget))
    try:
        with open(name, "rb") as handle:
            if stat.S_ISREG(os.fstat(handle.fileno()).st_mode) and \
                    os.fstat(handle.fileno()).st_size > budget:
                raise limits.too_large(name)  # refused before reading a byte
            return Source(name, limits.read_limited(handle, name, budget))
    except OSError as exc:
        raise TransformerError(f"{name}: cannot read ({exc.strerror}); expected a readable "
                               "manifest file") from None


def _diff(sources: list[Source], hardened: str, label: str) -> str:
    import difflib

    from gloo_harden import stream

    original = "".join(
        stream.join(stream.split(stream.decode(s.data, s.name), s.name), {}) for s in sources)
    return "".join(difflib.unified_diff(original.splitlines(keepends=True),
                                        hardened.splitlines(keepends=True), label, "hardened"))


def _write_stdout(text: str | list[Piece]) -> None:
    """Write ``text`` piece by piece (a long text in slices): joined, or encoded whole, a big
    stream would be held twice more."""
    try:
        for part in _parts(text):
            sys.stdout.write(part)
        sys.stdout.flush()
    except BrokenPipeError:
        exits.quiet_broken_pipe()


def _parts(text: str | list[Piece]) -> Iterator[str]:
    if isinstance(text, str):
        yield from (text[start:start + _SLICE] for start in range(0, len(text), _SLICE))
    else:
        yield from (part for piece in text for part in piece)  # no joined copy: see pieces


def _check_folder(target: str) -> str:
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise TransformerError(f"{target}: directory {folder} does not exist; expected an "
                               "existing directory")
    return folder


def _write_atomically(target: str, text: str | list[Piece]) -> None:
    """Write via a temporary file in the same directory, then rename over ``target``."""
    import tempfile

    folder = _check_folder(target)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".gloo-harden-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.writelines(_parts(text))
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
