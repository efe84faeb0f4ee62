"""The packages are layers a request passes through, and no layer imports one above it.

Every ``import`` counts, also those inside functions and under ``TYPE_CHECKING`` (a lazy import
hides a dependency from the interpreter, not from a reader). ``docs/architecture.md`` and each
package's docstring say the same order; a module may import its own layer and those below.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO
from test_import_cycles import PACKAGE, import_graph

#: bottom first; a name is a package of gloo_harden, or one of its top-level modules
LAYERS: tuple[tuple[str, ...], ...] = (
    ("gloo_harden", "errors", "patterns"),  # the version, the exceptions, lazy regexes
    ("yamltext",),
    ("resources",),
    ("gloo",),
    ("scopes",),
    ("guards",),
    ("patching",),
    ("run",),
    ("outputs",),
    ("adapters",),
    ("cli", "__main__"),  # the entry
)


def layer(module: str) -> int:
    """The layer of ``gloo_harden.<part>[.…]``: the index of its first part in ``LAYERS``."""
    parts = module.split(".")
    first = parts[1] if len(parts) > 1 else "gloo_harden"
    for rank, names in enumerate(LAYERS):
        if first in names:
            return rank
    raise AssertionError(f"{module}: in no layer; add its package to LAYERS, "
                         "docs/architecture.md and the gloo_harden docstring")


def upward(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{name} → {other}" for name, imported in graph.items() for other in imported
                  if layer(other) > layer(name))


def test_no_layer_imports_one_above_it() -> None:
    assert upward(import_graph()) == []


def test_every_package_and_top_level_module_has_a_layer() -> None:
    tops = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    tops |= {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    known = {name for names in LAYERS for name in names}
    assert tops - known == set()


@pytest.mark.parametrize("package", [names[0] for names in LAYERS[1:-1]])
def test_each_package_says_what_it_may_import(package: str) -> None:
    doc = (PACKAGE / package / "__init__.py").read_text(encoding="utf-8")
    assert "May import" in doc


def test_the_architecture_note_names_every_layer() -> None:
    note = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    for names in LAYERS:
        for name in names:
            assert f"`{name}" in note, name


def test_an_upward_import_is_found(tmp_path: Path) -> None:
    package = tmp_path / "gloo_harden"
    (package / "yamltext").mkdir(parents=True)
    (package / "run").mkdir()
    for init in (package, package / "yamltext", package / "run"):
        (init / "__init__.py").write_text("")
    (package / "run" / "pipeline.py").write_text("from gloo_harden.yamltext import stream\n")
    (package / "yamltext" / "stream.py").write_text(
        "def f():\n    from gloo_harden.run.pipeline import harden\n")
    assert upward(import_graph(package)) == [
        "gloo_harden.yamltext.stream → gloo_harden.run.pipeline"]
