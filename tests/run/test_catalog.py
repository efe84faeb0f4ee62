"""The README's hardening and guard tables, and ``--help``, are made from the patch files and
the guards (``run.catalog``, ``run.builtins``): nothing about a hardening is written twice.

``GLOO_HARDEN_UPDATE_GOLDEN=1`` rewrites the README's generated part (between the markers).
"""

from __future__ import annotations

from conftest import REPO, golden_parts, run_tool
from gloo_harden.run import catalog, hardenings

README = REPO / "README.md"


def _with_tables(text: str) -> str:
    start, end = text.index(catalog.BEGIN), text.index(catalog.END) + len(catalog.END)
    return text[:start] + catalog.markdown() + text[end:]


def test_readme_tables_are_generated_from_the_patch_files_and_guards() -> None:
    text = golden_parts(README, _with_tables)
    start, end = text.index(catalog.BEGIN), text.index(catalog.END) + len(catalog.END)
    assert text[start:end] == catalog.markdown(), \
        "README.md: the generated tables are stale; run GLOO_HARDEN_UPDATE_GOLDEN=1 pytest " \
        "tests/run/test_catalog.py"


def test_every_hardening_and_guard_has_a_row() -> None:
    table = catalog.markdown()
    for item in hardenings.builtin() + hardenings.profile("restricted"):
        assert f"| `{item.id}` |" in table
        for guard in item.guards:
            assert f"| `{guard}` |" in table


def test_help_names_every_builtin_in_order() -> None:
    shown = run_tool("--help").stdout.decode()
    places = [shown.index(f"\n    {hid}\n") for hid in hardenings.BUILTIN]
    assert places == sorted(places), shown
