"""The ``emit`` command's work, after click parsed it: decide, report, write or check.

``gloo-harden emit KIND FILE… [-o PATH] [--check]`` reads and hardens as a normal run (the
same ``Request`` and options, the same results on stderr, ``--results``, exit codes) and hands
the decision record to the form ``KIND`` (``emit.FORMS``). Where the artefact goes:

- a folder form (``kustomize``) needs ``-o DIR``; DIR is created, the form's files written
  into it, and files a previous emit wrote there (they start with the stamp) and this one
  does not are removed;
- a one-file form writes to ``-o FILE`` (its folder is created) or to stdout.

``--check`` writes nothing: it computes the artefact again and compares it with the one at
``-o PATH``; exit 1 when they differ, saying whether the render changed under it (the stamp's
input hash) and which files differ. A refusal (an error result, exit 1) writes no artefact.
What the form cannot express is one warning result per item (``resources.results.NOT_EXPRESSIBLE``).
An adapter, beside ``pipe`` (whose reading and writing it uses): the only place emit touches
files and exit codes.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, NoReturn

from gloo_harden.adapters import pipe
from gloo_harden.adapters.evidence import with_evidence
from gloo_harden.errors import EXIT_OK, EXIT_REFUSED, ConfigError
from gloo_harden.outputs import report
from gloo_harden.run.options import Request, resolve
from gloo_harden.yamltext import limits

if TYPE_CHECKING:
    from types import ModuleType

    from gloo_harden.outputs.emit.artefact import Artefact
    from gloo_harden.resources.results import Result
    from gloo_harden.run.pipeline import Options, Source

_MARK = "# gloo-harden "  # the first line of every emitted file (``stamp.Provenance.comment``)


def emit(form_name: str, request: Request) -> NoReturn:
    """Run ``gloo-harden emit FORM`` for ``request`` and exit."""
    from gloo_harden.outputs import emit as forms

    form = forms.form(form_name)
    output = None if request.output == "-" else request.output
    _check_request(form, request, output)
    limits.activate(request.limits)
    if request.results_file and request.results_file != "-":
        pipe._check_folder(request.results_file)
    _, options = resolve(request)
    options = with_evidence(request, options)  # the guards read --evidence as in a normal run
    sources = list(pipe._read_all(request.files, request.limits.max_input_bytes))
    decisions = forms.decide(sources, options)
    artefact = form.emit(decisions)
    names = {source.name for source in sources}  # a result names its file, as a run's do
    file = names.pop() if len(names) == 1 else None
    results = list(decisions.results) + [u.result(form.NAME)._replace(file=file)
                                         for u in artefact.unexpressed]
    refused = any(r.severity.value == "error" for r in results)
    code = EXIT_REFUSED if refused else EXIT_OK
    lines = report.text(results, request.quiet)
    if not request.quiet or code:
        lines.append(report.summary(results, decisions.changed_documents))
    stale: list[str] = []
    if request.check and not refused:
        stale = _stale(form, artefact, str(output), decisions.provenance.input_hash)
        lines += stale
        code = EXIT_REFUSED if stale else code
        if not stale and not request.quiet:
            lines.append(f"gloo-harden: {output}: up to date (input "
                         f"{decisions.provenance.input_hash})")
    sys.stderr.write("".join(line + "\n" for line in lines))
    if request.results_file:
        pipe._write(request.results_file, _results(request, results, sources, options))
    if not refused and not request.check:
        _write(form, artefact, output)
    sys.exit(code)


def _results(request: Request, results: list[Result], sources: list[Source],
             options: Options) -> str:
    """The ``--results`` text in the chosen format, as a normal run writes it."""
    if request.results_format == "sarif":
        from gloo_harden.outputs import sarif

        files = {name: text for name, text in pipe._texts(sources) if name != "stdin"}
        return sarif.log(results, options.hardenings + options.patches, files)
    return report.to_json(results)


def _check_request(form: ModuleType, request: Request, output: str | None) -> None:
    """Combinations that cannot work, refused before any work (one line, exit 2)."""
    if not request.files:
        raise ConfigError(f"emit {form.NAME}: no FILE given; expected the rendered manifests "
                          "as FILE arguments (- reads stdin)")
    if form.DIRECTORY and output is None:
        raise ConfigError(f"emit {form.NAME}: writes a folder; expected -o DIR")
    if request.check and output is None:
        raise ConfigError(f"emit {form.NAME} --check: nothing to compare with; expected -o "
                          "PATH, the artefact emitted before")
    if request.check and not os.path.exists(str(output)):
        raise ConfigError(f"{output}: does not exist; expected the artefact emitted before "
                          f"(gloo-harden emit {form.NAME} FILE… -o {output})")
    if output is not None and form.DIRECTORY and os.path.exists(output) \
            and not os.path.isdir(output):
        raise ConfigError(f"{output}: is not a directory; expected -o DIR for emit {form.NAME}")
    if output is not None and not form.DIRECTORY and os.path.isdir(output):
        raise ConfigError(f"{output}: is a directory; expected -o FILE for emit {form.NAME}")
    if request.results_file == "-" and output is None:
        raise ConfigError("--results -: stdout already carries the artefact; expected "
                          "--results FILE, or -o PATH with --results -")
    if request.show_diff:
        raise ConfigError(f"emit {form.NAME}: --diff is not an emit option; expected "
                          "--check to compare with the artefact emitted before")


def _write(form: ModuleType, artefact: Artefact, output: str | None) -> None:
    if not form.DIRECTORY:
        (_, text), = artefact.files
        if output is None:
            pipe._write_stdout(text)
            return
        os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
        pipe._write(output, text)
        return
    assert output is not None
    os.makedirs(output, exist_ok=True)
    names = {name for name, _ in artefact.files}
    for name in _emitted(output):
        if name not in names:  # an object no longer changed: its old patch goes
            os.unlink(os.path.join(output, name))
    for name, text in artefact.files:
        pipe._write(os.path.join(output, name), text)


def _emitted(folder: str) -> list[str]:
    """Files in ``folder`` that an emit wrote (they start with the stamp)."""
    found = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.endswith(".yaml") and os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as handle:
                if handle.readline().startswith(_MARK):
                    found.append(name)
    return found


def _stale(form: ModuleType, artefact: Artefact, output: str, now: str) -> list[str]:
    """Lines saying how the artefact at ``output`` differs from ``artefact``; [] when equal."""
    from gloo_harden.outputs.emit.stamp import stamped_hash

    if form.DIRECTORY:
        present = {name: _read(os.path.join(output, name)) for name in _emitted(output)}
        wanted = dict(artefact.files)
        where = {name: os.path.join(output, name) for name in {*present, *wanted}}
    else:
        present = {"": _read(output)}
        wanted = {"": artefact.files[0][1]}
        where = {"": output}
    differ = sorted(name for name in {*present, *wanted} if present.get(name) != wanted.get(name))
    if not differ:
        return []
    then = next((h for h in map(stamped_hash, present.values()) if h), None)
    content_same = all(_unstamped(present.get(n)) == _unstamped(wanted.get(n)) for n in differ)
    if then != now:
        cause = f"the render changed since it was emitted (input {then or 'unknown'}, now {now})"
    else:
        cause = "the decisions changed (options, patches or gloo-harden itself)"
    if content_same:
        advice = "the emitted changes are the same: re-run emit to refresh the stamp"
    else:
        files = ", ".join(_what(where[n], present.get(n), wanted.get(n)) for n in differ)
        advice = f"the emitted changes differ ({files}): re-run emit and review them"
    return [f"gloo-harden: {output}: out of date: {cause}; {advice}"]


def _what(path: str, present: str | None, wanted: str | None) -> str:
    if present is None:
        return f"{path} missing"
    if wanted is None:
        return f"{path} no longer emitted"
    return path


def _unstamped(text: str | None) -> str | None:
    """``text`` without its stamp (the comment lines and annotations naming the input)."""
    if text is None:
        return None
    from gloo_harden.outputs.emit.stamp import INPUT_ANNOTATION

    return "\n".join(line for line in text.splitlines()
                     if not line.startswith(_MARK) and INPUT_ANNOTATION not in line)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror}); expected the artefact "
                          "emitted before") from None
