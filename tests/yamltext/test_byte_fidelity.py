"""Untouched means byte for byte, through the command line: line endings, glued separators,
byte order marks and explicit tags come out as they went in, and ``--check`` and ``--diff``
agree with what is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import EMPTY_CLUSTER, corpus_files, empty_cluster, pinned, run_tool
from gloo_harden.run import hardenings
from gloo_harden.run.pipeline import Options, Source, harden

PROXY = """\
# Source: gloo/templates/7-gateway-proxy-deployment.yaml
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
        - containerPort: 8080
        securityContext:
          capabilities:
            add:
            - NET_BIND_SERVICE
          readOnlyRootFilesystem: true
"""
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings-notes\ndata:\n  a: b\n"
SERVICE = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: gateway-proxy\n"
           "  namespace: gloo-system\nspec:\n  ports:\n  - port: 443\n    targetPort: 8443\n")
HARDENED_LINES = {"add: []", "automountServiceAccountToken: false"}


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def test_each_document_keeps_its_line_endings(tmp_path: Path) -> None:
    # an untouched CRLF document, a changed CRLF one, an untouched LF one, a changed LF one
    data = (crlf(CONFIGMAP) + "---\r\n" + crlf(PROXY) + "---\n" + SERVICE + "---\n"
            + PROXY.replace("name: gateway-proxy\n  namespace", "name: gateway-proxy-2\n  namespace"))
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "-", input=data)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    first, second, third, fourth = out.split("---", 3)
    assert first == crlf(CONFIGMAP)  # untouched: byte for byte
    assert third == "\n" + SERVICE
    assert "\n" not in second.replace("\r\n", "")  # changed: every line in its document's style
    assert "            add: []\r\n" in second and "      automountServiceAccountToken: false\r\n" in second
    assert "\r" not in fourth and "add: []\n" in fourth


def test_crlf_input_with_nothing_to_do_is_unchanged_and_check_and_diff_agree() -> None:
    data = crlf(CONFIGMAP + "---\n" + SERVICE).encode()
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "-", input=data)
    assert (done.returncode, done.stdout) == (0, data)
    check = run_tool("--evidence", str(EMPTY_CLUSTER), "--check", "-", input=data)
    assert check.returncode == 0 and b"0 changes in 0 documents" in check.stderr
    diff = run_tool("--evidence", str(EMPTY_CLUSTER), "--diff", "-", input=data)
    assert (diff.returncode, diff.stdout) == (0, b"")


def test_the_diff_of_crlf_input_shows_only_the_hardening() -> None:
    diff = run_tool("--evidence", str(EMPTY_CLUSTER), "--diff", *pinned(), "-", input=crlf(CONFIGMAP + "---\n" + PROXY))
    changed = [line for line in diff.stdout.decode().split("\n")
               if line.startswith(("+", "-")) and not line.startswith(("--- ", "+++ "))]
    assert {line[1:].strip() for line in changed} == HARDENED_LINES | {"add:", "- NET_BIND_SERVICE"}
    assert all(line.endswith("\r") for line in changed)


def test_lone_carriage_returns_are_kept_and_new_lines_take_them() -> None:
    data = PROXY.replace("\n", "\r")
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "-", input=data)
    assert done.returncode == 0, done.stderr
    assert "\n" not in done.stdout.decode() and "add: []\r" in done.stdout.decode()


@pytest.mark.parametrize("glued", ["---apiVersion: v1\n", "--- apiVersion: v1\n"])
def test_a_glued_separator_stays_glued_and_diff_shows_nothing(glued: str) -> None:
    data = (CONFIGMAP + glued + CONFIGMAP.removeprefix("apiVersion: v1\n")).encode()
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "-", input=data)
    assert (done.returncode, done.stdout) == (0, data)
    assert run_tool("--evidence", str(EMPTY_CLUSTER), "--diff", "-", input=data).stdout == b""


def test_a_glued_separator_before_a_changed_document_stays_glued() -> None:
    data = CONFIGMAP + "---" + PROXY.removeprefix("# Source: gloo/templates/7-gateway-proxy-deployment.yaml\n")
    out = run_tool("--evidence", str(EMPTY_CLUSTER), "-", input=data).stdout.decode()
    assert "\n---apiVersion: apps/v1\nkind: Deployment\n" in out and "add: []" in out


def test_byte_order_marks_are_kept() -> None:
    data = ("\ufeff" + CONFIGMAP + "---\n" + PROXY).encode()
    out = run_tool("--evidence", str(EMPTY_CLUSTER), "-", input=data).stdout
    assert out.startswith("\ufeff".encode() + CONFIGMAP.encode()) and b"add: []" in out


TAGGED = PROXY.replace("  labels: {gloo: gateway-proxy}\nspec:\n", "  labels: &sel\n    gloo: gateway-proxy\n"
                       "spec:\n  replicas: !!int \"1\"\n  selector:\n    matchLabels:\n"
                       "      !!merge <<: *sel\n").replace("containerPort: 8080",
                                                          "containerPort: !!int \"8080\"")


def test_explicit_tags_and_merge_keys_no_hardening_touches_are_kept() -> None:
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "-", input=TAGGED)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    for line in ('  replicas: !!int "1"', "      !!merge <<: *sel", '- containerPort: !!int "8080"',
                 "  labels: &sel"):
        assert line in out
    removed = set(TAGGED.splitlines()) - set(out.splitlines())
    assert {line.strip() for line in removed} == {"add:", "- NET_BIND_SERVICE"}


def test_a_resource_list_keeps_tags_and_anchors_of_its_items() -> None:
    items = "".join(("- " if i == 0 else "  ") + line + "\n"
                    for i, line in enumerate(TAGGED.splitlines()))
    data = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + items
    done = run_tool("--evidence", str(EMPTY_CLUSTER), input=data)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    for line in ('    replicas: !!int "1"', "        !!merge <<: *sel",
                 '  - containerPort: !!int "8080"'):
        assert line in out
    assert "add: []" in out


ALL = Options(hardenings.builtin(), evidence=empty_cluster())


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_a_crlf_render_is_hardened_exactly_like_its_lf_original(path: Path) -> None:
    text = path.read_text()
    lf = harden([Source(path.name, text.encode())], ALL)
    as_crlf = harden([Source(path.name, crlf(text).encode())], ALL)
    assert as_crlf.text == crlf(lf.text)
    assert as_crlf.changed == lf.changed
