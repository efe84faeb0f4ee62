"""The command line: ``gloo-harden [FILE…|-]``, ``gloo-harden list``, ``gloo-harden explain ID``.

The only module (with ``adapters/``) that touches argv, stdin, stdout and exit codes.
"""

from __future__ import annotations

import difflib
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from gloo_harden import __version__, limits, report
from gloo_harden.errors import TransformerError

if TYPE_CHECKING:
    from gloo_harden.pipeline import Options, Source

EPILOG = """\b
Examples:
  helm template gloo gloo/gloo -n gloo-system | gloo-harden > hardened.yaml
  gloo-harden rendered.yaml -o hardened.yaml --results results.json
  gloo-harden --check --strict rendered/*.yaml      # CI gate: exit 1 if work is left
  gloo-harden --diff rendered.yaml                  # review what would change
  gloo-harden --disable disable-kubernetes-destinations rendered.yaml
  gloo-harden list                                  # the hardenings, in order
  gloo-harden explain drop-net-bind-service

\b
Exit codes: 0 done (warnings allowed), 1 refused under --strict or --check found work,
2 unusable input or arguments, 3 internal error.
"""


def _size(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    try:
        return limits.parse_size(str(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the hardened stream to FILE (atomically) instead of stdout.")
@click.option("--enable", "enable", multiple=True, metavar="ID",
              help="Run only this hardening (repeatable).")
@click.option("--disable", "disable", multiple=True, metavar="ID",
              help="Do not run this hardening (repeatable).")
@click.option("--check", is_flag=True, help="Print nothing; exit 1 if anything would change.")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff of the changes.")
@click.option("--strict", is_flag=True, help="A hardening kept back by a guard is an error.")
@click.option("--sidecars", is_flag=True,
              help="Also harden sidecar containers of proxy pods (sds, istio-proxy, …).")
@click.option("--results", "results_file", type=click.Path(dir_okay=False, writable=True),
              help="Write every result as JSON to FILE.")
@click.option("-q", "--quiet", is_flag=True, help="Show only warnings and errors on stderr.")
@click.option("--kustomize-plugin-config", "plugin_config", metavar="FILE",
              type=click.Path(dir_okay=False),
              help="Run as a kustomize legacy exec plugin configured by FILE (see kustomize-plugin/).")
@click.option("--validate-all", is_flag=True,
              help="Parse every document, not only those a hardening reads, so YAML errors "
                   "anywhere in the stream are reported (slower).")
@click.option("--max-input-bytes", default="256MiB", show_default=True, metavar="SIZE",
              callback=_size, help="Refuse more input than this, all files together (e.g. 1GiB).")
@click.option("--max-documents", default=limits.DEFAULT.max_documents, show_default=True,
              type=click.IntRange(1), help="Refuse a stream with more documents.")
@click.option("--max-depth", default=limits.DEFAULT.max_depth, show_default=True,
              type=click.IntRange(1, 5000), help="Refuse a parsed document nested deeper.")
@click.option("--max-aliases", default=limits.DEFAULT.max_aliases, show_default=True,
              type=click.IntRange(0),
              help="Refuse a parsed document whose YAML aliases expand to more extra nodes.")
@click.option("--patches", "patch_dirs", multiple=True, metavar="DIR",
              help="Apply every *.yaml Hardening patch in DIR after the built-ins, in file-name "
                   "order (repeatable).")
@click.option("--profile", "profile_names", multiple=True, metavar="NAME",
              help="Apply an opt-in profile after the built-ins, e.g. restricted (Pod Security "
                   "Standards restricted for every Gloo pod). See `gloo-harden list`.")
@click.option("--fail-on-unmatched", is_flag=True,
              help="A --patches/--profile patch that matches nothing is an error, not a warning.")
@click.version_option(__version__, "--version", prog_name="gloo-harden")
def harden_command(files: tuple[str, ...], output: str | None, enable: tuple[str, ...],
                   disable: tuple[str, ...], check: bool, show_diff: bool, strict: bool,
                   sidecars: bool, results_file: str | None, quiet: bool,
                   plugin_config: str | None, validate_all: bool, max_input_bytes: int,
                   max_documents: int, max_depth: int, max_aliases: int,
                   patch_dirs: tuple[str, ...] = (), profile_names: tuple[str, ...] = (),
                   fail_on_unmatched: bool = False) -> None:
    """Harden rendered Gloo manifests read from FILES (or stdin) and write them to stdout.

    Drops NET_BIND_SERVICE from proxies, disables their service-account token mount, keeps
    their root filesystem read-only and sets disableKubernetesDestinations in Settings, each
    only where it cannot break the gateway. Results go to stderr.
    """
    from gloo_harden import pipeline

    options = _options(enable, disable, strict, sidecars, validate_all, fail_on_unmatched,
                       limits.Limits(max_input_bytes, max_documents, max_aliases, max_depth),
                       patch_dirs, profile_names)
    for target in filter(None, (output, results_file)):
        _check_folder(str(target))  # before any work: the error is then the only line
    sources = _read_all(files or ("-",), max_input_bytes)
    if not files or plugin_config:  # stdin read once: a ResourceList means KRM function mode
        from gloo_harden.adapters import dispatch

        try:  # the adapters write stdout themselves; click would make a broken pipe exit 1
            code = dispatch(sources[0].data, plugin_config, options, enable, disable, strict,
                            sidecars, check)
        except BrokenPipeError:
            _quiet_broken_pipe()
        if code is not None:
            sys.exit(code)
    outcome = pipeline.harden(sources, options)
    for line in report.text(outcome.results, quiet):
        click.echo(line, err=True)
    click.echo(report.summary(outcome.results, len(outcome.changed)), err=True)
    if results_file:
        _write_atomically(results_file, report.to_json(outcome.results))
    if show_diff:
        click.echo(_diff(sources, outcome.text, ", ".join(files or ("stdin",))), nl=False)
    elif output:
        _write_atomically(output, outcome.text)
    elif not check:
        try:  # here, not in main(): click turns a broken pipe into a bare exit 1 of its own
            sys.stdout.write(outcome.text)
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_broken_pipe()
    sys.exit(report.exit_code(outcome.results, len(outcome.changed), check))


def _options(enable: tuple[str, ...], disable: tuple[str, ...], strict: bool, sidecars: bool,
             validate_all: bool, fail_on_unmatched: bool, run_limits: limits.Limits,
             patch_dirs: tuple[str, ...], profile_names: tuple[str, ...]) -> Options:
    """The pipeline options of this run; every id and patch file is checked here, first."""
    from gloo_harden import hardenings, pipeline
    from gloo_harden.scopes import ScopeOptions

    limits.activate(run_limits)  # the adapters read them too
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * run_limits.max_depth + 1000))
    patches = hardenings.user_patches(patch_dirs, profile_names)  # --enable/--disable know them
    return pipeline.Options(hardenings.select(enable, disable, patches), strict,
                            ScopeOptions(sidecars=sidecars), run_limits, validate_all,
                            patches=hardenings.chosen_patches(patches, enable, disable),
                            fail_on_unmatched=fail_on_unmatched)


def _read_all(names: tuple[str, ...], budget: int) -> list[Source]:
    """Every input, within one byte budget for all of them together."""
    sources: list[Source] = []
    for name in names:
        sources.append(_read(name, budget - sum(len(s.data) for s in sources)))
    return sources


def _diff(sources: list[Source], hardened: str, label: str) -> str:
    original = "".join(_decoded(s) for s in sources)
    return "".join(difflib.unified_diff(original.splitlines(keepends=True),
                                        hardened.splitlines(keepends=True), label, "hardened"))


@click.command("list")
def list_command() -> None:
    """List the hardenings in the order they run."""
    from gloo_harden import hardenings

    for item in hardenings.builtin():
        click.echo(f"{item.id:34} {item.summary}")
    for name in hardenings.profiles():  # opt-in sets of patches
        click.echo(f"\nprofile {name} (opt-in: --profile {name})")
        for item in hardenings.profile(name):
            click.echo(f"  {item.id:38} {item.summary}")


@click.command("explain")
@click.argument("hardening_id", metavar="ID")
def explain_command(hardening_id: str) -> None:
    """Print what a hardening does, why, and when it is skipped."""
    from gloo_harden import hardenings

    if hardening_id in hardenings.profiles():
        click.echo(hardenings.describe_profile(hardening_id))
        return
    item = hardenings.find(hardening_id)
    click.echo(f"{item.id}: {item.summary}\n")
    click.echo(item.description)
    click.echo(f"\nscope: {', '.join(item.scopes)}")
    click.echo(f"guards: {', '.join(item.guards) or 'none'}")
    click.echo(f"patch file: {Path(item.source).name}")


SUBCOMMANDS = {"list": list_command, "explain": explain_command}


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point of the ``gloo-harden`` script."""
    args = sys.argv[1:] if argv is None else argv
    command = SUBCOMMANDS.get(args[0]) if args else None
    try:
        if command is not None:
            command.main(args[1:], prog_name=f"gloo-harden {args[0]}", standalone_mode=False)
            sys.exit(0)
        harden_command.main(args, prog_name="gloo-harden", standalone_mode=False)
    except TransformerError as exc:
        _fail(str(exc), exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        _fail(exc.format_message(), report.EXIT_UNUSABLE)
    except BrokenPipeError:
        _quiet_broken_pipe()
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as exc:  # a bug: still one line and no partial output
        _crash(exc)
    sys.exit(0)


def _crash(exc: Exception) -> NoReturn:
    """Keep the traceback for the bug report in a file, not on the user's terminal."""
    import traceback

    from gloo_harden.errors import InvariantError

    handle, path = tempfile.mkstemp(prefix="gloo-harden-crash-", suffix=".txt")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write("".join(traceback.format_exception(exc)))
    message = str(InvariantError(f"{type(exc).__name__}: {exc} (traceback in {path})"))
    _fail(message, report.EXIT_INTERNAL)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"gloo-harden: {message}", err=True)
    sys.exit(code)


def _quiet_broken_pipe() -> NoReturn:
    """The reader went away (``| head``): nothing more to say, and nothing to flush."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    _fail("stdout closed before the output was written", report.EXIT_UNUSABLE)


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


def _decoded(source: Source) -> str:
    from gloo_harden import stream

    return stream.join(stream.split(stream.decode(source.data, source.name), source.name), {})


def _check_folder(target: str) -> str:
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise TransformerError(f"{target}: directory {folder} does not exist; expected an "
                               "existing directory")
    return folder


def _write_atomically(target: str, text: str) -> None:
    """Write via a temporary file in the same directory, then rename over ``target``."""
    folder = _check_folder(target)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".gloo-harden-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
