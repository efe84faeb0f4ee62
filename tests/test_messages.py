"""What gloo-harden says, through the command line: positions in the file, documents counted
from 1, values written as YAML, what a guard kept and how to accept it, every configuration
problem, and a byte order mark named as one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import EMPTY_CLUSTER, run_tool

PROXY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gateway-proxy
  namespace: gloo-system
  labels: {gloo: gateway-proxy}
spec:
  template:
    metadata:
      labels:
        gloo: gateway-proxy
    spec:
      containers:
      - name: gateway-proxy
        ports:
        - containerPort: PORT
        securityContext:
          capabilities:
            add:
            - NET_BIND_SERVICE
"""
CONFIGMAP = "# Source: chart/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"


def _line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


@pytest.mark.parametrize("separator", ["---\n", "---"])  # the third document glued to its ---
def test_a_yaml_error_names_the_file_line_and_column_and_counts_documents_from_1(
        tmp_path: Path, separator: str) -> None:
    bad = "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  name: y\n"
    text = CONFIGMAP * 1 + "---\n" + CONFIGMAP + separator + bad
    path = tmp_path / "rendered.yaml"
    path.write_text(text)
    done = run_tool("--evidence", str(EMPTY_CLUSTER), str(path))
    assert (done.returncode, done.stdout) == (2, b"")
    line = _line_of(text, "  name: y")
    assert done.stderr.decode() == (
        f'gloo-harden: {path}[doc 3]: line {line}, column 3: found duplicate key "name" with '
        'value "y" (original value: "x"); expected valid YAML\n')


def test_an_error_on_the_first_line_of_a_glued_document_counts_the_separator() -> None:
    text = CONFIGMAP + "---apiVersion: v1\tkind: [\n"
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "-", input=text)
    assert done.returncode == 2
    assert f"stdin[doc 2]: line {_line_of(text, '---apiVersion')}, column " in done.stderr.decode()
    column = int(done.stderr.decode().split("column ")[1].split(":")[0])
    assert column > len("---")  # counted from the start of the line, separator included


def test_results_count_documents_from_1(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--results", str(results), "-",
                    input=CONFIGMAP + "---\nnot: an object\n---\n" + PROXY.replace("PORT", "8080"))
    assert done.returncode == 0, done.stderr
    found = json.loads(results.read_text())
    (warning,) = [r for r in found if "apiVersion/kind" in r["message"]]
    assert warning["document"] == 2 and "stdin[doc 2]" in done.stderr.decode()
    assert warning["line"] == CONFIGMAP.count("\n") + 2  # the file's line, after the ---
    deployment = [r for r in found if r.get("resource", {}).get("kind") == "Deployment"]
    assert {(r["document"], r["line"]) for r in deployment} == {(3, CONFIGMAP.count("\n") + 4)}


def test_values_are_written_as_yaml_not_python() -> None:
    proxy = PROXY.replace("PORT", "8080").replace(
        "        securityContext:\n          capabilities:\n            add:\n"
        "            - NET_BIND_SERVICE\n", "")
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "-", input=proxy)
    assert done.returncode == 0, done.stderr
    err = done.stderr.decode()
    assert "set securityContext: {readOnlyRootFilesystem: true}" in err
    assert "True" not in err and "'" not in err


def test_a_kept_hardening_says_what_was_kept_why_and_how_to_accept_it() -> None:
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "-", input=PROXY.replace("PORT", "80"))
    assert done.returncode == 0
    (line,) = [line for line in done.stderr.decode().splitlines() if "containerPort 80" in line]
    assert line.startswith("stdin: [warning] ")
    assert 'kept for container "gateway-proxy": containerPort 80 (securityContext.capabilities.add ' \
        "stays [NET_BIND_SERVICE], not []); to accept this, " in line
    assert 'gloo-harden.dev/skip: "drop-net-bind-service=<reason>"' in line
    assert "--disable drop-net-bind-service" in line and "refused" not in line


def test_a_strict_refusal_says_refused() -> None:
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--strict", "-", input=PROXY.replace("PORT", "80"))
    assert done.returncode == 1
    (line,) = [line for line in done.stderr.decode().splitlines() if "containerPort 80" in line]
    assert line.startswith("stdin: [error] ") and "stays [NET_BIND_SERVICE], not []); refused (--strict)" in line
    assert 'gloo-harden.dev/skip: "drop-net-bind-service=<reason>"' in line


def test_a_bad_configuration_shows_every_problem(tmp_path: Path) -> None:
    config = tmp_path / "harden.yaml"
    config.write_text("apiVersion: gloo-harden.dev/v1alpha1\nkind: GlooHardening\n"
                      "metadata: {name: x}\nspec:\n  strict: maybe\n  sidecars: 1\n"
                      "  enable: [nope]\n")
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--kustomize-plugin-config", str(config), input=CONFIGMAP)
    assert (done.returncode, done.stdout) == (2, b"")
    (message,) = done.stderr.decode().splitlines()
    assert "3 problems: (1) " in message and "(2) " in message and "(3) " in message
    for field in ("strict", "sidecars", "enable"):
        assert field in message
    assert "more)" not in message


def test_a_byte_order_mark_inside_the_stream_is_named_and_kept(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_bytes(b"\xef\xbb\xbf" + CONFIGMAP.encode())
    second.write_bytes(b"\xef\xbb\xbf" + PROXY.replace("PORT", "8080").encode())
    joined = first.read_bytes() + b"---\n" + second.read_bytes()  # what cat a.yaml - b.yaml makes
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "-", input=joined)
    assert done.returncode == 0, done.stderr
    err = done.stderr.decode()
    line = CONFIGMAP.count("\n") + 2
    assert f"[warning] stdin[doc 2]: line {line}, column 1: a byte order mark (U+FEFF)" in err
    assert "apiVersion/kind" not in err
    assert "add: []" in done.stdout.decode()  # the object behind it is read and hardened
    assert done.stdout.startswith(b"\xef\xbb\xbf" + CONFIGMAP.encode() + b"---\n\xef\xbb\xbf")
