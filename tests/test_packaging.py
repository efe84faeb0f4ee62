"""The wheel carries every package, the built-in patch files and py.typed."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import REPO


def test_wheel_ships_packages_patches_and_py_typed(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q",
                    "-w", str(tmp_path)], check=True, capture_output=True, timeout=600)
    (wheel,) = tmp_path.glob("gloo_harden-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "gloo_harden/py.typed" in names
    for patch in (REPO / "patches").rglob("*.yaml"):
        assert f"gloo_harden/_patches/{patch.relative_to(REPO / 'patches')}" in names, patch
    for init in (REPO / "transformer" / "gloo_harden").rglob("__init__.py"):
        assert f"gloo_harden/{init.relative_to(REPO / 'transformer' / 'gloo_harden')}" in names, init
