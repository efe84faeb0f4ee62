"""``--diff``: one diff per input file, in that file's names and line numbers, that the real
``patch`` applies (``patch -p0`` where gloo-harden ran)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, run_tool

EXAMPLE = REPO / "examples" / "pipe" / "gloo-rendered.yaml"
DOCUMENTS = EXAMPLE.read_text().split("---\n")
PROXY = "---\n".join(DOCUMENTS[:4])  # ServiceAccount, ConfigMap, Service, Deployment: 4 changes
#: Settings whose changed line is its last, without a line break
SETTINGS = ("---\napiVersion: gloo.solo.io/v1\nkind: Settings\nmetadata:\n  name: default\n"
            "  namespace: gloo-system\nspec:\n  gloo:\n    disableKubernetesDestinations: false")
UNTOUCHED = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n"


def patch(folder: Path, diff: bytes, *args: str) -> str:
    if shutil.which("patch") is None:
        pytest.fail("GNU patch is not installed (Debian: apt-get install patch)")
    done = subprocess.run(["patch", "-p0", "--batch", *args], input=diff, cwd=folder,
                          capture_output=True)
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    return done.stdout.decode()


def test_one_diff_per_file_that_patch_applies(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    files = {"proxy.yaml": PROXY, "untouched.yaml": UNTOUCHED, "sub/settings.yaml": SETTINGS}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    expected = {name: run_tool(name, cwd=tmp_path).stdout.decode() for name in files}
    done = run_tool("--diff", *files, cwd=tmp_path)
    assert done.returncode == 0
    diff = done.stdout.decode()
    assert re.findall(r"^(?:---|\+\+\+) (\S+)$", diff, re.MULTILINE) == [
        "proxy.yaml", "proxy.yaml", "sub/settings.yaml", "sub/settings.yaml"]
    # the Settings hunk counts the settings file's own lines, from 1
    settings_hunk = diff[diff.index("--- sub/settings.yaml"):]
    assert "@@ -" in settings_hunk and "\\ No newline at end of file\n" in settings_hunk
    assert "@@ -6,4 +6,4 @@\n" in settings_hunk
    applied = patch(tmp_path, done.stdout, "--dry-run")
    assert "offset" not in applied and "fuzz" not in applied.lower()
    patch(tmp_path, done.stdout)
    for name in files:
        assert (tmp_path / name).read_text() == expected[name], name
    again = run_tool("--diff", *files, cwd=tmp_path)
    assert again.returncode == 0 and again.stdout == b""


def test_a_diff_of_stdin_applies_to_the_file_it_came_from(tmp_path: Path) -> None:
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(PROXY + SETTINGS)
    done = run_tool("--diff", input=rendered.read_bytes())
    assert done.stdout.decode().startswith("--- stdin\n+++ stdin\n@@ -")
    subprocess.run(["patch", "--batch", str(rendered)], input=done.stdout, check=True,
                   capture_output=True)
    assert rendered.read_text() == run_tool(input=PROXY + SETTINGS).stdout.decode()


def test_diff_lines_are_cut_at_line_feeds_only(tmp_path: Path) -> None:
    """U+2028 and NEL are inside a YAML line; ``patch`` cuts at ``\\n`` only."""
    text = "kind: ConfigMap\ndata:\n  a: a\u2028b\x85c\u2029d\n---\n" + PROXY  # copied, not parsed
    (tmp_path / "odd.yaml").write_text(text)
    done = run_tool("--diff", "odd.yaml", cwd=tmp_path)
    assert done.returncode == 0
    assert "offset" not in patch(tmp_path, done.stdout)
    assert (tmp_path / "odd.yaml").read_text() == run_tool(input=text).stdout.decode()
