"""A bounded run of the coverage-guided fuzz target, as CI does on every build.

atheris (libFuzzer) runs ``fuzz_harden.py`` for at most 400 inputs or 15 s with a fixed seed,
from seeds cut from the corpus and the committed regressions. Where atheris has no wheel for
this interpreter the same target runs on hypothesis' binary strategy instead; where it has
one, its absence is an install error and fails the test.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import corpus_files, tool_env
from fuzz import gloo_streams

HERE = Path(__file__).resolve().parent
TARGET = HERE / "fuzz_harden.py"
#: Where pyproject's ``atheris`` test dependency installs from a wheel.
ATHERIS_PLATFORM = (sys.platform == "linux" and platform.machine() == "x86_64"
                    and (3, 11) <= sys.version_info[:2] < (3, 13))


def _seeds(folder: Path) -> Path:
    folder.mkdir()
    for path in (HERE / "regressions").iterdir():
        if path.suffix != ".md":
            shutil.copy(path, folder / path.name)
    for i, window in enumerate(gloo_streams.corpus_windows(corpus_files(), 3)[::12]):
        (folder / f"corpus-{i}").write_text(window)
    return folder


@pytest.mark.fuzz
def test_bounded_fuzz_run_finds_nothing(tmp_path: Path) -> None:
    try:
        import atheris  # noqa: F401
    except ImportError:
        if ATHERIS_PLATFORM:
            pytest.fail("atheris is a test dependency on this platform: pip install -e '.[test]'")
        command = [sys.executable, str(TARGET), "--hypothesis", "300"]
    else:
        command = [sys.executable, str(TARGET), str(_seeds(tmp_path / "seeds")),
                   f"-dict={HERE / 'yaml.dict'}", "-seed=1", "-runs=400", "-max_total_time=15",
                   "-timeout=30", "-rss_limit_mb=2048", f"-artifact_prefix={tmp_path}/"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                          env=tool_env(), timeout=600)
    findings = sorted(p.name for p in tmp_path.glob("*-*") if p.is_file())
    assert done.returncode == 0 and not findings, (
        f"the fuzzer found {findings or 'a failure'}: fix it and add the input to "
        f"tests/fuzz/regressions/\n{done.stderr[-3000:]}")
    if "atheris" in sys.modules:
        assert "Done" in done.stderr and "runs in" in done.stderr  # it really ran
