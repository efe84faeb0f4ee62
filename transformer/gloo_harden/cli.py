"""The command line: ``gloo-harden [FILE…|-]``, ``gloo-harden list``, ``gloo-harden explain ID``.

Options, help and usage errors, by click; the run itself is ``adapters.pipe.harden`` (imported
only to run it: ``--help`` needs none of it). With ``outputs.exits`` and ``adapters/``, the only
modules that touch argv, stdin, stdout and exit codes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from gloo_harden import __version__
from gloo_harden.errors import EXIT_INTERRUPTED, EXIT_UNUSABLE, ConfigError, TransformerError
from gloo_harden.outputs import exits
from gloo_harden.run.builtins import BUILTIN
from gloo_harden.run.options import EMIT_FIELDS, FIELDS, RESULTS_FORMATS, Field, Kind, Request
from gloo_harden.yamltext import limits

EPILOG = """\b
Examples:
  helm template gloo gloo/gloo -n gloo-system | gloo-harden > hardened.yaml
  gloo-harden rendered.yaml -o hardened.yaml --results results.json
  gloo-harden --check --strict rendered/*.yaml      # CI gate: exit 1 if work is left
  gloo-harden --diff rendered.yaml                  # review what would change
  gloo-harden --disable disable-kubernetes-destinations rendered.yaml
  gloo-harden list                                  # the hardenings, in order
  gloo-harden explain drop-net-bind-service
  gloo-harden explain releases                      # by Gloo/kgateway version
  gloo-harden explain evidence                      # what the guards read, how to collect it

-o FILE always receives the hardened stream (also with --check, --diff);
stdout carries it otherwise, or the diff (--diff), or nothing (--check).
A refusal writes no stream at all. - is stdout.

\b
Exit codes: 0 done (warnings allowed), 1 refused (an error result) or --check
found work, 2 unusable input or arguments, 3 internal error.
"""


def _size(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    try:
        return limits.parse_size(str(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def help_width() -> int:
    """The width click gives help by default (the terminal's, at most 80 columns, less 2),
    found without ``shutil``: click imports it for this, and with it bz2 and lzma, a tenth of
    what ``--help`` costs."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0 and sys.__stdout__ is not None:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 80
    return max(min(columns if columns > 0 else 80, 80) - 2, 50)


def table_options(command: Callable[..., None],
                  fields: tuple[Field, ...] = FIELDS) -> Callable[..., None]:
    """``command`` with one click option per ``fields`` row (``options.FIELDS``), in order."""
    kinds: dict[Kind, dict[str, Any]] = {
        Kind.SWITCH: {"is_flag": True},
        Kind.IDS: {"multiple": True}, Kind.FOLDERS: {"multiple": True},
        Kind.PROFILES: {"multiple": True}, Kind.NAMESPACES: {"multiple": True},
        Kind.PATHS: {"multiple": True},
        Kind.INPUT_FILE: {"type": click.Path(dir_okay=False)},
        Kind.OUTPUT_FILE: {"type": click.Path(dir_okay=False, writable=True, allow_dash=True)},
        Kind.OUTPUT_PATH: {"type": click.Path(allow_dash=True)},
        Kind.SIZE: {"type": click.STRING, "callback": _size, "show_default": True},
        Kind.FORMAT: {"type": click.Choice(RESULTS_FORMATS), "show_default": True},
    }
    for field in reversed(fields):
        settings = kinds.get(field.kind, {})
        if field.kind is Kind.COUNT:
            settings = {"type": click.IntRange(*field.bounds), "show_default": True}
        default = Request._field_defaults[field.name]
        if field.kind is Kind.SIZE:  # shown as a size, read back by _size
            default = f"{default // 1024**2}MiB" if default % 1024**2 == 0 else str(default)
        command = click.option(*field.flags, field.name, help=field.help, metavar=field.metavar,
                               default=default, **settings)(command)
    return command


_LISTED = "".join(f"  {hid}\n" for hid in BUILTIN)
HELP = f"""Harden rendered Gloo manifests read from FILES (or stdin) and write them to stdout.

Runs the built-in hardenings in this order, each only where it cannot break the gateway
(gloo-harden list says what each does, gloo-harden explain ID when it is kept back):

\b
{_LISTED}
Results go to stderr.
"""


@click.command(context_settings={"help_option_names": ["-h", "--help"],
                                 "terminal_width": help_width()}, epilog=EPILOG, help=HELP)
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@table_options
@click.version_option(__version__, "--version", prog_name="gloo-harden")
def harden_command(files: tuple[str, ...], **chosen: Any) -> None:
    # the help is HELP: it names the built-ins from their one list
    from gloo_harden.adapters import pipe

    try:
        pipe.harden(Request(files, **chosen))
    except KeyboardInterrupt:  # here, not in click: click would print a blank line first
        exits.fail("interrupted", EXIT_INTERRUPTED)


@click.command("list")
def list_command() -> None:
    """List the hardenings in the order they run, and the releases they cover."""
    from gloo_harden.gloo import releases
    from gloo_harden.run import hardenings

    for item in hardenings.builtin():
        click.echo(f"{item.id:34} {item.summary}")
    for name in hardenings.profiles():  # opt-in sets of patches
        click.echo(f"\nprofile {name} (opt-in: --profile {name})")
        for item in hardenings.profile(name):
            click.echo(f"  {item.id:38} {item.summary}")
    for line in releases.listing():
        click.echo(line)


@click.command("explain")
@click.argument("hardening_id", metavar="ID")
@click.option("--patches", "patch_dirs", multiple=True, metavar="DIR",
              help="Folders of your own Hardening files, whose ids (as results and SARIF "
                   "rules carry them) can then be explained too.")
def explain_command(hardening_id: str, patch_dirs: tuple[str, ...] = ()) -> None:
    """Print what a hardening does, why, and when it is skipped; what a guard looks for, or a
    result's tag means (every id a result or a SARIF rule carries; with --patches DIR, your
    own patches' too); or, for ``releases`` or a release id (``kgateway-2.1``), what is
    hardened in that release and what is left to you."""
    from gloo_harden.gloo import releases
    from gloo_harden.guards import GUARDS
    from gloo_harden.resources.results import TAGS
    from gloo_harden.run import hardenings

    if hardening_id == releases.TOPIC:
        click.echo(releases.describe_all())
        return
    if hardening_id == "evidence":  # outputs.evidence.TOPIC, without importing the guards first
        from gloo_harden.outputs import evidence

        click.echo(evidence.describe())
        return
    release = releases.find(hardening_id)
    if release is not None:
        click.echo(releases.describe(release))
        return
    if hardening_id in hardenings.profiles():
        click.echo(hardenings.describe_profile(hardening_id))
        return
    if hardening_id in GUARDS:
        click.echo(_describe_guard(hardening_id))
        return
    if hardening_id in TAGS:
        click.echo(f"{hardening_id}: {TAGS[hardening_id]}")
        return
    try:
        item = hardenings.find(hardening_id, patch_dirs)
    except ConfigError as exc:
        ids = ", ".join([releases.TOPIC] + [r.id for r in releases.RELEASES])
        raise ConfigError(f"{exc}, or a guard: {', '.join(GUARDS)}, or a result tag: "
                          f"{', '.join(TAGS)}, or a release: {ids}; your own patches' ids "
                          "with --patches DIR") from None
    click.echo(f"{item.id}: {item.summary}")
    if item.description:
        click.echo(f"\n{item.description}")
    click.echo(f"\nscope: {', '.join(item.scopes)}")
    click.echo(f"guards: {', '.join(item.guards) or 'none'}")
    click.echo(f"patch file: {os.path.basename(item.source)}")
    for guard in item.guards:  # the evidence each guard reads, from the guard itself
        click.echo(f"\nguard {guard} keeps the change back on any of:")
        click.echo("\n".join(f"  - {line}" for line in GUARDS[guard].EVIDENCE))
        if GUARDS[guard].KINDS_READ:  # the kinds --evidence can show it (explain evidence)
            kinds = dict.fromkeys(row.what.resource for row in GUARDS[guard].KINDS_READ)
            click.echo("  objects it reads (--evidence; gloo-harden explain evidence): "
                       + ", ".join(kinds))


def _describe_guard(guard_id: str) -> str:
    """What ``explain GUARD`` prints: the guard's own documentation, the hardenings it can
    keep back (built-in and profiles'), and every form of evidence it reads."""
    from gloo_harden.guards import GUARDS
    from gloo_harden.run import hardenings

    module = GUARDS[guard_id]
    doc = (module.__doc__ or guard_id).strip().replace(f"``{guard_id}``: ", "", 1)
    kept = [h.id for h in hardenings.builtin() if guard_id in h.guards]
    kept += [h.id for name in hardenings.profiles() for h in hardenings.profile(name)
             if guard_id in h.guards]
    lines = [f"{guard_id} (a guard): {doc}", "",
             f"keeps back: {', '.join(kept) or 'none of the built-in hardenings'}",
             "", "it keeps a change back on any of:"]
    lines += [f"  - {line}" for line in module.EVIDENCE]
    return "\n".join(lines)


EMIT_EPILOG = """\b
Examples:
  helm template gloo gloo/gloo -n gloo-system > render.yaml
  gloo-harden emit kustomize render.yaml -o hardening/   # a kustomize Component
  gloo-harden emit flux render.yaml -o postrenderers.yaml # HelmRelease postRenderers
  gloo-harden emit values render.yaml -o values-hardening.yaml
  gloo-harden emit policy render.yaml -o policy.yaml     # admission policies
  gloo-harden emit kustomize render.yaml -o hardening/ --check   # CI: still current?

What the form cannot express is one warning line each (hardening id and
resource). Every artefact is stamped with the gloo-harden version, the release
assumed and a hash of the input; --check exits 1 when it is out of date.

\b
Exit codes: 0 done (warnings allowed), 1 refused (an error result) or --check
found the artefact out of date, 2 unusable input or arguments, 3 internal error.
"""


def _emit_kinds() -> list[str]:
    from gloo_harden.outputs.emit import FORMS

    return list(FORMS)


@click.command("emit", context_settings={"help_option_names": ["-h", "--help"],
                                         "terminal_width": help_width()}, epilog=EMIT_EPILOG)
@click.argument("kind", metavar="KIND", required=False)
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@functools.partial(table_options, fields=EMIT_FIELDS)
def emit_command(kind: str, files: tuple[str, ...], **chosen: Any) -> None:
    """Write what gloo-harden decides for FILES as KIND instead of the hardened stream.

    KIND: kustomize (a kustomize Component in -o DIR), flux (the postRenderers list of a
    Flux HelmRelease), values (a Helm values overlay for the Gloo or kgateway chart), policy
    (ValidatingAdmissionPolicies for the GatewayParameters and proxy Pods no render holds).
    The same reading, guards, options and results as a normal run.
    """
    from gloo_harden.adapters import emit as run

    kinds = _emit_kinds()
    if kind not in kinds:  # checked here, not by click: its message has several lines
        given = f'"{kind}" is not a form' if kind else "no KIND given"
        raise ConfigError(f"emit: {given}; expected one of {', '.join(kinds)}")
    run.emit(kind, Request(files, **chosen))


SUBCOMMANDS = {"list": list_command, "explain": explain_command, "emit": emit_command}


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point of the ``gloo-harden`` script for command lines click has to parse."""
    args = sys.argv[1:] if argv is None else argv
    exits.run(lambda: _click_main(args))


def _click_main(args: list[str]) -> None:
    subcommand = SUBCOMMANDS.get(args[0]) if args else None
    try:
        if subcommand is not None:
            subcommand.main(args[1:], prog_name=f"gloo-harden {args[0]}", standalone_mode=False)
        else:
            harden_command.main(args, prog_name="gloo-harden", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:  # Ctrl-C while click parsed the arguments
        exits.fail("interrupted", EXIT_INTERRUPTED)
    except click.ClickException as exc:
        if subcommand is None:
            _keep_results(args)
        exits.fail(exc.format_message(), EXIT_UNUSABLE)  # unusable arguments


def _keep_results(args: list[str]) -> None:
    """Arguments click refused may still name ``--results FILE``: a Helm 4 user reads only
    that file (Helm drops the plugin's stderr), so it says why this run failed instead of
    keeping an earlier run's results. Read as click reads the two options; best effort."""
    from gloo_harden.adapters import pipe

    found: dict[str, str] = {}
    words = iter(args)
    for word in words:
        if word == "--":
            break
        for name in ("--results", "--results-format"):
            if word == name:
                found[name] = next(words, "")
            elif word.startswith(name + "="):
                found[name] = word[len(name) + 1:]
    given, results_format = found.get("--results"), found.get("--results-format", "json")
    if given and results_format in RESULTS_FORMATS:
        # it cannot be written: the refusal of the arguments is the one line
        with contextlib.suppress(TransformerError):
            pipe.keep_results(given, results_format)
