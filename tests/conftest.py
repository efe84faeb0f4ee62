"""Shared test helpers: where things are, and how to run the real ``gloo-harden`` script."""

from __future__ import annotations

import collections
import fcntl
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from gloo_harden.yamltext import yamlio

REPO = Path(__file__).resolve().parents[1]
#: The real renders the tests run on (read only; never copied into the project):
#: ``$GLOO_HARDEN_CORPUS``, else ``../shared/corpus`` beside the repository.
CORPUS = Path(os.environ.get("GLOO_HARDEN_CORPUS") or REPO.parent / "shared" / "corpus")
BIN_DIR = Path(sys.executable).parent
#: CI (``.ci/run``) sets it: what a test needs and cannot find fails the test instead of
#: skipping it (a real client, Helm, the corpus).
REQUIRED = os.environ.get("GLOO_HARDEN_REQUIRE_CLIENTS") == "1"


#: The built-ins the whole-run expectations (CLI, outputs, KRM, benchmark smoke) were written
#: for. Those tests pin them (``pinned()``: ``--enable`` each), so a new built-in changes no
#: expectation there; its own behaviour is in its golden cases (CONTRIBUTING.md).
PINNED = ("drop-net-bind-service", "disable-sa-token-automount", "read-only-root-filesystem",
          "disable-kubernetes-destinations", "clear-default-capabilities",
          "add-kgateway-class-parameters")


def pinned(*ids: str) -> tuple[str, ...]:
    """``--enable ID`` for each of ``ids`` (default: every id of ``PINNED``)."""
    return tuple(arg for hid in ids or PINNED for arg in ("--enable", hid))


def pinned_but(*left_out: str) -> tuple[str, ...]:
    """The ids of ``PINNED`` but ``left_out``: what a test that disables those enables, in the
    form its client takes (a functionConfig's ``enable``, kpt's ``enable=a,b``)."""
    return tuple(hid for hid in PINNED if hid not in left_out)


#: ``GLOO_HARDEN_UPDATE_GOLDEN=1``: the expectations made from a run (not written by hand) are
#: written anew from this run before they are compared (``golden()``); ``git diff`` is the review.
UPDATE_GOLDEN = bool(os.environ.get("GLOO_HARDEN_UPDATE_GOLDEN"))


def golden(path: Path, actual: str) -> str:
    """The expectation kept in ``path``, a file of the project made from a run (a whole run's
    output, an example's output, an emitted artefact): under ``GLOO_HARDEN_UPDATE_GOLDEN=1``
    ``actual`` is written there first. The caller compares ``actual`` with what is returned;
    a missing file fails the test, naming the command that writes it."""
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    if not path.is_file():
        pytest.fail(f"{path.relative_to(REPO)}: no expectation; run the test with "
                    "GLOO_HARDEN_UPDATE_GOLDEN=1 and read git diff")
    return path.read_text(encoding="utf-8")


def golden_parts(path: Path, make: Callable[[str], str]) -> str:
    """The text of ``path``, a file whose generated parts are made from a run (README.md's
    tables and corpus numbers): ``make(text)`` gives the text with those parts as they should
    be, and the caller compares. Under ``GLOO_HARDEN_UPDATE_GOLDEN=1`` the file is first
    rewritten to ``make(text)``, under an exclusive lock (several tests rewrite parts of one
    file, and pytest-xdist runs them at once)."""
    with path.open("r+", encoding="utf-8", newline="") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        text = handle.read()
        if UPDATE_GOLDEN:
            text = make(text)
            handle.seek(0)
            handle.truncate()
            handle.write(text)
        return text


def unavailable(reason: str) -> NoReturn:
    """Skip the test for ``reason``, or fail it in CI (``GLOO_HARDEN_REQUIRE_CLIENTS=1``)."""
    if REQUIRED:
        pytest.fail(f"{reason} (required: GLOO_HARDEN_REQUIRE_CLIENTS=1)")
    pytest.skip(reason)


def corpus_files() -> list[Path]:
    """The real rendered manifests, or nothing when the corpus is not there."""
    return sorted(CORPUS.glob("*.yaml")) if CORPUS.is_dir() else []


def corpus_params() -> list[Any]:
    """``corpus_files()`` for ``parametrize``; without a corpus, one case that skips (or fails
    in CI) saying so, instead of an empty parameter set that skips without a word."""
    return corpus_files() or [pytest.param(None, id="no-corpus", marks=needs_corpus)]


#: The test reads the corpus: it skips with the reason when there is none, and fails in CI.
needs_corpus = pytest.mark.corpus


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("corpus") is not None and not corpus_files():
        unavailable(f"no corpus of real renders at {CORPUS}: set GLOO_HARDEN_CORPUS to the "
                    "folder (default ../shared/corpus beside the repository)")


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


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real kube-apiserver (PodSecurity on), etcd and kube-controller-manager on 127.0.0.1,
    one per session and xdist worker, stopped by PID at the end (tests/controlplane.py). Skips,
    or fails in CI, when the binaries are not built (.ci/control-plane/build)."""
    import controlplane  # not at import time: it imports this module

    yield from controlplane.session(tmp_path_factory)


@pytest.fixture
def namespace(control_plane: Any, request: pytest.FixtureRequest) -> str:
    """A fresh namespace of ``control_plane`` for this test, named after it."""
    name: str = control_plane.namespace(request.node.name.split("[")[0].removeprefix("test_")[:40])
    return name


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


#: ``--evidence`` of a cluster with no Gloo Gateway, route or Gateway API Gateway: what
#: ``gloo-harden explain evidence``'s commands write there (an empty ``kind: List`` per
#: resource). Tests about something else pass it, so no kind is unseen.
EMPTY_CLUSTER = Path(__file__).parent / "data" / "evidence" / "empty-cluster"


def empty_cluster() -> Any:
    """``EMPTY_CLUSTER`` as pipeline ``Options.evidence``."""
    from gloo_harden.gloo.evidence import Evidence

    return Evidence((), frozenset(p.stem for p in EMPTY_CLUSTER.glob("*.yaml")))
