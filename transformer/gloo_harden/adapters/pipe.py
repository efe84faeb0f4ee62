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

from gloo_harden.adapters import targets
from gloo_harden.adapters.evidence import with_evidence
from gloo_harden.errors import ConfigError, TransformerError
from gloo_harden.outputs import exits, report
from gloo_harden.run.options import Request, resolve
from gloo_harden.yamltext import limits

if TYPE_CHECKING:
    from gloo_harden.patching.hardening import Hardening
    from gloo_harden.resources.results import Result
    from gloo_harden.run.pipeline import Source
    from gloo_harden.yamltext.stream import Piece

_SLICE = 1 << 20


def harden(request: Request) -> NoReturn:
    """Harden the request's inputs (stdin without files) and write or check the result.

    Where things go, one rule: ``-o FILE`` always receives the hardened stream; stdout carries
    the stream when there is no ``-o FILE``, the diff under ``--diff`` and nothing under
    ``--check``; ``--results FILE`` receives every result. ``-`` names stdout, and so does a
    path that leads to it (``/dev/stdout``). A refusal (an ``error`` result, exit 1) writes no
    stream and no diff anywhere, only the results. ``--results FILE`` describes this run also
    when it fails (exit 2, 3 or 130): the error is its last result (``ResultsFile``).
    """
    from gloo_harden.run import pipeline

    results_file = keep_results(request.results_file, request.results_format)
    request, output = _checked(request)
    limits.activate(request.limits)  # the adapters read them too
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * request.limits.max_depth + 1000))
    budget = request.limits.max_input_bytes
    sources: list[Source] = []
    if not request.files or request.plugin_config:  # a ResourceList means KRM function mode
        from gloo_harden.adapters import dispatch

        sources = list(_read_all(request.files or ("-",), budget))
        try:  # the adapters read their configuration and write stdout themselves
            code = dispatch(sources[0].data, request)
        except BrokenPipeError:
            exits.quiet_broken_pipe()
        except OSError as exc:
            exits.stdout_failed(exc)
        if code is not None:
            sys.exit(code)
    _, options = resolve(request)  # every id and patch file is checked here, before any work
    options = with_evidence(request, options)
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
    if results_file is not None:
        results_file.found(outcome.results, options.hardenings + options.patches,
                           dict(_texts(sources)) if request.results_format == "sarif" else {})
        results_file.write()
    if not outcome.refused:
        if output is not None:
            targets.write(output, _parts(outcome.pieces))
        if request.show_diff:
            from gloo_harden.outputs import diffs

            _write_stdout(diffs.per_file(_texts(sources), outcome.pieces, outcome.added))
        elif output is None and not request.check:
            _write_stdout(outcome.pieces)
    sys.exit(code)


class ResultsFile:
    """``--results``: the results of this run in the chosen format, written when the run has
    them, and written again when the run fails after all (exit 2, 3, 130; ``exits.fail``):
    what it found so far, then the error as an ``error`` result (SARIF: a failed invocation).
    A file from an earlier run is thus never left to be read as this one's (Helm 4 drops a
    plugin's stderr: the results file is all its user sees). On stdout (``-``) only the
    results of a run that ends as a run: a failure keeps stdout empty."""

    def __init__(self, target: targets.Target, results_format: str) -> None:
        self.target = target
        self.format = results_format
        self.results: list[Result] = []
        self.hardenings: tuple[Hardening, ...] = ()
        self.texts: dict[str, str] = {}
        exits.on_failure(self._failed)

    def found(self, results: list[Result], hardenings: tuple[Hardening, ...],
              texts: dict[str, str]) -> None:
        self.results, self.hardenings, self.texts = results, hardenings, texts

    def write(self, failure: tuple[str, int] | None = None) -> None:
        """Write the results; with ``failure`` (message, exit code) the run failed after all,
        and a FIFO with no reader is not waited for."""
        if self.format == "sarif":
            from gloo_harden.outputs import sarif

            files = {name: text for name, text in self.texts.items() if name != "stdin"}
            text = sarif.log(self.results, self.hardenings, files, failure)
        else:
            from gloo_harden.resources.results import Result, Severity

            failed = [Result(Severity.ERROR, failure[0])] if failure else []
            text = report.to_json(self.results + failed)
        if self.target.is_stdout:
            _write_stdout(text)
        else:
            targets.write(self.target, _parts(text), wait=failure is None)

    def _failed(self, message: str, code: int) -> None:
        if not self.target.is_stdout:
            self.write((message, code))


def keep_results(given: str | None, results_format: str) -> ResultsFile | None:
    """The ``--results`` target, resolved before any work (an unusable path is then the run's
    only line), which from now on describes this run whatever happens."""
    if not given:
        return None
    return ResultsFile(targets.resolve(given), results_format)


def _checked(request: Request) -> tuple[Request, targets.Target | None]:
    """``request`` and the ``-o`` target (None: stdout, which ``-`` and ``/dev/stdout`` name);
    combinations that cannot work refused.

    A terminal on stdin with no FILE would wait without a word: refused, unless ``-`` asks for
    it (then a line says how to end the input).
    """
    output = None if request.output is None else targets.resolve(request.output)
    if output is not None and output.is_stdout:
        output = None
    results = None if request.results_file is None else targets.resolve(request.results_file)
    if results is not None and results.is_stdout and (
            request.show_diff or not (output or request.check)):
        what = "the diff" if request.show_diff else "the hardened stream"
        raise ConfigError(f"--results {request.results_file}: stdout already carries {what}; "
                          "expected --results FILE, or -o FILE or --check with --results -")
    if not request.files and _terminal(sys.stdin):
        raise ConfigError("stdin: is a terminal and no FILE is given; expected manifests on "
                          "stdin (helm template ... | gloo-harden) or FILE arguments (- reads "
                          "the terminal)")
    if "-" in request.files and _terminal(sys.stdin):
        sys.stderr.write("gloo-harden: reading manifests from the terminal; end them with "
                         "Ctrl-D\n")
    return request._replace(output=None if output is None else request.output), output


def _terminal(handle: object) -> bool:
    try:
        return bool(handle is not None and handle.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def _texts(sources: list[Source]) -> Iterator[tuple[str, str]]:
    from gloo_harden.yamltext import stream

    return ((source.name, stream.decode_exact(source.data, source.name)) for source in sources)


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
    except OSError as exc:  # a full disk behind stdout (> /dev/full)
        exits.stdout_failed(exc)


def _parts(text: str | list[Piece]) -> Iterator[str]:
    if isinstance(text, str):
        yield from (text[start:start + _SLICE] for start in range(0, len(text), _SLICE))
    else:
        yield from (part for piece in text for part in piece)  # no joined copy: see pieces


def _check_folder(given: str) -> targets.Target:
    """``given`` resolved as ``-o`` and ``--results`` are (``targets.resolve``): before any
    work, so an unusable path is the run's one line."""
    return targets.resolve(given)


def _write(given: str, text: str | list[Piece]) -> None:
    """Write ``text`` to the path ``given`` (``-`` or a path leading to stdout: stdout) the way
    ``targets`` writes: never damaging what the path names."""
    target = targets.resolve(given)
    if target.is_stdout:
        _write_stdout(text)
    else:
        targets.write(target, _parts(text))
