"""Golden cases per hardening: ``golden/<hardening-id>/<verdict>-<case>/``.

Each folder holds ``input.yaml``, optionally ``case.yaml`` with ``args`` (extra command-line
flags), ``exit`` (expected exit code, default 0), ``check_exit`` (the second run's, with
``--check``; default ``exit``), ``results`` (regexes that must each match a line on stderr) and
``absent`` (regexes that must match none), and, for ``applies-`` cases only, ``expected.diff``:
the change the run makes, as a unified diff of ``input.yaml`` (what kpt-functions-catalog
stores). The verdict in the name says the rest: ``applies-`` must change the input as the diff
says, ``noop-`` and ``skips-`` must write it back unchanged (they have no diff), ``error-`` must
exit 1 and, being a refusal, write nothing. Only the folder's hardening runs. Every case but an
``error-`` one runs twice: the second run, with ``--check`` on the first one's output, must
change nothing. ``GLOO_HARDEN_UPDATE_GOLDEN=1`` rewrites ``expected.diff``.

The cases run in-process (``cli.main``, stdin and stdout swapped for buffers); ``SMOKE``, the
first ``applies-`` case of each hardening, also runs through the installed script.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml

from conftest import run_tool
from gloo_harden import cli

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p for p in GOLDEN.glob("*/*") if p.is_dir())
VERDICTS = ("applies-", "skips-", "noop-", "error-")
SMOKE = sorted({h: c for c in reversed(CASES) if c.name.startswith("applies-")
                for h in [c.parent.name]}.values())


class Ran(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def _meta(case: Path) -> dict[str, object]:
    path = case / "case.yaml"
    return yaml.safe_load(path.read_text()) if path.exists() else {}


def _args(case: Path) -> list[str]:
    return ["--enable", case.parent.name, *map(str, _meta(case).get("args", []))]  # type: ignore[call-overload]


def in_process(args: list[str], source: str, monkeypatch: pytest.MonkeyPatch) -> Ran:
    """``gloo-harden ARGS < source`` in this process: what the script does, without its
    start-up (the subprocess smoke set checks the two agree)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with monkeypatch.context() as patched:
        patched.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(source.encode()),
                                                       encoding="utf-8", newline=""))
        patched.setattr(sys, "stdout", stdout)
        patched.setattr(sys, "stderr", stderr)
        with pytest.raises(SystemExit) as ended:
            cli.main(list(args))
    code = ended.value.code
    return Ran(code if isinstance(code, int) else 1, stdout.getvalue(), stderr.getvalue())


def unified(before: str, after: str) -> str:
    """``after`` as a unified diff of ``before`` (``patch`` applies it; line ends kept)."""
    lines = difflib.unified_diff(_lines(before), _lines(after), "input.yaml", "input.yaml")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def _lines(text: str) -> list[str]:
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_golden_case(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert case.name.startswith(VERDICTS), f"{case.name}: name must start with a verdict"
    meta, args = _meta(case), _args(case)
    source = (case / "input.yaml").read_bytes().decode()
    first = in_process(args, source, monkeypatch)
    stored = case / "expected.diff"
    for pattern in meta.get("results", []):  # type: ignore[attr-defined]
        assert re.search(pattern, first.stderr), f"no result matches {pattern!r} in:\n{first.stderr}"
    for pattern in meta.get("absent", []):  # type: ignore[attr-defined]
        assert not re.search(pattern, first.stderr), f"a result matches {pattern!r} in:\n{first.stderr}"
    assert "Traceback" not in first.stderr
    if case.name.startswith("error-"):  # a refusal writes nothing
        assert (first.returncode, first.stdout) == (1, "") and "[error]" in first.stderr, \
            first.stderr
        assert not stored.exists()
        return
    assert first.returncode == meta.get("exit", 0), first.stderr
    if case.name.startswith("applies-"):
        if os.environ.get("GLOO_HARDEN_UPDATE_GOLDEN"):
            stored.write_bytes(unified(source, first.stdout).encode())
        assert first.stdout != source, "an applies- case must change its input"
        assert unified(source, first.stdout) == stored.read_bytes().decode()
    else:  # noop-, skips-
        assert first.stdout == source, unified(source, first.stdout)
        assert not stored.exists(), f"{case.name}: only applies- cases have an expected.diff"
    second = in_process([*args, "--check"], first.stdout, monkeypatch)
    assert second.stdout == ""
    assert second.returncode == meta.get("check_exit", meta.get("exit", 0)), second.stderr


@pytest.mark.parametrize("case", SMOKE, ids=[c.parent.name for c in SMOKE])
def test_golden_case_through_the_script(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The installed script writes what the in-process run writes, byte for byte."""
    source = (case / "input.yaml").read_bytes().decode()
    ran = run_tool(*_args(case), input=source)
    expected = in_process(_args(case), source, monkeypatch)
    assert (ran.returncode, ran.stdout.decode(), ran.stderr.decode()) == expected


def test_every_builtin_hardening_has_golden_cases() -> None:
    from gloo_harden.run.hardenings import BUILTIN

    for hardening in BUILTIN:
        names = {p.name.split("-")[0] for p in (GOLDEN / hardening).iterdir()}
        assert {"applies", "noop"} <= names or {"applies", "skips"} <= names, hardening
