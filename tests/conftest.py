"""Shared test helpers: where things are, and how to run the real ``gloo-harden`` script."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gloo_harden import yamlio

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
BIN_DIR = Path(sys.executable).parent


def corpus_files() -> list[Path]:
    """The real rendered manifests, or nothing when ../shared/corpus is not there."""
    return sorted(CORPUS.glob("*.yaml")) if CORPUS.is_dir() else []


def tool_env(**extra: str) -> dict[str, str]:
    """The environment for subprocesses: this interpreter's scripts first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def run_tool(*args: str, input: bytes | str | None = None, cwd: Path | None = None,
             **env: str) -> subprocess.CompletedProcess[bytes]:
    """Run the installed ``gloo-harden`` script like a user would."""
    data = input.encode() if isinstance(input, str) else input
    return subprocess.run([str(BIN_DIR / "gloo-harden"), *args], input=data,
                          capture_output=True, cwd=cwd, env=tool_env(**env), timeout=300)


needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Iterator[collections.Counter[str]]:
    """Every text handed to the round-trip parser, counted."""
    seen: collections.Counter[str] = collections.Counter()
    for name in ("load", "load_all"):
        monkeypatch.setattr(yamlio, name, _counted(getattr(yamlio, name), seen))
    yield seen


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[collections.Counter[str]]:
    """Every text handed to any parser (round-trip or C), counted."""
    seen: collections.Counter[str] = collections.Counter()
    for name in ("load", "load_all", "_fast_plain", "_fast_plain_all", "compose_fast"):
        monkeypatch.setattr(yamlio, name, _counted(getattr(yamlio, name), seen))
    yield seen


def _counted(parser: Any, seen: collections.Counter[str]) -> Any:
    def counting(text: str, *args: Any) -> Any:
        seen[text] += 1
        return parser(text, *args)
    return counting
