"""The code passes the project's lint rules (``[tool.ruff]`` in pyproject.toml: pyflakes,
pycodestyle, import order, bugbear, pyupgrade, simplify), as test_typing.py holds mypy."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_ruff_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
