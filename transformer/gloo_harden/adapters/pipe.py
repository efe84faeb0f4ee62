"""Pipe mode, the harden command's work after its arguments are parsed: read, harden, report,
write. Files or stdin in; stdout, ``-o FILE``, ``--diff`` or ``--results FILE`` out. A
ResourceList or a kustomize plugin config is handed to the other adapters (``dispatch``).

Kept apart from click (cli.py) because most runs need no parsing at all: Helm, kpt and
kustomize call ``gloo-harden`` with no arguments or only file names, and importing click costs
more than hardening a typical render. ``__main__`` sends exactly those command lines here
directly (``__main__.plain_files``); every other one goes through click, which builds the same
``Request`` (``run/options.py``: every choice, and the one place that turns choices into
pipeline options). An edge module: it reads the inputs and writes the outputs
(``outputs/exits.py`` keeps the one-line error promise).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, NoReturn

from gloo_harden.errors import ConfigError, TransformerError
from gloo_harden.outputs import exits, report
from gloo_harden.run.options import Request, resolve
from gloo_harden.yamltext import limits

if TYPE_CHECKING:
    from gloo_harden.run.pipeline import Options, Outcome, Source
    from gloo_harden.yamltext.stream import Piece

_SLICE = 1 << 20


def harden(request: Request) -> NoReturn:
    """Harden the request's inputs (stdin without files) and write or check the result.

    Where things go, one rule: ``-o FILE`` always receives the hardened stream; stdout carries
    the stream when there is no ``-o FILE``, the diff under ``--diff`` and nothing under
    ``--check``; ``--results FILE`` receives every result. ``-`` names stdout. A refusal (an
    ``error`` result, exit 1) writes no stream and no diff anywhere, only the results.
    """
    from gloo_harden.run import pipeline

    request = _checked(request)
    limits.activate(request.limits)  # the adapters read them too
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * request.limits.max_depth + 1000))
    for target in filter(None, (request.output, request.results_file)):
        if target != "-":
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
    if sources and not request.files:  # stdin: a Helm 3 post-renderer leaves hooks out
        from gloo_harden.gloo import clients

        options = options._replace(client=clients.detect(sources[0].data[:1 << 16]))
    if request.show_diff or request.results_format == "sarif":  # they need the input again
        sources = sources or list(_read_all(request.files, budget))
        outcome = pipeline.harden(sources, options)
    else:  # read one at a time, each input's bytes let go once it is split
        outcome = pipeline.harden(_handed_over(sources) if sources
                                  else _read_all(request.files, budget), options)
    code = report.exit_code(outcome.results, len(outcome.changed), request.check)
    lines = report.text(outcome.results, request.quiet)
    if not request.quiet or code:  # --quiet: the summaries only to say why the run failed
        if options.separate_renders and len(request.files) > 1:
            lines += report.summaries_by_file(outcome.results)
        lines.append(report.summary(outcome.results, len(outcome.changed)))
    sys.stderr.write("".join(line + "\n" for line in lines))
    if request.results_file:
        _write(request.results_file, _results(request, outcome, sources, options))
    if not outcome.refused:
        if request.output:
            _write(request.output, outcome.pieces)
        if request.show_diff:
            from gloo_harden.outputs import diffs

            _write_stdout(diffs.per_file(_texts(sources), outcome.pieces, outcome.added))
        elif not request.output and not request.check:
            _write_stdout(outcome.pieces)
    sys.exit(code)


def _checked(request: Request) -> Request:
    """``request`` with ``-`` (stdout) as no ``-o``; combinations that cannot work refused.

    A terminal on stdin with no FILE would wait without a word: refused, unless ``-`` asks for
    it (then a line says how to end the input).
    """
    output = None if request.output == "-" else request.output
    if request.results_file == "-" and (request.show_diff or not (output or request.check)):
        what = "the diff" if request.show_diff else "the hardened stream"
        raise ConfigError(f"--results -: stdout already carries {what}; expected --results "
                          "FILE, or -o FILE or --check with --results -")
    if not request.files and _terminal(sys.stdin):
        raise ConfigError("stdin: is a terminal and no FILE is given; expected manifests on "
                          "stdin (helm template ... | gloo-harden) or FILE arguments (- reads "
                          "the terminal)")
    if "-" in request.files and _terminal(sys.stdin):
        sys.stderr.write("gloo-harden: reading manifests from the terminal; end them with "
                         "Ctrl-D\n")
    return request._replace(output=output)


def _terminal(handle: object) -> bool:
    try:
        return bool(handle is not None and handle.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def _texts(sources: list[Source]) -> Iterator[tuple[str, str]]:
    from gloo_harden.yamltext import stream

    return ((source.name, stream.decode_exact(source.data, source.name)) for source in sources)


def _results(request: Request, outcome: Outcome, sources: list[Source],
             options: Options) -> str:
    """The ``--results`` text in the chosen format."""
    if request.results_format == "sarif":
        from gloo_harden.outputs import sarif

        files = {name: text for name, text in _texts(sources) if name != "stdin"}
        return sarif.log(outcome.results, options.hardenings + options.patches, files)
    return report.to_json(outcome.results)


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
    from gloo_harden.run.pipeline import Source

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


def _write(target: str, text: str | list[Piece]) -> None:
    """Write ``text`` to stdout (``-``) or atomically to the file ``target``."""
    if target == "-":
        _write_stdout(text)
    else:
        _write_atomically(target, text)


def _write_atomically(target: str, text: str | list[Piece]) -> None:
    """Write via a temporary file in the same directory, then rename over ``target``.

    The file gets ``target``'s mode when it exists, else what the umask gives a new file
    (``mkstemp`` alone would make every output 0600, unreadable to a later CI or container
    step running as another user).
    """
    import tempfile

    folder = _check_folder(target)
    mode = _mode_for(target)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".gloo-harden-")
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.writelines(_parts(text))
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def _mode_for(target: str) -> int:
    """The permission bits ``target`` has, or a new file's under the current umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0o022)  # read it: the only way is to set it, at once put back
        os.umask(umask)
        return 0o666 & ~umask
