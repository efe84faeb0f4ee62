"""Shared test helpers: where things are, and how to run the real ``gloo-harden`` script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
