"""Never damage a target. ``-o`` and ``--results`` write atomically (a temporary file renamed
over the path) only over a regular file or a new path; a character device, a FIFO, a socket,
or a path naming one of the process's own descriptors (``/dev/stdout``) is written straight
into; a symlink is followed and its target replaced, never the link. Every node here is made
in a temporary folder: no test writes to a system path.

``--results FILE`` always describes this run, its errors included, whenever it can be
written: a stale file from an earlier run is never left to be read as this one's.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import REPO, run_tool, unavailable

EXAMPLE = REPO / "examples" / "pipe" / "gloo-rendered.yaml"
#: the pipe example with its proxy's Service on port 80: --strict refuses it (exit 1)
PORT_80 = EXAMPLE.read_text().replace("targetPort: 8080", "targetPort: 80")


@pytest.fixture(scope="module")
def expected() -> bytes:
    done = run_tool(str(EXAMPLE))
    assert done.returncode == 0 and done.stdout
    return done.stdout


def device(path: Path, kind: int, major: int, minor: int) -> Path:
    """A device node in a temporary folder (``mknod``; root with CAP_MKNOD)."""
    try:
        os.mknod(path, kind | 0o666, os.makedev(major, minor))
    except PermissionError:
        unavailable("cannot make a device node here (mknod needs root with CAP_MKNOD)")
    return path


def reading(path: Path, read: Callable[[], bytes]) -> tuple[threading.Thread, list[bytes]]:
    got: list[bytes] = []
    thread = threading.Thread(target=lambda: got.append(read()), daemon=True)
    thread.start()
    return thread, got


@pytest.mark.parametrize("option", ["-o", "--results"])
def test_a_character_device_is_written_into_and_stays_a_device(tmp_path: Path,
                                                                option: str) -> None:
    null = device(tmp_path / "null", stat.S_IFCHR, 1, 3)  # what /dev/null is
    before = os.stat(null)
    done = run_tool(str(EXAMPLE), option, str(null), *(["--check"] if option != "-o" else []))
    assert done.returncode in (0, 1), done.stderr
    after = os.stat(null)
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino,
                                                                           before.st_rdev)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]  # no temporary file left


@pytest.mark.parametrize("option", ["-o", "--results"])
def test_a_fifo_is_written_into(tmp_path: Path, option: str, expected: bytes) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    thread, got = reading(fifo, fifo.read_bytes)
    extra = ["-o", str(tmp_path / "out.yaml")] if option == "--results" else []
    done = run_tool(str(EXAMPLE), option, str(fifo), *extra)
    thread.join(60)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    if option == "-o":
        assert got == [expected]
    else:
        assert json.loads(got[0])[0]["hardening"] == "drop-net-bind-service"


def test_a_socket_is_written_into(tmp_path: Path, expected: bytes) -> None:
    path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def receive() -> bytes:
        connection, _ = server.accept()
        with connection:
            return b"".join(iter(lambda: connection.recv(65536), b""))

    thread, got = reading(path, receive)
    done = run_tool(str(EXAMPLE), "-o", str(path))
    thread.join(60)
    server.close()
    assert done.returncode == 0, done.stderr
    assert got == [expected] and stat.S_ISSOCK(os.stat(path).st_mode)


def test_a_symlink_is_followed_and_its_target_replaced(tmp_path: Path, expected: bytes) -> None:
    real = tmp_path / "real" / "hardened.yaml"
    real.parent.mkdir()
    real.write_text("previous\n")
    real.chmod(0o640)
    (tmp_path / "links").mkdir()
    link = tmp_path / "links" / "link.yaml"
    link.symlink_to("../real/hardened.yaml")  # relative to the link's own folder
    chain = tmp_path / "chain.yaml"
    chain.symlink_to(link)
    done = run_tool(str(EXAMPLE), "-o", str(chain))
    assert done.returncode == 0, done.stderr
    assert os.readlink(chain) == str(link) and os.readlink(link) == "../real/hardened.yaml"
    assert real.read_bytes() == expected and stat.S_IMODE(os.stat(real).st_mode) == 0o640
    assert sorted(p.name for p in real.parent.iterdir()) == ["hardened.yaml"]


def test_a_dangling_symlink_gets_its_target_created(tmp_path: Path, expected: bytes) -> None:
    link = tmp_path / "results.json"
    link.symlink_to("kept/results.json")
    (tmp_path / "kept").mkdir()
    out = tmp_path / "out.yaml"
    done = run_tool(str(EXAMPLE), "-o", str(out), "--results", str(link))
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and os.readlink(link) == "kept/results.json"
    assert json.loads((tmp_path / "kept" / "results.json").read_text())
    assert out.read_bytes() == expected


def test_a_link_to_our_own_stdout_writes_into_it_and_keeps_an_append(tmp_path: Path,
                                                                     expected: bytes) -> None:
    """What ``/dev/stdout`` is (a link to ``/proc/self/fd/1``), made in a temporary folder:
    the stream goes into the open descriptor, so a shell's ``>>`` appends."""
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    log = tmp_path / "log.txt"
    log.write_bytes(b"before\n")
    import subprocess

    from conftest import BIN_DIR, tool_env

    with log.open("ab") as appended:
        done = subprocess.run([str(BIN_DIR / "gloo-harden"), str(EXAMPLE), "-o", str(link)],
                              stdout=appended, stderr=subprocess.PIPE, env=tool_env(),
                              timeout=300)
    assert done.returncode == 0, done.stderr
    assert log.read_bytes() == b"before\n" + expected
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"


def test_results_into_a_link_to_our_own_stderr(tmp_path: Path) -> None:
    link = tmp_path / "stderr"
    link.symlink_to("/proc/self/fd/2")
    done = run_tool(str(EXAMPLE), "--check", "--results", str(link))
    assert done.returncode == 1
    assert '"hardening": "drop-net-bind-service"' in done.stderr.decode()
    assert link.is_symlink()


@pytest.mark.parametrize("what", ["a directory", "a block device"])
def test_what_cannot_take_a_stream_is_one_line_and_exit_2(tmp_path: Path, what: str) -> None:
    if what == "a directory":
        target = tmp_path / "folder"
        target.mkdir()
    else:
        target = device(tmp_path / "disk", stat.S_IFBLK, 7, 0)  # a loop device's numbers
    before = os.stat(target)
    done = run_tool(str(EXAMPLE), "-o", str(target))
    assert (done.returncode, done.stdout) == (2, b"")
    line = done.stderr.decode()  # click's own words for a directory, ours for a device
    assert line.count("\n") == 1 and str(target) in line and what.split()[-1] in line
    assert os.stat(target).st_ino == before.st_ino


# --results always describes this run ----------------------------------------------------------


def stale(path: Path) -> Path:
    path.write_text('[{"severity": "info", "message": "an earlier run"}]\n')
    return path


@pytest.mark.parametrize(("args", "code"), [
    (["{missing}"], 2),                         # an input that cannot be read
    (["{bad}"], 2),                             # one that is not YAML
    (["--enable", "no-such-id", "{example}"], 2),  # an option value we cannot use
    (["--no-such-option", "{example}"], 2),     # one click refuses
    (["--strict", "{port80}"], 1),              # a refusal
])
def test_results_describe_this_run_also_when_it_fails(tmp_path: Path, args: list[str],
                                                      code: int) -> None:
    results = stale(tmp_path / "results.json")
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [unclosed\n")
    port80 = tmp_path / "port80.yaml"
    port80.write_text(PORT_80)
    names = {"missing": str(tmp_path / "missing.yaml"), "bad": str(bad),
             "example": str(EXAMPLE), "port80": str(port80)}
    argv = [a.format(**names) for a in args]
    done = run_tool(*argv, "--results", str(results), "-o", str(tmp_path / "out.yaml"))
    assert done.returncode == code, done.stderr
    written = json.loads(results.read_text())
    errors = [r for r in written if r["severity"] == "error"]
    assert errors and "an earlier run" not in results.read_text()
    if code == 2:
        line = done.stderr.decode()
        assert line.count("\n") == 1 and written == [
            {"severity": "error", "message": line.removeprefix("gloo-harden: ").rstrip("\n")}]


def test_sarif_results_of_a_failed_run_say_it_failed(tmp_path: Path) -> None:
    results = stale(tmp_path / "results.sarif")
    done = run_tool(str(tmp_path / "missing.yaml"), "--results-format", "sarif",
                    "--results", str(results))
    assert done.returncode == 2
    (run,) = json.loads(results.read_text())["runs"]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 2
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"] == done.stderr.decode().removeprefix("gloo-harden: ").strip()
    assert run["results"] == []


def test_a_failing_run_does_not_wait_for_a_results_fifo_nobody_reads(tmp_path: Path) -> None:
    """The error is still the run's line, and the run ends (no reader: nothing to tell)."""
    fifo = tmp_path / "results.fifo"
    os.mkfifo(fifo)
    done = run_tool(str(tmp_path / "missing.yaml"), "--results", str(fifo))
    assert done.returncode == 2
    assert done.stderr.decode().startswith(f"gloo-harden: {tmp_path / 'missing.yaml'}: cannot read")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
