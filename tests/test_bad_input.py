"""Bad input through the real ``gloo-harden`` script: the exact message, the exit code, and
nothing on stdout (or in ``-o``). One table row per kind of breakage; each message follows
``gloo-harden: <file>[doc N]: <what is wrong>; <what is expected>`` on one line.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import BIN_DIR, EMPTY_CLUSTER, run_tool, tool_env
from gloo_harden.yamltext import yamlio

SERVICE = "apiVersion: v1\nkind: Service\nmetadata:\n  name: gw\n"
PROXY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gateway-proxy
  labels: {gloo: gateway-proxy}
spec:
  template:
    metadata:
      labels: {gloo: gateway-proxy}
    spec:
      containers:
      - name: gateway-proxy
        image: envoy
        securityContext:
          capabilities:
            add: [NET_BIND_SERVICE]
"""


def _laughs() -> str:
    lines = [SERVICE.rstrip("\n"), "spec:", "  a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    for i in range(1, 10):
        lines.append(f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    message: str  # the last line of stderr, without the "gloo-harden: " prefix
    code: int = 2
    args: tuple[str, ...] = ()


CASES = [
    Case("malformed-flow", (SERVICE + "spec: {ports: [80\n").encode(),
         "bad.yaml[doc 1]: line 6, column 1: expected ',' or ']', but got '<stream end>'; "
         "expected valid YAML"),
    Case("malformed-indentation", (SERVICE + "spec:\n  a: 1\n b: 2\n").encode(),
         "bad.yaml[doc 1]: line 7, column 2: expected <block end>, but found '<block mapping "
         "start>'; expected valid YAML"),
    Case("duplicate-key", (SERVICE + "  name: other\n").encode(),
         'bad.yaml[doc 1]: line 5, column 3: found duplicate key "name" with value "other" '
         '(original value: "gw"); expected valid YAML'),
    Case("tab-indentation", (SERVICE + "spec:\n\tports: []\n").encode(),
         "bad.yaml[doc 1]: line 6, column 1: found character '\\t' that cannot start any "
         "token; expected valid YAML"),
    Case("unterminated-quoted-scalar", b'apiVersion: v1\nkind: Service\nmetadata:\n  name: "gw\n',
         "bad.yaml[doc 1]: line 5, column 1: found unexpected end of stream while scanning a "
         "quoted scalar that starts at line 4, column 9; expected valid YAML"),
    Case("unterminated-block-scalar", (SERVICE + "  annotations:\n    note: |\n      text\n"
                                       "     bad: 1\n").encode(),
         "bad.yaml[doc 1]: line 8, column 6: expected <block end>, but found '<block mapping "
         "start>'; expected valid YAML"),
    Case("document-is-a-scalar", b"---\njust a sentence\n",
         "bad.yaml[doc 1]: the document is a scalar; expected a mapping with apiVersion and kind"),
    Case("document-is-a-list", (SERVICE + "---\n- a\n- b\n").encode(),
         "bad.yaml[doc 2]: the document is a list; expected a mapping with apiVersion and kind"),
    Case("not-utf8", SERVICE.encode() + b"  labels: {a: \xff}\n",
         "bad.yaml: byte 0xff at offset 64 is not UTF-8; expected a UTF-8 YAML text stream"),
    Case("latin1", "apiVersion: v1\nkind: ConfigMap\ndata:\n  a: caf\u00e9\n".encode("latin-1"),
         "bad.yaml: byte 0xe9 at offset 45 is not UTF-8; expected a UTF-8 YAML text stream"),
    Case("nul-byte", SERVICE.encode() + b"\x00",
         "bad.yaml: NUL byte at offset 50; expected a YAML text stream"),
    Case("binary", b"\x7fELF\x02\x01\x01" + bytes(range(1, 40)),
         "bad.yaml: line 1, column 1: control character U+007F is not allowed in YAML; expected "
         "a YAML text stream"),
    # A ConfigMap is copied through unparsed: the byte check still sees its control character.
    Case("control-character-in-unparsed-document",
         b"apiVersion: v1\nkind: ConfigMap\ndata:\n  a: \"x\x1by\"\n",
         "bad.yaml: line 4, column 8: control character U+001B is not allowed in YAML; expected "
         "a YAML text stream"),
    Case("nesting-10000-levels", (SERVICE + "spec: " + "[" * 10_000 + "]" * 10_000 + "\n").encode(),
         "bad.yaml[doc 1]: line 5, column 207: nesting deeper than 200 levels; expected at most "
         "200 (raise it with --max-depth)"),
    # Block nesting costs indentation: 1,000 levels are already 1 MB (10,000 would be 100 MB).
    Case("nesting-1000-block-levels",
         (SERVICE + "".join(f"{'  ' * i}k{i}:\n" for i in range(1_000)) + "x: 1\n").encode(),
         "bad.yaml[doc 1]: line 204, column 399: nesting deeper than 200 levels; expected at most "
         "200 (raise it with --max-depth)"),
    Case("billion-laughs", _laughs().encode(),
         "bad.yaml[doc 1]: line 9, column 12: YAML aliases expand to more than 1000 extra nodes; "
         "expected at most 1000 alias expansions (raise it with --max-aliases)"),
    Case("recursive-alias", (SERVICE + "spec: &loop\n  again: *loop\n").encode(),
         "bad.yaml[doc 1]: line 6, column 10: an alias refers to a node that contains it; "
         "expected aliases of complete nodes only (a cycle never ends when expanded)"),
    Case("undefined-alias", (SERVICE + "spec: *nowhere\n").encode(),
         "bad.yaml[doc 1]: line 5, column 7: found undefined alias 'nowhere'; expected valid YAML"),
    Case("too-many-documents", ("---\n" + SERVICE) .encode() * 4,
         "bad.yaml: more than 3 documents; expected at most 3 (raise it with --max-documents)",
         args=("--max-documents", "3")),
    Case("too-large", SERVICE.encode() * 10,
         "bad.yaml: input exceeds 100 bytes; expected at most 100 bytes in all inputs together "
         "(raise it with --max-input-bytes)", args=("--max-input-bytes", "100")),
    Case("too-many-aliases", (SERVICE + "spec:\n  a: &a x\n  b: [*a, *a, *a]\n").encode(),
         "bad.yaml[doc 1]: line 7, column 15: YAML aliases expand to more than 2 extra nodes; "
         "expected at most 2 alias expansions (raise it with --max-aliases)",
         args=("--max-aliases", "2")),
    Case("invalid-limit", SERVICE.encode(),
         "Invalid value for '--max-input-bytes': \"lots\" is not a size; expected bytes such as "
         "1000000, 64MiB or 1GB", args=("--max-input-bytes", "lots")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_line_and_an_exit_code(case: Case, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_bytes(case.data)
    (tmp_path / "out.yaml").write_text("previous\n")
    done = run_tool("bad.yaml", *case.args, cwd=tmp_path)
    assert done.returncode == case.code, done.stderr.decode()
    assert done.stdout == b""
    assert done.stderr.decode() == f"gloo-harden: {case.message}\n"
    again = run_tool("bad.yaml", "-o", "out.yaml", *case.args, cwd=tmp_path)
    assert (again.returncode, again.stderr) == (done.returncode, done.stderr)
    assert (tmp_path / "out.yaml").read_text() == "previous\n"  # never partial or truncated
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "out.yaml"]


@pytest.mark.parametrize("case", CASES[:6], ids=[c.name for c in CASES[:6]])
def test_the_same_input_on_stdin_names_stdin(case: Case) -> None:
    done = run_tool(*case.args, input=case.data)
    assert done.returncode == case.code
    assert done.stderr.decode() == f"gloo-harden: {case.message.replace('bad.yaml', 'stdin')}\n"


def test_a_mapping_without_apiversion_and_kind_passes_through_with_a_warning() -> None:
    data = b"# a values file by mistake\nreplicas: 2\nimage: {tag: \"1.0\"}\n---\n" + PROXY.encode()
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "-", input=data)
    assert done.returncode == 0, done.stderr.decode()
    head = done.stdout.split(b"---\n")[0]
    assert head == data.split(b"---\n")[0]  # byte for byte
    assert b"[warning] stdin[doc 1]: a mapping without apiVersion/kind; passed through untouched" \
        in done.stderr
    assert b"add: []" in done.stdout  # the proxy after it is still hardened


def test_a_mapping_without_kind_in_an_unneeded_looking_document(tmp_path: Path) -> None:
    done = run_tool(input=b"apiVersion: v1\nmetadata: {name: x}\n")
    assert done.returncode == 0
    assert done.stdout == b"apiVersion: v1\nmetadata: {name: x}\n"
    assert b"a mapping without apiVersion/kind" in done.stderr


def test_python_tags_are_data_never_code(tmp_path: Path) -> None:
    """``!!python/object/apply`` in a parsed (Service) and a hardened (proxy) document."""
    marker = tmp_path / "pwned"
    evil = f'!!python/object/apply:os.system ["touch {marker}"]'
    data = (SERVICE + f"  annotations:\n    x: {evil}\n---\n"
            + PROXY.replace("image: envoy", f"image: envoy\n        args: {evil}")).encode()
    done = run_tool("--evidence", str(EMPTY_CLUSTER), input=data)
    assert done.returncode == 0, done.stderr.decode()
    assert not marker.exists()
    assert done.stdout.count(b"!!python/object/apply:os.system") == 2  # kept as written
    assert b"add: []" in done.stdout


def test_python_tags_load_as_tagged_data() -> None:
    from ruamel.yaml.comments import CommentedSeq

    from gloo_harden.yamltext import yamlio

    tree = yamlio.load('a: !!python/object/apply:os.system ["echo hi"]\n', "t")
    assert isinstance(tree["a"], CommentedSeq)
    assert tree["a"].tag.value == "tag:yaml.org,2002:python/object/apply:os.system"
    assert list(tree["a"]) == ["echo hi"]


@pytest.mark.parametrize("name, message", [
    ("missing.yaml", "missing.yaml: cannot read (No such file or directory); expected a "
                     "readable manifest file"),
    ("bad.yaml/x", "bad.yaml/x: cannot read (Not a directory); expected a readable manifest file"),
])
def test_unreadable_files(name: str, message: str, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(SERVICE)
    done = run_tool(name, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode() == f"gloo-harden: {message}\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a mode-000 file")
def test_a_file_without_read_permission(tmp_path: Path) -> None:
    target = tmp_path / "secret.yaml"
    target.write_text(SERVICE)
    target.chmod(0)
    done = run_tool("secret.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.decode() == ("gloo-harden: secret.yaml: cannot read (Permission denied); "
                                    "expected a readable manifest file\n")


def test_output_into_a_missing_directory(tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(PROXY)
    done = run_tool("in.yaml", "-o", "nowhere/out.yaml", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode() == (f"gloo-harden: nowhere/out.yaml: directory {tmp_path}/nowhere "
                                    "does not exist; expected an existing directory\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.yaml"]


def test_results_into_a_missing_directory(tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(PROXY)
    done = run_tool("in.yaml", "--results", "nowhere/r.json", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode().count("\n") == 1


def _big_stream() -> bytes:
    """Several MB of output (many pipe buffers); ConfigMaps are copied through, so it is fast."""
    filler = ("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
              "data: {a: '" + "x" * 900 + "'}\n")
    return (PROXY + filler * 4000).encode()


def test_a_closed_stdout_gets_exit_2_and_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_bytes(_big_stream())
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([str(BIN_DIR / "gloo-harden"), "-q", "big.yaml"], cwd=tmp_path,
                            stdout=write_end, stderr=subprocess.PIPE, env=tool_env())
    os.close(write_end)
    os.close(read_end)  # the reader is gone before a byte is written: the write must fail
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 2
    assert err.splitlines()[-1] == "gloo-harden: stdout closed before the output was written"
    assert "Traceback" not in err and "Exception ignored" not in err


def test_head_in_a_shell_pipeline(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_bytes(_big_stream())
    done = subprocess.run(["bash", "-c", 'gloo-harden -q big.yaml | head -1; '
                           'echo "status=${PIPESTATUS[0]}" >&2'],
                          cwd=tmp_path, capture_output=True, env=tool_env(), timeout=300)
    assert done.stdout == b"apiVersion: apps/v1\n"
    assert "Traceback" not in done.stderr.decode()
    status = done.stderr.decode().splitlines()[-1]
    # The kernel may accept the whole write before head exits (then 0); never 1, never a crash.
    assert status in ("status=0", "status=2"), done.stderr.decode()


def test_an_unexpected_exception_is_exit_3_with_the_traceback_in_a_file(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    from gloo_harden import cli
    from gloo_harden.run import pipeline

    def broken(*_: object) -> None:
        raise KeyError("spec")

    monkeypatch.setattr(pipeline, "harden", broken)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    (tmp_path / "in.yaml").write_text(PROXY)
    with pytest.raises(SystemExit) as exit_info:
        cli.main([str(tmp_path / "in.yaml")])
    assert exit_info.value.code == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    (crash,) = tmp_path.glob("gloo-harden-crash-*.txt")
    assert captured.err == (f"gloo-harden: internal error: KeyError: 'spec' (traceback in "
                            f"{crash}); "
                            "please report it to gloo-harden's maintainers with the input that "
                            "caused it\n")
    assert "Traceback" in crash.read_text() and "broken" in crash.read_text()


RESOURCE_LIST = """\
apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: Service
  metadata:
    name: gw
"""


def test_a_resource_list_with_a_broken_item() -> None:
    done = run_tool(input=RESOURCE_LIST + "- just a string\n")
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode() == ("gloo-harden: stdin: ResourceList.items[1] is not a mapping; "
                                    "expected a Kubernetes object\n")


def test_a_resource_list_that_is_not_yaml() -> None:
    done = run_tool(input=RESOURCE_LIST + "- {kind: Service\n")
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode().count("\n") == 1
    assert done.stderr.decode() == ("gloo-harden: stdin: line 9, column 1: expected ',' or '}', "
                                    "but got '<stream end>'; expected valid YAML\n")


def test_a_function_config_of_the_wrong_kind_is_a_krm_error_result() -> None:
    """KRM clients read ``results``: the items come back unchanged with one error result."""
    config = ("functionConfig:\n  apiVersion: apps/v1\n  kind: Deployment\n"
              "  metadata:\n    name: cfg\n")
    done = run_tool(input=RESOURCE_LIST + config)
    assert done.returncode == 1
    out = done.stdout.decode()
    assert out.startswith(RESOURCE_LIST + config)
    (result,) = yamlio.load(out, "out")["results"]
    assert result["message"] == ('"Deployment" (apiVersion "apps/v1") is not supported; '
                                 "expected GlooHardening (gloo-harden.dev/v1alpha1) or "
                                 "ConfigMap (v1)")
    assert result["severity"] == "error"
    assert "Traceback" not in done.stderr.decode()


def test_a_closed_stdout_in_krm_mode_gets_exit_2() -> None:
    items = "".join(f"- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: c{i}}}\n"
                    f"  data: {{a: '{'x' * 500}'}}\n" for i in range(3000))
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([str(BIN_DIR / "gloo-harden")], stdin=subprocess.PIPE,
                            stdout=write_end, stderr=subprocess.PIPE, env=tool_env())
    os.close(write_end)
    os.close(read_end)
    _, err = proc.communicate(RESOURCE_LIST.encode() + items.encode(), timeout=300)
    assert proc.returncode == 2
    assert err.decode().splitlines()[-1] == ("gloo-harden: stdout closed before the output was "
                                             "written")
    assert "Traceback" not in err.decode()


def test_a_mapping_used_as_a_key() -> None:
    data = SERVICE + "? a:\n    b: 1\n: x\n"  # a block mapping as a key (flow ones pass)
    done = run_tool(input=data)
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode() == ("gloo-harden: stdin[doc 1]: a mapping or list is used as a "
                                    "key; expected plain keys, as every Kubernetes object has\n")


def test_a_lone_carriage_return_is_a_line_break_and_kept() -> None:
    data = b"apiVersion: v1\rkind: ConfigMap\rmetadata:\r  name: a\r"
    done = run_tool(input=data)
    assert (done.returncode, done.stdout) == (0, data)


def test_a_mapping_in_capabilities_add_names_its_document() -> None:
    data = SERVICE + "---\n" + PROXY.replace("add: [NET_BIND_SERVICE]", "add: [{x: 1}]")
    done = run_tool(input=data)
    assert (done.returncode, done.stdout) == (2, b"")
    message = done.stderr.decode()
    assert message.count("\n") == 1
    assert message.startswith("gloo-harden: stdin[doc 2]: spec.template.spec.containers[0]."
                              "securityContext.capabilities.")
