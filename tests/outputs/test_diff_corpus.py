"""``--diff`` over several real renders, where gloo-harden adds objects to some (kgateway
2.0/2.1): GNU ``patch`` applied to the files gives, file by file and byte for byte, what ``-o``
writes for that file. Added objects are in their own file's diff, and no diff touches another
file's documents.

The mixes: every ordered pair of corpus renders that holds a render gloo-harden adds objects
to (found by running each render, not listed here), and the whole corpus in both orders; each
one as one stream and with ``--separate-renders``."""

from __future__ import annotations

import functools
import itertools
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import corpus_files, needs_corpus, run_tool
from gloo_harden.outputs import diffs
from gloo_harden.run import hardenings
from gloo_harden.run.pipeline import Options, Outcome, Source, harden, read
from gloo_harden.yamltext import stream

pytestmark = needs_corpus
OPTIONS = Options(hardenings.builtin())


def _patch(folder: Path, diff: str) -> None:
    if shutil.which("patch") is None:
        pytest.fail("GNU patch is not installed (Debian: apt-get install patch)")
    done = subprocess.run(["patch", "-p0", "--batch", "--forward"], input=diff.encode(),
                          cwd=folder, capture_output=True)
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    assert b"offset" not in done.stdout and b"fuzz" not in done.stdout.lower(), done.stdout


def _run(paths: tuple[Path, ...], separate: bool) -> Outcome:
    return harden([Source(p.name, p.read_bytes()) for p in paths],
                  OPTIONS._replace(separate_renders=separate))


@functools.lru_cache(maxsize=1)
def _adders() -> tuple[Path, ...]:
    """The corpus renders gloo-harden adds objects to."""
    return tuple(p for p in corpus_files() if _run((p,), False).added)


def _mixes() -> list[tuple[Path, ...]]:
    files = corpus_files()
    adders = set(_adders())
    pairs = [pair for pair in itertools.permutations(files, 2) if adders & set(pair)]
    return pairs + [tuple(files), tuple(reversed(files))]


def test_the_corpus_has_renders_that_get_objects_added() -> None:
    assert len(_adders()) >= 2  # kgateway 2.0.5 and 2.1.2: else this file tests too little


@pytest.mark.parametrize("separate", [False, True], ids=["one-stream", "separate-renders"])
def test_patched_files_are_what_o_writes_for_each_file(tmp_path: Path, separate: bool) -> None:
    for number, mix in enumerate(_mixes()):
        folder = tmp_path / str(number)
        folder.mkdir()
        for path in mix:
            shutil.copyfile(path, folder / path.name)
        outcome = _run(mix, separate)
        texts = [(p.name, stream.decode_exact(p.read_bytes(), p.name)) for p in mix]
        diff = diffs.per_file(texts, outcome.pieces, outcome.added)
        _patch(folder, diff)
        patched = [(folder / p.name).read_bytes() for p in mix]
        # the files, joined as gloo-harden joins its inputs, are -o's output byte for byte
        assert stream.join(read(Source(p.name, data) for p, data in zip(mix, patched, strict=True)), {}) \
            == outcome.text, [p.name for p in mix]
        if separate:  # each render alone: the file is what -o writes for it alone
            for path, data in zip(mix, patched, strict=True):
                assert data.decode() == _run((path,), False).text, (path.name, [p.name for p in mix])
        else:  # additions go to the last file; every other file changes only its own lines
            for path, data in zip(mix[:-1], patched[:-1], strict=True):
                assert len(stream.split(data.decode(), path.name)) == \
                    len(stream.split(path.read_text(), path.name)), path.name


@pytest.mark.parametrize("separate", [False, True], ids=["one-stream", "separate-renders"])
def test_the_readme_command_over_the_corpus(tmp_path: Path, separate: bool) -> None:
    """``gloo-harden [--separate-renders] --diff rendered/*.yaml | patch -p0``, then ``--check``
    on the patched files finds no change left to make and ``-o`` of the originals is their join."""
    rendered = tmp_path / "rendered"
    rendered.mkdir()
    for path in corpus_files():
        shutil.copyfile(path, rendered / path.name)
    names = [f"rendered/{p.name}" for p in corpus_files()]
    flag = ["--separate-renders"] if separate else []
    written = run_tool(*flag, "-o", "all.yaml", *names, cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    done = run_tool(*flag, "--diff", *names, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    _patch(tmp_path, done.stdout.decode())
    joined = stream.join(read(Source(n, (tmp_path / n).read_bytes()) for n in names), {})
    assert joined == (tmp_path / "all.yaml").read_text()
    check = run_tool(*flag, "--check", *names, cwd=tmp_path)  # exit 1: corpus installs already broken
    assert check.stderr.decode().splitlines()[-1].startswith("gloo-harden: 0 changes in 0 documents")
    assert run_tool(*flag, "--diff", *names, cwd=tmp_path).stdout == b""
