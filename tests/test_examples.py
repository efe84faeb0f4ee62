"""Every example under examples/ is executed: each folder's run.sh must succeed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import REPO, tool_env

EXAMPLES = sorted(p for p in (REPO / "examples").iterdir() if p.is_dir())


def test_every_example_has_a_readme_and_a_run_script() -> None:
    for folder in EXAMPLES:
        assert (folder / "README.md").is_file(), folder
        assert (folder / "run.sh").stat().st_mode & 0o111, f"{folder}/run.sh is not executable"


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(folder: Path) -> None:
    result = subprocess.run([str(folder / "run.sh")], capture_output=True, cwd=folder,
                            env=tool_env(), timeout=600)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
