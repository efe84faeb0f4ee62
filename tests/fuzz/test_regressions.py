"""Every input a fuzzer or a bug report found, replayed on every run (see regressions/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fuzz import properties

CASES = sorted(p for p in (Path(__file__).parent / "regressions").iterdir() if p.suffix != ".md")


def test_there_are_regressions() -> None:
    assert CASES


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_regression(path: Path) -> None:
    properties.check(path.read_bytes())
