"""Limits: sizes, streaming reads that stop at the limit, flags that raise each limit, and the
KRM and ``--validate-all`` paths."""

from __future__ import annotations

import io
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import BIN_DIR, corpus_params, needs_corpus, run_tool, tool_env
from gloo_harden.errors import InputError
from gloo_harden.yamltext import limits, yamlio

SERVICE = "apiVersion: v1\nkind: Service\nmetadata:\n  name: gw\n"


@pytest.mark.parametrize("text, size", [("0", 0), ("1000", 1000), ("64MiB", 64 * 1024**2),
                                        ("1 GB", 10**9), ("2gib", 2 * 1024**3), ("5k", 5000)])
def test_sizes(text: str, size: int) -> None:
    assert limits.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "1.5MiB", "-1", "10 parsecs"])
def test_not_sizes(text: str) -> None:
    with pytest.raises(ValueError, match="is not a size; expected bytes such as"):
        limits.parse_size(text)


class CountingStream(io.RawIOBase):
    """An endless line of ``a``s that records how much was asked for."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = len(buffer)
        buffer[:n] = b"a" * n
        self.served += n
        return n


def test_a_streaming_read_stops_just_past_the_limit() -> None:
    source = CountingStream()
    with limits.using(limits.Limits(max_input_bytes=3_000_000)), \
            pytest.raises(limits.LimitExceeded, match="input exceeds 3000000 bytes"):
        limits.read_limited(source, "stdin", 3_000_000)  # type: ignore[arg-type]
    assert source.served == 3_000_001  # one byte more than allowed, never a whole 1 GB line


def test_a_read_within_the_limit_returns_everything() -> None:
    data = b"x" * (3 * 1024 * 1024 + 5)
    assert limits.read_limited(io.BytesIO(data), "f", len(data)) == data


def test_a_1gb_line_on_stdin_is_refused_while_reading() -> None:
    """The writer offers 1 GiB on one line; the tool stops at the limit and the pipe breaks."""
    proc = subprocess.Popen([str(BIN_DIR / "gloo-harden"), "--max-input-bytes", "1MiB"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=tool_env())
    written = 0
    outcome: list[str] = []

    def feed() -> None:
        nonlocal written
        assert proc.stdin is not None
        chunk = b"a" * (1 << 20)
        try:
            proc.stdin.write(b"data: ")
            while written < 1 << 30:
                proc.stdin.write(chunk)
                written += len(chunk)
            outcome.append("finished")
        except BrokenPipeError:
            outcome.append("broken pipe")

    writer = threading.Thread(target=feed)
    writer.start()
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    assert proc.wait(timeout=300) == 2
    writer.join(timeout=300)
    assert outcome == ["broken pipe"]
    assert written < 64 << 20  # stopped early: the pipe broke long before 1 GiB
    assert out == b""
    assert err.decode() == ("gloo-harden: stdin: input exceeds 1048576 bytes; expected at most "
                            "1048576 bytes in all inputs together (raise it with "
                            "--max-input-bytes)\n")


def test_a_1gb_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(1 << 30)  # sparse: nothing is allocated
    done = run_tool("huge.yaml", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode() == ("gloo-harden: huge.yaml: input exceeds 268435456 bytes; "
                                    "expected at most 268435456 bytes in all inputs together "
                                    "(raise it with --max-input-bytes)\n")


def test_the_input_limit_counts_all_files_together(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(SERVICE)
    size = len(SERVICE)
    assert run_tool("a.yaml", "b.yaml", "--max-input-bytes", str(2 * size),
                    cwd=tmp_path).returncode == 0
    done = run_tool("a.yaml", "b.yaml", "--max-input-bytes", str(2 * size - 1), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.decode().startswith(f"gloo-harden: b.yaml: input exceeds {2 * size - 1}")


@pytest.mark.parametrize("flag, low, high, data", [
    ("--max-depth", None, "300", SERVICE + "spec: " + "[" * 250 + "]" * 250 + "\n"),
    ("--max-aliases", None, "5000", SERVICE + "spec:\n  a: &a [" + ", ".join(["x"] * 10)
     + "]\n  b: [" + ", ".join(["*a"] * 200) + "]\n"),
    ("--max-documents", "999", "1000", "---\n" * 1000),
    ("--max-input-bytes", "1kib", "1025", "#" * 1024 + "\n"),
])
def test_each_limit_can_be_raised(flag: str, low: str | None, high: str, data: str) -> None:
    refused = run_tool(*((flag, low) if low else ()), input=data)
    assert refused.returncode == 2
    assert f"(raise it with {flag})" in refused.stderr.decode()
    done = run_tool(flag, high, input=data)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == data.encode()  # nothing a hardening wants: byte for byte


def test_limits_apply_to_a_resource_list_too() -> None:
    data = ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n"
            "  kind: Service\n  metadata: {name: gw}\n  spec: " + "[" * 300 + "]" * 300 + "\n")
    done = run_tool(input=data)
    assert (done.returncode, done.stdout) == (2, b"")
    assert "nesting deeper than 200 levels" in done.stderr.decode()
    assert run_tool("--max-depth", "400", input=data).returncode == 0


def test_depth_at_the_limit_is_accepted_in_process() -> None:
    with limits.using(limits.Limits(max_depth=4)):  # mapping, mapping, sequence, scalar
        assert yamlio.load("a: {b: [c]}\n", "t") == {"a": {"b": ["c"]}}
        with pytest.raises(limits.LimitExceeded, match="t: line 1, column 10: nesting deeper"):
            yamlio.load("a: {b: [[c]]}\n", "t")


def test_aliases_are_counted_as_expanded() -> None:
    text = "a: &a [1, 2, 3]\nb: &b [*a, *a]\nc: [*b, *b]\n"  # b adds 2×4, c adds 2×9
    with limits.using(limits.Limits(max_aliases=26)):
        yamlio.load(text, "t")
    with limits.using(limits.Limits(max_aliases=25)), \
            pytest.raises(limits.LimitExceeded, match="more than 25 extra nodes"):
        yamlio.load(text, "t")


def test_merge_keys_count_as_aliases_and_still_work() -> None:
    tree = yamlio.load("base: &b {x: 1}\nthing:\n  <<: *b\n  y: 2\n", "t")
    assert dict(tree["thing"]) == {"x": 1, "y": 2}


def test_embedded_documents_obey_the_limits() -> None:
    with limits.using(limits.Limits(max_depth=5)), pytest.raises(InputError, match="where:"):
        yamlio.load_all("a: [[[[[[1]]]]]]\n", "where")


DUPLICATE_IN_CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"


def test_unparsed_documents_are_not_validated_by_default() -> None:
    """Documented trade-off: a ConfigMap is copied as bytes, so its duplicate key passes."""
    done = run_tool(input=DUPLICATE_IN_CONFIGMAP)
    assert done.returncode == 0
    assert done.stdout == DUPLICATE_IN_CONFIGMAP.encode()


@pytest.mark.parametrize("data, message", [
    (DUPLICATE_IN_CONFIGMAP, 'stdin[doc 1]: line 5, column 3: found duplicate key "name" with '
                             'value "b" (original value: "a"); expected valid YAML'),
    ("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nrules: [\n",
     "stdin[doc 1]: line 4, column 1: expected the node content, but found '<stream end>'; "
     "expected valid YAML"),
    ("apiVersion: v1\nkind: Secret\ndata:\n\tkey: dmFsdWU=\n",
     "stdin[doc 1]: line 4, column 1: found character '\\t' that cannot start any token; "
     "expected valid YAML"),
])
def test_validate_all_parses_every_document(data: str, message: str) -> None:
    assert run_tool(input=data).returncode == 0
    done = run_tool("--validate-all", input=data)
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode() == f"gloo-harden: {message}\n"


@needs_corpus
@pytest.mark.parametrize("path", corpus_params()[-2:], ids=lambda p: getattr(p, "name", p))
def test_validate_all_changes_no_output(path: Path) -> None:
    plain, validated = run_tool(str(path)), run_tool("--validate-all", str(path))
    assert plain.returncode == validated.returncode == 0
    assert plain.stdout == validated.stdout
