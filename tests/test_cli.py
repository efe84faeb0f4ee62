"""The command line, run as a user runs it (the installed script, in a subprocess)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import EMPTY_CLUSTER, REPO, pinned, run_tool
from gloo_harden.run import hardenings

EXAMPLE = REPO / "examples" / "pipe" / "gloo-rendered.yaml"


def test_pipe_hardens_and_reports_on_stderr() -> None:
    result = run_tool("--evidence", str(EMPTY_CLUSTER), *pinned(), input=EXAMPLE.read_bytes())
    assert result.returncode == 0
    out, err = result.stdout.decode(), result.stderr.decode()
    assert "add: []" in out and "readOnlyRootFilesystem: true" in out
    assert "[info]" in err and "gloo-harden: 5 changes in 3 documents" in err
    assert "[info]" not in out


def test_files_and_output_file(tmp_path: Path) -> None:
    target = tmp_path / "hardened.yaml"
    result = run_tool("--evidence", str(EMPTY_CLUSTER), str(EXAMPLE), "-o", str(target))
    assert result.returncode == 0 and result.stdout == b""
    assert "disableKubernetesDestinations: true" in target.read_text()


def test_output_file_untouched_on_error(tmp_path: Path) -> None:
    target = tmp_path / "hardened.yaml"
    target.write_text("previous\n")
    result = run_tool("--evidence", str(EMPTY_CLUSTER), "-", "-o", str(target), input="a: [1\n")
    assert result.returncode == 2 and result.stdout == b""
    assert target.read_text() == "previous\n"
    assert list(tmp_path.iterdir()) == [target]


def test_output_into_missing_directory(tmp_path: Path) -> None:
    result = run_tool("--evidence", str(EMPTY_CLUSTER), str(EXAMPLE), "-o", str(tmp_path / "no" / "out.yaml"))
    assert result.returncode == 2 and result.stdout == b""
    assert "does not exist" in result.stderr.decode()


def test_unknown_hardening_lists_the_valid_ones() -> None:
    result = run_tool("--evidence", str(EMPTY_CLUSTER), "--disable", "drop-everything", str(EXAMPLE))
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode() == (
        'gloo-harden: hardening "drop-everything": unknown id; expected one of '
        + ", ".join(sorted(hardenings.BUILTIN)) + "\n")


def test_enable_and_disable_choose_hardenings() -> None:
    only = run_tool("--evidence", str(EMPTY_CLUSTER), "--enable", "read-only-root-filesystem", str(EXAMPLE)).stdout.decode()
    assert "readOnlyRootFilesystem: true" in only and "NET_BIND_SERVICE" in only
    without = run_tool("--evidence", str(EMPTY_CLUSTER), "--disable", "disable-kubernetes-destinations", str(EXAMPLE)).stdout.decode()
    assert "disableKubernetesDestinations: false" in without and "add: []" in without


def test_check_prints_nothing_and_exits_1_when_work_is_left(tmp_path: Path) -> None:
    result = run_tool("--evidence", str(EMPTY_CLUSTER), "--check", str(EXAMPLE))
    assert result.returncode == 1 and result.stdout == b""
    hardened = tmp_path / "h.yaml"
    hardened.write_bytes(run_tool("--evidence", str(EMPTY_CLUSTER), str(EXAMPLE)).stdout)
    again = run_tool("--evidence", str(EMPTY_CLUSTER), "--check", str(hardened))
    assert again.returncode == 0 and again.stdout == b""


def test_diff_shows_only_the_hardening() -> None:
    result = run_tool("--evidence", str(EMPTY_CLUSTER), "--diff", *pinned(), str(EXAMPLE))
    assert result.returncode == 0
    changed = [line for line in result.stdout.decode().splitlines()
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == [
        "+automountServiceAccountToken: false",
        "-            add:", "-            - NET_BIND_SERVICE", "+            add: []",
        "+          readOnlyRootFilesystem: true",
        "+      automountServiceAccountToken: false",
        "-    disableKubernetesDestinations: false", "+    disableKubernetesDestinations: true",
    ]


def test_strict_refusal_exits_1_with_an_error_result() -> None:
    text = EXAMPLE.read_text().replace("targetPort: 8080", "targetPort: 80")
    relaxed = run_tool("--evidence", str(EMPTY_CLUSTER), input=text)
    assert relaxed.returncode == 0 and "[warning]" in relaxed.stderr.decode()
    strict = run_tool("--evidence", str(EMPTY_CLUSTER), "--strict", input=text)
    assert strict.returncode == 1
    assert "[error]" in strict.stderr.decode() and "targetPort 80" in strict.stderr.decode()


def test_results_json(tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    run_tool("--evidence", str(EMPTY_CLUSTER), str(EXAMPLE), *pinned(), "--results", str(target), "--quiet")
    results = json.loads(target.read_text())
    first = results[0]
    assert first == {
        "severity": "info", "hardening": "drop-net-bind-service",
        "message": 'container "gateway-proxy": securityContext.capabilities.add: [NET_BIND_SERVICE] → []',
        "resource": {"apiVersion": "apps/v1", "kind": "Deployment",
                     "namespace": "gloo-system", "name": "gateway-proxy"},
        "field": "spec.template.spec.containers[0].securityContext.capabilities.add",
        "file": str(EXAMPLE), "document": 4, "line": 64,  # the line of its apiVersion
    }
    assert {r["hardening"] for r in results} == {
        "drop-net-bind-service", "disable-sa-token-automount", "read-only-root-filesystem",
        "disable-kubernetes-destinations"}


def test_list_explain_version_help() -> None:
    listing = run_tool("list").stdout.decode().splitlines()
    assert [line.split()[0] for line in listing[:6]] == [
        "add-kgateway-class-parameters", "drop-net-bind-service", "disable-sa-token-automount",
        "clear-default-capabilities", "read-only-root-filesystem",
        "disable-kubernetes-destinations"]
    explained = run_tool("explain", "drop-net-bind-service").stdout.decode()
    assert "When it is skipped (guard no-privileged-ports)" in explained
    assert run_tool("--version").stdout.decode().startswith("gloo-harden, version ")
    helped = run_tool("--help").stdout.decode()
    assert "Examples:" in helped and "--strict" in helped and "Exit codes" in helped


def test_python_dash_m_entry_point() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "gloo_harden", "list"], capture_output=True)
    assert result.returncode == 0 and b"drop-net-bind-service" in result.stdout


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"apiVersion: v1\nkind: Service\nspec: [1\n",
         "gloo-harden: stdin[doc 1]: line 4, column 1: expected ',' or ']', but got '<stream end>'; expected valid YAML\n"),
        (b"apiVersion: v1\nkind: Service\nkind: Service\n",
         'gloo-harden: stdin[doc 1]: line 3, column 1: found duplicate key "kind" with value "Service" (original value: "Service"); expected valid YAML\n'),
        (b"---\nkind: Service\n---\njust a string\n",
         "gloo-harden: stdin[doc 2]: the document is a scalar; expected a mapping with apiVersion and kind\n"),
        (b"- a\n- b\n", "gloo-harden: stdin[doc 1]: the document is a list; expected a mapping with apiVersion and kind\n"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "gloo-harden: stdin: NUL byte at offset 8; expected a YAML text stream\n"),
        (b"kind: Service\nname: \xff\n", "gloo-harden: stdin: byte 0xff at offset 20 is not UTF-8; expected a UTF-8 YAML text stream\n"),
    ],
    ids=["malformed", "duplicate-key", "scalar", "list", "binary", "not-utf8"],
)
def test_bad_input_is_one_line_exit_2_nothing_on_stdout(data: bytes, message: str) -> None:
    result = run_tool("--evidence", str(EMPTY_CLUSTER), input=data)
    assert (result.returncode, result.stdout, result.stderr.decode()) == (2, b"", message)


def test_empty_stream_gives_empty_output_and_a_warning() -> None:
    result = run_tool("--evidence", str(EMPTY_CLUSTER), input=b"")
    assert result.returncode == 0 and result.stdout == b""
    assert "[warning]: the input holds no Kubernetes objects" in result.stderr.decode()


def test_unreadable_file() -> None:
    result = run_tool("--evidence", str(EMPTY_CLUSTER), "/nonexistent/rendered.yaml")
    assert result.returncode == 2 and result.stdout == b""
    assert "cannot read" in result.stderr.decode()
