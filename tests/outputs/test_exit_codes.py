"""Exit codes that mean what they say (``outputs.exits``): 2 for what the user can change —
arguments, input, and every file, folder, device or disk that cannot be used —, 130 for
Ctrl-C whatever the options, and 3 for our bugs alone.

Every device, FIFO and folder here is made in a temporary folder; a folder the user cannot
write is made with a user namespace (``unshare -r``: root inside, but the folder belongs to
an unmapped user), a read-only bind mount in a private mount namespace, or ``chattr +i`` —
never by touching a system path.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BIN_DIR, REPO, run_tool, tool_env, unavailable

EXAMPLE = REPO / "examples" / "pipe" / "gloo-rendered.yaml"
GLOO_HARDEN = str(BIN_DIR / "gloo-harden")


def full_device(folder: Path) -> Path:
    """A node with /dev/full's numbers: every write fails with ENOSPC."""
    path = folder / "full"
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except PermissionError:
        unavailable("cannot make a device node here (mknod needs root with CAP_MKNOD)")
    return path


def only_line(done: subprocess.CompletedProcess[bytes]) -> str:
    """The run's one line: what was found before any work is the only thing said."""
    text = done.stderr.decode()
    assert text.count("\n") == 1 and text.startswith("gloo-harden: "), text
    return text.removeprefix("gloo-harden: ").rstrip("\n")


def last_line(done: subprocess.CompletedProcess[bytes]) -> str:
    """The line a run ends with when a write fails after the work (a full disk cannot be
    known before): the results were said, then one line for the failure, no traceback."""
    lines = done.stderr.decode().splitlines()
    assert "Traceback" not in done.stderr.decode() and lines[-1].startswith("gloo-harden: ")
    assert sum("cannot write" in line for line in lines) == 1, lines
    return lines[-1].removeprefix("gloo-harden: ")


# Ctrl-C ------------------------------------------------------------------------------------


@pytest.mark.parametrize("options", [
    [], ["--quiet"], ["--check"], ["--diff"], ["-o", "{out}"], ["--strict", "--separate-renders"],
    ["--results", "{results}", "-o", "{out}"], ["--results-format", "sarif", "--results", "{results}"],
], ids=lambda o: " ".join(o) or "no-options")
def test_ctrl_c_is_a_clean_130_whatever_the_options(tmp_path: Path, options: list[str]) -> None:
    """A real SIGINT, sent once gloo-harden is reading its input: a FIFO, which our side opens
    for writing only when gloo-harden has opened it for reading (past start-up and parsing)."""
    fifo = tmp_path / "input.yaml"
    os.mkfifo(fifo)
    out, results = tmp_path / "out.yaml", tmp_path / "results.json"
    results.write_text("[]\n")  # an earlier run's
    argv = [o.format(out=out, results=results) for o in options]
    child = subprocess.Popen([*_WITH_DEFAULT_SIGINT, GLOO_HARDEN, *argv, str(fifo)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=tool_env())
    try:
        writer = _open_when_read(fifo, child)
        try:
            child.send_signal(signal.SIGINT)
            stdout, stderr = child.communicate(timeout=600)
        finally:
            os.close(writer)
    finally:
        child.kill()
    assert (child.returncode, stdout, stderr) == (130, b"", b"gloo-harden: interrupted\n")
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.yaml", "results.json"]
    if "--results" in options:  # it says this run was interrupted
        text = results.read_text()
        assert "interrupted" in text and (json.loads(text) != [])


#: Starts the command after it with SIGINT at its default: a suite started in the background
#: by a shell without job control inherits SIGINT ignored, and so would gloo-harden (as any
#: program started so should), which would then never see the signal this test sends.
_WITH_DEFAULT_SIGINT = [
    sys.executable, "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"]


def _open_when_read(fifo: Path, child: subprocess.Popen[bytes]) -> int:
    """Open ``fifo`` for writing once ``child`` has opened it for reading (ENXIO until then);
    a child that ended first fails the test instead of hanging it."""
    import errno
    import time

    for _ in range(60000):  # a bound against a hang, not a time being measured
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
        assert child.poll() is None, child.communicate()
        time.sleep(0.01)
    raise AssertionError("gloo-harden never opened its input")


# a full disk -------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["-o", "--results"])
def test_a_full_device_as_target_is_exit_2_naming_it(tmp_path: Path, option: str) -> None:
    full = full_device(tmp_path)
    extra = ["-o", str(tmp_path / "out.yaml")] if option == "--results" else []
    done = run_tool(str(EXAMPLE), option, str(full), *extra)
    assert (done.returncode, done.stdout) == (2, b"")
    assert last_line(done) == (f"{full}: cannot write (No space left on device); expected "
                               "room for the output on its file system")
    assert stat.S_ISCHR(os.stat(full).st_mode)


@pytest.mark.parametrize("mode", [[], ["--diff"], ["--check", "--results", "-"]],
                         ids=["stream", "diff", "results"])
def test_stdout_on_a_full_device_is_exit_2(tmp_path: Path, mode: list[str]) -> None:
    full = full_device(tmp_path)
    with full.open("wb") as stdout:
        done = subprocess.run([GLOO_HARDEN, *mode, str(EXAMPLE)], stdout=stdout,
                              stderr=subprocess.PIPE, env=tool_env(), timeout=300)
    assert done.returncode == 2
    assert last_line(done) == ("stdout: cannot write (No space left on device); expected room "
                               "for the output where stdout leads")


def test_a_resource_list_answer_to_a_full_stdout_is_exit_2(tmp_path: Path) -> None:
    full = full_device(tmp_path)
    resource_list = ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- "
                     + EXAMPLE.read_text().split("---\n")[1].replace("\n", "\n  "))
    with full.open("wb") as stdout:
        done = subprocess.run([GLOO_HARDEN], input=resource_list.encode(), stdout=stdout,
                              stderr=subprocess.PIPE, env=tool_env(), timeout=300)
    assert done.returncode == 2
    assert last_line(done).startswith("stdout: cannot write (No space left on device)")


# a folder the user cannot write ------------------------------------------------------------


def _in_user_namespace(argv: list[str]) -> list[str]:
    if shutil.which("unshare") is None:
        unavailable("unshare (util-linux) is not installed")
    probe = subprocess.run(["unshare", "-r", "true"], capture_output=True, timeout=60)
    if probe.returncode != 0:
        unavailable(f"no user namespaces here: {probe.stderr.decode().strip()}")
    return ["unshare", "-r", *argv]


def test_output_in_a_folder_of_another_user_is_exit_2_naming_the_folder(tmp_path: Path) -> None:
    """As the image runs (uid 65534) in a folder it does not own: root inside a user namespace
    has no rights over a folder of an unmapped user."""
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o755)
    os.chown(folder, 65534, 65534)
    folder.chmod(0o555)
    target = folder / "hardened.yaml"
    done = subprocess.run(_in_user_namespace([GLOO_HARDEN, str(EXAMPLE), "-o", str(target)]),
                          capture_output=True, env=tool_env(), timeout=300)
    assert (done.returncode, done.stdout) == (2, b"")
    assert only_line(done) == (f"{target}: cannot create a file in {folder} (Permission "
                               "denied); expected a directory you can write to")
    assert list(folder.iterdir()) == []


def test_output_on_a_read_only_mount_is_exit_2_naming_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "mounted"
    folder.mkdir()
    target = folder / "hardened.yaml"
    script = ('mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"')
    argv = _in_user_namespace([])[:1] + ["-m", "sh", "-c", script, "sh", str(folder),
                                          GLOO_HARDEN, str(EXAMPLE), "-o", str(target)]
    done = subprocess.run(argv, capture_output=True, env=tool_env(), timeout=300)
    if done.returncode != 2 and b"mount" in done.stderr:
        unavailable(f"no private mount namespace here: {done.stderr.decode().strip()}")
    assert only_line(done) == (f"{target}: cannot create a file in {folder} (Read-only file "
                               "system); expected a directory you can write to")


def test_output_in_an_immutable_folder_is_exit_2_naming_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "immutable"
    folder.mkdir()
    if shutil.which("chattr") is None or subprocess.run(
            ["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        unavailable("chattr +i is not possible here (e2fsprogs, ext4 and CAP_LINUX_IMMUTABLE)")
    try:
        done = run_tool(str(EXAMPLE), "-o", str(folder / "hardened.yaml"))
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    assert done.returncode == 2
    assert only_line(done) == (f"{folder / 'hardened.yaml'}: cannot create a file in {folder} "
                               "(Operation not permitted); expected a directory you can write "
                               "to")


def test_a_patches_folder_that_cannot_be_listed_is_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "patches"
    folder.mkdir()
    os.chown(folder, 65534, 65534)
    folder.chmod(0)
    done = subprocess.run(_in_user_namespace([GLOO_HARDEN, "--patches", str(folder),
                                              str(EXAMPLE)]),
                          capture_output=True, env=tool_env(), timeout=300)
    assert (done.returncode, done.stdout) == (2, b"")
    assert only_line(done) == (f"{folder}: cannot list (Permission denied); expected a "
                               "readable folder of Hardening *.yaml files")


def test_stderr_on_a_full_device_is_still_exit_2(tmp_path: Path) -> None:
    """Nothing can be said, and no traceback is attempted: the exit code says it."""
    full = full_device(tmp_path)
    with full.open("wb") as stderr:
        done = subprocess.run([GLOO_HARDEN, str(EXAMPLE)], stdout=subprocess.PIPE,
                              stderr=stderr, env=tool_env(), timeout=300)
    assert (done.returncode, done.stdout) == (2, b"")


@pytest.mark.parametrize("args", [[str(EXAMPLE)], [str(EXAMPLE), "/nonexistent/x.yaml"]])
def test_a_plain_run_ends_without_teardown_as_sys_exit_would(args: list[str]) -> None:
    """``exits.leave``: the atexit callbacks still run, stdout and stderr are complete, the
    code is the run's, and the cyclic collector was never started."""

    probe = subprocess.run(
        [sys.executable, "-c",
         "import atexit, gc, sys\n"
         "atexit.register(lambda: print('collector on', gc.isenabled(), file=sys.stderr))\n"
         f"sys.argv = ['gloo-harden', *{args!r}]\n"
         "from gloo_harden.__main__ import main\n"
         "main()\n"], capture_output=True, text=True, env=tool_env(), timeout=60)
    plain = subprocess.run([GLOO_HARDEN, *args], capture_output=True, text=True,
                           env=tool_env(), timeout=60)
    assert probe.stderr.splitlines()[-1] == "collector on False"
    assert (probe.returncode, probe.stdout) == (plain.returncode, plain.stdout)
    assert probe.stderr.splitlines()[:-1] == plain.stderr.splitlines()
    assert plain.returncode == (0 if len(args) == 1 else 2)
    assert plain.stdout.endswith("\n") if len(args) == 1 else plain.stdout == ""


def test_leave_keeps_sys_exit_for_a_code_that_is_not_a_number() -> None:
    from gloo_harden.outputs import exits

    done = SystemExit("a message")
    with pytest.raises(SystemExit) as left:
        exits.leave(done)
    assert left.value is done
