"""Results for people: short text lines, a summary, JSON, and a finished run's exit code
(the codes themselves are defined in ``errors``)."""

from __future__ import annotations

from collections.abc import Iterable

from gloo_harden.errors import EXIT_OK, EXIT_REFUSED
from gloo_harden.resources.results import BROKEN, IN_EFFECT, UNDONE, Result, Severity


def exit_code(results: Iterable[Result], changed: int, check: bool) -> int:
    if any(r.severity is Severity.ERROR for r in results):
        return EXIT_REFUSED
    if check and (changed or any(r.tag in (BROKEN, UNDONE, IN_EFFECT) for r in results)):
        return EXIT_REFUSED
    return EXIT_OK


def text(results: Iterable[Result], quiet: bool) -> list[str]:
    """One line a result; ``quiet`` keeps warnings and errors only."""
    return [str(r) for r in results if not quiet or r.severity is not Severity.INFO]


def summary(results: list[Result], changed_documents: int) -> str:
    changes = sum(1 for r in results if _is_change(r))
    # a guard's evidence kept a change back (a review of what the controller will merge is
    # a warning too, but nothing was kept back by it)
    kept = sum(1 for r in results if r.severity is not Severity.INFO and r.guard
               and r.tag is None)
    broken = sum(1 for r in results if r.tag == BROKEN)
    undone = sum(1 for r in results if r.tag == UNDONE)
    parts = [f"{changes} change{'s' * (changes != 1)} in {changed_documents} "
             f"document{'s' * (changed_documents != 1)}"]
    if kept:
        parts.append(f"{kept} kept by a guard")
    if broken:
        parts.append(f"{broken} already broken")
    if undone:
        parts.append(f"{undone} undone by an overlay")
    return "gloo-harden: " + ", ".join(parts)


def summaries_by_file(results: list[Result]) -> list[str]:
    """One ``summary`` line per file, in the order files first appear (separate renders):
    ``gloo-harden: prod.yaml: 3 changes in 3 documents``."""
    by_file: dict[str, list[Result]] = {}
    for r in results:
        by_file.setdefault(r.file or "", []).append(r)
    lines = []
    for file, found in by_file.items():
        # an added object is in no document of the file: it counts as one of its own
        documents = len({r.document if r.document is not None else r.resource
                         for r in found if _is_change(r)})
        line = summary(found, documents)
        lines.append(line.replace("gloo-harden: ", f"gloo-harden: {file}: ", 1) if file else line)
    return lines


def _is_change(result: Result) -> bool:
    return result.severity is Severity.INFO and bool(result.field) \
        and (result.proposed is not None or result.current is not None)


def to_json(results: Iterable[Result]) -> str:
    import json  # only for --results: 2 ms of start-up otherwise

    return json.dumps([r.to_dict() for r in results], indent=2) + "\n"
