"""Every registered scope and guard satisfies its protocol (``scopes.Scope``, ``guards.Guard``,
``guards.CompleteGuard``), and the type checker refuses a guard that does not.

The registries are typed by the protocols, so ``mypy --strict`` checks each module; these
tests check the same at run time (names, parameters and annotations of each function) and
that no module defines an optional part the registry does not know of, which the run would
then never call.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conftest import REPO
from gloo_harden.gloo.evidence import KindRead
from gloo_harden.guards import COMPLETE, GUARDS, CompleteGuard, Guard
from gloo_harden.scopes import SCOPES, Reads, Scope


def _missing(module: object, protocol: type) -> list[str]:
    """How ``module`` falls short of ``protocol``: one line per member."""
    problems = []
    for name, member in vars(protocol).items():
        if name.startswith("_"):
            continue
        if not hasattr(module, name):
            problems.append(f"{name}: missing")
        elif isinstance(member, property):
            expected = inspect.signature(member.fget).return_annotation  # type: ignore[arg-type]
            value = getattr(module, name)
            shape, item = {"str": (str, str), "tuple[str, ...]": (tuple, str),
                           "Reads": (Reads, Reads),
                           "tuple[KindRead, ...]": (tuple, KindRead)}[expected]
            if not isinstance(value, shape) or (shape is tuple and not all(
                    isinstance(v, item) for v in value)):
                problems.append(f"{name}: {value!r} is not a {expected}")
        elif callable(member):  # the parameters; a narrower return type is mypy's to judge
            want = list(inspect.signature(member).parameters.values())[1:]  # without self
            got = list(inspect.signature(getattr(module, name)).parameters.values())
            if got != want:
                problems.append(f"{name}({', '.join(map(str, got))}): expected "
                                f"{name}({', '.join(map(str, want))})")
    return problems


def _protocol_members(*protocols: type) -> set[str]:
    return {name for protocol in protocols for name in vars(protocol) if not name.startswith("_")}


@pytest.mark.parametrize("scope_id", sorted(SCOPES))
def test_every_scope_is_a_scope(scope_id: str) -> None:
    assert _missing(SCOPES[scope_id], Scope) == []
    assert scope_id == SCOPES[scope_id].ID


@pytest.mark.parametrize("guard_id", sorted(GUARDS))
def test_every_guard_is_a_guard(guard_id: str) -> None:
    assert _missing(GUARDS[guard_id], Guard) == []
    assert guard_id == GUARDS[guard_id].ID


@pytest.mark.parametrize("guard_id", sorted(COMPLETE))
def test_every_complete_guard_is_complete_and_registered(guard_id: str) -> None:
    assert _missing(COMPLETE[guard_id], CompleteGuard) == []
    assert COMPLETE[guard_id] is GUARDS[guard_id]


@pytest.mark.parametrize("guard_id", sorted(GUARDS))
def test_no_guard_has_an_optional_part_the_registry_ignores(guard_id: str) -> None:
    optional = _protocol_members(CompleteGuard) - _protocol_members(Guard)
    assert optional == {"broken", "unseen"}
    defined = {name for name in optional if hasattr(GUARDS[guard_id], name)}
    assert defined == (optional if guard_id in COMPLETE else set())


def test_the_runtime_check_finds_a_wrong_signature() -> None:
    wrong = ModuleType("wrong_guard")
    wrong.ID = "wrong"  # type: ignore[attr-defined]
    wrong.EVIDENCE = ("nothing",)  # type: ignore[attr-defined]
    wrong.KINDS_READ = ()  # type: ignore[attr-defined]
    exec("def check(target, index): return []\n", wrong.__dict__)  # no annotations
    assert _missing(wrong, Guard) == [
        "check(target, index): expected check(target: 'Target', index: 'StreamIndex')"]
    assert _missing(wrong, CompleteGuard) == ["broken: missing", "unseen: missing"]


GOOD = """
from gloo_harden.gloo.index import StreamIndex
from gloo_harden.scopes import Target

ID = "example"
EVIDENCE = ("the example's evidence",)
KINDS_READ = ()


def check(target: Target, index: StreamIndex) -> list[str]:
    return []
"""


@pytest.mark.parametrize("check, fails", [
    ("def check(target: Target, index: StreamIndex) -> list[str]:", False),
    ("def check(target: Target) -> list[str]:", True),
    ("def check(target: Target, index: StreamIndex) -> bool:", True),
])
def test_mypy_refuses_a_guard_with_the_wrong_check(tmp_path: Path, check: str,
                                                   fails: bool) -> None:
    (tmp_path / "example_guard.py").write_text(
        GOOD.replace("def check(target: Target, index: StreamIndex) -> list[str]:", check))
    (tmp_path / "registry.py").write_text(
        "from gloo_harden.guards import Guard\n\nimport example_guard\n\n"
        "registered: tuple[Guard, ...] = (example_guard,)\n")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--follow-imports=silent",
         "registry.py", "example_guard.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={"MYPYPATH": str(REPO / "transformer"), "PATH": "/usr/bin:/bin"})
    assert (done.returncode != 0) == fails, done.stdout + done.stderr
    if fails:
        assert "registry.py" in done.stdout and "Guard" in done.stdout, done.stdout
