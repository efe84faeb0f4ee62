"""The numbers README.md gives about the corpus, computed from the corpus run, and the README
sentences that carry them (``tests/test_readme_numbers.py`` holds README equal to them).

Each sentence sits in README.md between ``<!-- corpus:NAME -->`` and ``<!-- /corpus -->``;
after a change that moves a number, write them again with::

    python tests/corpus_numbers.py --write README.md

(``GLOO_HARDEN_CORPUS`` chooses the corpus, as for the tests.)
"""

from __future__ import annotations

import difflib
import functools
import re
import sys
from pathlib import Path
from typing import Any, NamedTuple

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import corpus_files  # noqa: E402
from gloo_harden.outputs import report  # noqa: E402
from gloo_harden.run import hardenings  # noqa: E402
from gloo_harden.run.pipeline import Options, Outcome, Source, harden  # noqa: E402
from gloo_harden.yamltext import stream  # noqa: E402
from pss import check  # noqa: E402

BLOCK = re.compile(r"<!-- corpus:(?P<name>[a-z-]+) -->(?P<body>.*?)<!-- /corpus -->", re.DOTALL)


class Fidelity(NamedTuple):
    """Each corpus render hardened on its own: edits to its objects and the diff lines they
    make, and the objects added after its last document with their lines."""

    edits: int
    lines: int
    added: int
    added_lines: int


def _sources(paths: list[Path]) -> list[Source]:
    return [Source(p.name, p.read_bytes()) for p in paths]


def _options(profile: bool = False, separate: bool = False) -> Options:
    return Options(hardenings.builtin(), separate_renders=separate,
                   patches=hardenings.profile("restricted") if profile else ())


@functools.cache
def _alone(path: Path, profile: bool) -> Outcome:
    return harden(_sources([path]), _options(profile))


def _changes(outcome: Outcome) -> int:
    return sum(1 for r in outcome.results if report._is_change(r))


def streams() -> tuple[int, int, int]:
    """(files, changes as one stream, changes with separate renders)."""
    files = corpus_files()
    one = harden(_sources(files), _options())
    separate = harden(_sources(files), _options(separate=True))
    return len(files), _changes(one), _changes(separate)


def fidelity(profile: bool) -> Fidelity:
    edits = lines = added = added_lines = 0
    for path in corpus_files():
        outcome = _alone(path, profile)
        text = stream.decode(path.read_bytes(), path.name)
        count = len(stream.split(text, path.name))
        own = stream.joined(outcome.pieces[:count])
        diff = difflib.unified_diff(text.splitlines(), own.splitlines(), lineterm="", n=0)
        lines += sum(1 for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---"))
        added += len(outcome.added)
        added_lines += stream.joined(outcome.pieces[count:]).count("\n")
        new = {r.resource for r in outcome.results if r.document is None and r.resource}
        edits += sum(1 for r in outcome.results if report._is_change(r)
                     and not (r.document is None and r.resource in new))
    return Fidelity(edits, lines, added, added_lines)


def violations() -> tuple[int, int, int, dict[str, int]]:
    """(renders, PSS restricted violations after the built-ins, after the profile, what is
    left by control)."""
    def judged(text: str) -> list[Any]:
        return [v for doc in yaml.safe_load_all(text) if isinstance(doc, dict) for v in check(doc)]

    files = corpus_files()
    before = sum(len(judged(_alone(p, False).text)) for p in files)
    left = [v for p in files for v in judged(_alone(p, True).text)]
    by_control: dict[str, int] = {}
    for v in left:
        by_control[v.control] = by_control.get(v.control, 0) + 1
    return len(files), before, len(left), by_control


def sentences() -> dict[str, str]:
    """README's corpus sentences, by block name."""
    files, one, separate = streams()
    plain, restricted = fidelity(False), fidelity(True)
    renders, before, after, left = violations()
    kept = ", ".join(f"{count} {control}" for control, count in sorted(left.items()))
    return {
        "streams": f"On the {files} corpus files one stream reports {one} changes, separate "
                   f"renders {separate}.",
        "fidelity": f"Measured on the {files} real renders in `../shared/corpus`, each hardened "
                    f"on its own: {plain.edits} edits produce {plain.lines} changed lines in "
                    f"total — {plain.lines / plain.edits:.2f} diff lines per change, where "
                    "removing one list item (`add: [NET_BIND_SERVICE]` → `add: []`) is 3 lines "
                    f"by itself — plus the {plain.added} objects added to the kgateway 2.0 and "
                    f"2.1 renders ({plain.added_lines} lines appended after the last document); "
                    f"with `--profile restricted`, {restricted.edits} edits give "
                    f"{restricted.lines} lines (the added objects, hardened by the profile too, "
                    f"{restricted.added_lines} lines).",
        "pss": f"On the {renders} corpus renders our offline PSS reading (`tests/pss.py`) finds "
               f"{before} \"restricted\" violations after the built-ins and {after} after the "
               f"profile, each one of those reported by a guard ({kept}).",
    }


def written(readme: str, wanted: dict[str, str]) -> str:
    """``readme`` with each corpus block's text replaced by ``wanted``'s."""
    return BLOCK.sub(lambda m: f"<!-- corpus:{m['name']} -->{wanted[m['name']]}<!-- /corpus -->",
                     readme)


if __name__ == "__main__":
    if sys.argv[1:2] != ["--write"] or len(sys.argv) != 3:
        sys.exit("usage: python tests/corpus_numbers.py --write README.md")
    target = Path(sys.argv[2])
    target.write_text(written(target.read_text(), sentences()))
