"""Golden cases per hardening: ``golden/<hardening-id>/<verdict>-<case>/``.

Each folder holds ``input.yaml`` and ``expected.yaml`` and optionally ``case.yaml`` with
``args`` (extra command-line flags), ``exit`` (expected exit code, default 0), ``check_exit``
(the second run's, with ``--check``; default ``exit``), ``results`` (regexes that must each
match a line on stderr) and ``absent`` (regexes that must match none). The verdict in the
name is checked too: ``applies-`` must change the input, ``noop-`` and ``skips-`` must not,
``error-`` must exit 1 and, being a refusal, write nothing (it has no ``expected.yaml``).
Only the folder's hardening runs. Every other case runs twice: the second run, on the
expected output, must change nothing. ``GLOO_HARDEN_UPDATE_GOLDEN=1`` rewrites ``expected.yaml``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from conftest import run_tool

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p for p in GOLDEN.glob("*/*") if p.is_dir())
VERDICTS = ("applies-", "skips-", "noop-", "error-")


def _meta(case: Path) -> dict[str, object]:
    path = case / "case.yaml"
    return yaml.safe_load(path.read_text()) if path.exists() else {}


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_golden_case(case: Path) -> None:
    assert case.name.startswith(VERDICTS), f"{case.name}: name must start with a verdict"
    meta = _meta(case)
    args = ["--enable", case.parent.name, *map(str, meta.get("args", []))]  # type: ignore[call-overload]
    source = (case / "input.yaml").read_text()
    first = run_tool(*args, input=source)
    if case.name.startswith("error-"):  # a refusal writes nothing, so there is no expected.yaml
        stderr = first.stderr.decode()
        assert (first.returncode, first.stdout) == (1, b"") and "[error]" in stderr, stderr
        assert not (case / "expected.yaml").exists()
        for pattern in meta.get("results", []):  # type: ignore[attr-defined]
            assert re.search(pattern, stderr), f"no result matches {pattern!r} in:\n{stderr}"
        return
    if os.environ.get("GLOO_HARDEN_UPDATE_GOLDEN"):
        (case / "expected.yaml").write_bytes(first.stdout)
    expected = (case / "expected.yaml").read_text()
    stderr = first.stderr.decode()
    assert first.returncode == meta.get("exit", 0), stderr
    assert first.stdout.decode() == expected
    for pattern in meta.get("results", []):  # type: ignore[attr-defined]
        assert re.search(pattern, stderr), f"no result matches {pattern!r} in:\n{stderr}"
    for pattern in meta.get("absent", []):  # type: ignore[attr-defined]
        assert not re.search(pattern, stderr), f"a result matches {pattern!r} in:\n{stderr}"
    assert "Traceback" not in stderr
    if case.name.startswith("applies-"):
        assert expected != source
    elif case.name.startswith(("noop-", "skips-")):
        assert expected == source
    second = run_tool(*args, "--check", input=expected)
    assert second.stdout == b""
    assert second.returncode == meta.get("check_exit", meta.get("exit", 0)), \
        second.stderr.decode()


def test_every_builtin_hardening_has_golden_cases() -> None:
    from gloo_harden.run.hardenings import BUILTIN

    for hardening in BUILTIN:
        names = {p.name.split("-")[0] for p in (GOLDEN / hardening).iterdir()}
        assert {"applies", "noop"} <= names or {"applies", "skips"} <= names, hardening
