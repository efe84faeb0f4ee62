"""The README's hardening and guard tables, made from the patch files and the guards' data.

``markdown()`` is what README.md holds between ``BEGIN`` and ``END``
(``tests/run/test_catalog.py`` keeps them equal; ``GLOO_HARDEN_UPDATE_GOLDEN=1`` rewrites
the README). A new hardening's summary, scopes and guards, and a guard's new ``EVIDENCE``
line or ``KINDS_READ`` row, reach the README from here; nothing about them is written by hand
twice (``outputs.evidence`` makes the README's evidence table and ``explain evidence``).
"""

from __future__ import annotations

from collections.abc import Iterable

from gloo_harden.guards import GUARDS
from gloo_harden.patching.hardening import Hardening
from gloo_harden.run import hardenings

BEGIN = ("<!-- generated from patches/ and guards/ by gloo_harden.run.catalog; "
         "tests/run/test_catalog.py keeps them equal -->")
END = "<!-- end of the generated hardening and guard tables -->"


def markdown() -> str:
    """The hardening table, then the guard table, between the markers."""
    ran = [(h, "every run") for h in hardenings.builtin()]
    ran += [(h, f"`--profile {name}`") for name in hardenings.profiles()
            for h in hardenings.profile(name)]
    lines = [BEGIN, "| id | runs | what | where (scope) | kept back by (guards) |",
             "| --- | --- | --- | --- | --- |"]
    lines += [f"| `{h.id}` | {runs} | {_cell(h.summary)} | {_ids(h.scopes)} | "
              f"{_ids(h.guards) or '—'} |" for h, runs in ran]
    lines += ["", "| guard | keeps a change back on any of | objects it reads (`--evidence`; "
              "`gloo-harden explain evidence`) | guarding |", "| --- | --- | --- | --- |"]
    for guard_id, guard in GUARDS.items():
        evidence = "; ".join(_cell(line) for line in guard.EVIDENCE)
        kinds = ", ".join(dict.fromkeys(f"{row.what.kind} (`{row.what.resource}`)"
                                        for row in guard.KINDS_READ)) or "only its target"
        lines.append(f"| `{guard_id}` | {evidence} | {kinds} | {_ids(_using(guard_id, ran))} |")
    return "\n".join(lines + [END])


def _using(guard_id: str, ran: Iterable[tuple[Hardening, str]]) -> list[str]:
    return [h.id for h, _ in ran if guard_id in h.guards]


def _ids(ids: Iterable[str]) -> str:
    return ", ".join(f"`{i}`" for i in ids)


def _cell(text: str) -> str:
    """One table cell: one line, ``|`` and HTML's ``<`` ``>`` escaped."""
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
