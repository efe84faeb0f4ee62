"""Where the output goes, and the exit codes (README "Outputs and exit codes").

One rule: ``-o FILE`` always receives the hardened stream; stdout carries the stream without
``-o FILE``, the diff under ``--diff`` and nothing under ``--check``; ``-`` is stdout; a
refusal (exit 1 with an ``error`` result) writes no stream and no diff, only the results.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import stat
import subprocess
import termios
from pathlib import Path

import pytest

from conftest import BIN_DIR, EMPTY_CLUSTER, REPO, pinned, run_tool, tool_env

EXAMPLE = REPO / "examples" / "pipe" / "gloo-rendered.yaml"
#: the example with a Service that sends port 80 to the proxy: the guard keeps NET_BIND_SERVICE
PORT_80 = EXAMPLE.read_text().replace("targetPort: 8080", "targetPort: 80")


def only_line(result: subprocess.CompletedProcess[bytes]) -> str:
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("mode", [[], ["--diff"], ["--check"]], ids=["stream", "diff", "check"])
def test_a_refusal_writes_no_stream_anywhere_but_keeps_the_results(tmp_path: Path,
                                                                   mode: list[str]) -> None:
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(PORT_80)
    target, results = tmp_path / "hardened.yaml", tmp_path / "results.json"
    target.write_text("previous\n")
    to_stdout = run_tool("--evidence", str(EMPTY_CLUSTER), "--strict", *mode, str(rendered))
    assert to_stdout.returncode == 1 and to_stdout.stdout == b""
    assert "[error]" in to_stdout.stderr.decode()
    to_file = run_tool("--evidence", str(EMPTY_CLUSTER), "--strict", *mode, str(rendered), "-o", str(target),
                       "--results", str(results))
    assert to_file.returncode == 1 and to_file.stdout == b""
    assert target.read_text() == "previous\n"
    assert [r["severity"] for r in json.loads(results.read_text())].count("error") == 1


def test_output_file_receives_the_stream_under_check_and_diff_too(tmp_path: Path) -> None:
    expected = run_tool("--evidence", str(EMPTY_CLUSTER), str(EXAMPLE)).stdout
    for mode, stdout_starts in (("--check", b""), ("--diff", b"--- ")):
        target = tmp_path / f"{mode[2:]}.yaml"
        done = run_tool("--evidence", str(EMPTY_CLUSTER), mode, str(EXAMPLE), "-o", str(target))
        assert done.returncode == (1 if mode == "--check" else 0)
        assert done.stdout.startswith(stdout_starts) and bool(done.stdout) == bool(stdout_starts)
        assert target.read_bytes() == expected


def test_dash_is_stdout_for_output_and_results(tmp_path: Path) -> None:
    expected = run_tool("--evidence", str(EMPTY_CLUSTER), str(EXAMPLE), *pinned()).stdout
    done = run_tool("--evidence", str(EMPTY_CLUSTER), str(EXAMPLE), *pinned(), "-o", "-", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == expected
    target = tmp_path / "out.yaml"
    done = run_tool("--evidence", str(EMPTY_CLUSTER), str(EXAMPLE), *pinned(), "-o", str(target), "--results", "-", cwd=tmp_path)
    assert done.returncode == 0 and target.read_bytes() == expected
    assert json.loads(done.stdout)[0]["hardening"] == "drop-net-bind-service"
    checked = run_tool("--evidence", str(EMPTY_CLUSTER), "--check", *pinned(), str(EXAMPLE), "--results", "-", cwd=tmp_path)
    assert checked.returncode == 1 and len(json.loads(checked.stdout)) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml"]  # no file named "-"


@pytest.mark.parametrize("args", [["--results", "-"], ["-o", "-", "--results", "-"],
                                  ["--diff", "--results", "-"]])
def test_results_on_stdout_beside_the_stream_is_an_argument_error(tmp_path: Path,
                                                                   args: list[str]) -> None:
    done = run_tool("--evidence", str(EMPTY_CLUSTER), str(EXAMPLE), *args, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == b""
    assert only_line(done).startswith("gloo-harden: --results -: stdout already carries")
    assert list(tmp_path.iterdir()) == []


def run_with_umask(umask: int, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(BIN_DIR / "gloo-harden"), *args], capture_output=True,
                          env=tool_env(), preexec_fn=lambda: os.umask(umask), timeout=300)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_new_files_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    out, results = tmp_path / "out.yaml", tmp_path / "results.json"
    assert run_with_umask(umask, str(EXAMPLE), "-o", str(out),
                          "--results", str(results)).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == mode
    assert stat.S_IMODE(results.stat().st_mode) == mode


@pytest.mark.parametrize("mode", [0o644, 0o664, 0o600, 0o755])
def test_an_existing_file_keeps_its_mode_also_in_place(tmp_path: Path, mode: int) -> None:
    rendered = tmp_path / "rendered.yaml"
    shutil.copy(EXAMPLE, rendered)
    results = tmp_path / "results.json"
    results.write_text("[]\n")
    for path in (rendered, results):
        path.chmod(mode)
    done = run_with_umask(0o077, str(rendered), "-o", str(rendered), "--results", str(results))
    assert done.returncode == 0
    assert "readOnlyRootFilesystem: true" in rendered.read_text()
    assert stat.S_IMODE(rendered.stat().st_mode) == mode
    assert stat.S_IMODE(results.stat().st_mode) == mode


@pytest.mark.parametrize("hid", ["drop-net-bind-service", "read-only-root-filesystem"])
def test_enable_and_disable_of_one_id_is_an_argument_error(hid: str) -> None:
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--enable", hid, "--disable", hid, "--check", "--strict", str(EXAMPLE))
    assert done.returncode == 2 and done.stdout == b""
    assert only_line(done) == (f'gloo-harden: hardening "{hid}": both enabled and disabled; '
                               "expected it in one of them (a run that enables nothing would "
                               "pass every gate)")


def test_enable_and_disable_of_one_id_in_a_function_config_is_a_problem() -> None:
    from gloo_harden.run.options import ConfigProblems, Request, resolve

    hid = "drop-net-bind-service"
    typed = {"apiVersion": "gloo-harden.dev/v1alpha1", "kind": "GlooHardening",
             "spec": {"enable": [hid], "disable": [hid]}}
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"enable": hid}}
    for config, request, where in ((typed, Request(), "spec.enable[0]"),
                                   (configmap, Request(disable=(hid,)), "data.enable")):
        with pytest.raises(ConfigProblems) as caught:
            resolve(request, config)
        assert [str(p) for p in caught.value.problems] == [
            f'{where}: hardening "{hid}" is both enabled and disabled; expected it in one of '
            "enable and disable"]


def test_enable_and_disable_of_one_id_under_kpt_is_an_error_result() -> None:
    hid = "drop-net-bind-service"
    done = run_tool("--evidence", str(EMPTY_CLUSTER), input="apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n"
                          "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n"
                          f"  data:\n    enable: {hid}\n    disable: {hid}\n")
    assert done.returncode != 0
    assert "is both enabled and disabled" in done.stdout.decode()


EMPTY_INPUTS = {"nothing": b"", "separators": b"---\n---\n", "comments": b"# helm failed\n",
                "not-objects": b"---\n# Source: x\n---\n"}


@pytest.mark.parametrize("data", EMPTY_INPUTS.values(), ids=EMPTY_INPUTS.keys())
def test_empty_input_is_an_error_under_strict_or_fail_on_empty(tmp_path: Path,
                                                               data: bytes) -> None:
    relaxed = run_tool("--evidence", str(EMPTY_CLUSTER), input=data)
    assert relaxed.returncode == 0
    assert "[warning]: the input holds no Kubernetes objects" in relaxed.stderr.decode()
    target = tmp_path / "out.yaml"
    for flags in (["--strict"], ["--fail-on-empty"], ["--strict", "--check"],
                  ["--fail-on-empty", "-o", str(target)]):
        done = run_tool("--evidence", str(EMPTY_CLUSTER), *flags, "-", input=data)
        assert done.returncode == 1 and done.stdout == b"", flags
        assert ("[error]: the input holds no Kubernetes objects; expected rendered manifests"
                in done.stderr.decode())
        assert not target.exists()


def test_empty_resource_list_under_strict_is_an_error_result() -> None:
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--strict", input="apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
                                      "items: []\n")
    assert done.returncode == 1
    assert "the input holds no Kubernetes objects" in done.stdout.decode()


def test_a_terminal_on_stdin_without_file_is_refused_at_once() -> None:
    primary, secondary = pty.openpty()
    attributes = termios.tcgetattr(secondary)
    attributes[3] &= ~termios.ECHO  # nobody reads the echo back
    termios.tcsetattr(secondary, termios.TCSANOW, attributes)
    try:
        done = subprocess.run([str(BIN_DIR / "gloo-harden")], stdin=secondary,
                              capture_output=True, env=tool_env(), timeout=60)
        assert done.returncode == 2 and done.stdout == b""
        assert only_line(done) == (
            "gloo-harden: stdin: is a terminal and no FILE is given; expected manifests on "
            "stdin (helm template ... | gloo-harden) or FILE arguments (- reads the terminal)")
        with_dash = subprocess.Popen([str(BIN_DIR / "gloo-harden"), "-"], stdin=secondary,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=tool_env())
        os.write(primary, EXAMPLE.read_bytes() + b"\x04")  # Ctrl-D ends the terminal's input
        out, err = with_dash.communicate(timeout=60)
    finally:
        os.close(primary)
        os.close(secondary)
    assert with_dash.returncode == 0 and b"readOnlyRootFilesystem: true" in out
    assert err.decode().startswith("gloo-harden: reading manifests from the terminal; end "
                                   "them with Ctrl-D\n")


def test_quiet_prints_no_summary() -> None:
    quiet = run_tool("--evidence", str(EMPTY_CLUSTER), "--quiet", str(EXAMPLE))
    assert quiet.returncode == 0 and quiet.stderr == b""
    kept = run_tool("--evidence", str(EMPTY_CLUSTER), "--quiet", input=PORT_80)
    assert [line.split()[:2] for line in kept.stderr.decode().splitlines()] == [
        ["stdin:", "[warning]"]]  # every line names its file
    assert "gloo-harden: 5 changes" in run_tool("--evidence", str(EMPTY_CLUSTER), *pinned(), str(EXAMPLE)).stderr.decode()
