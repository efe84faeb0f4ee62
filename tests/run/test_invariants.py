"""The run's own promises (invariants.py): each broken one is an InvariantError, exit 3."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_tool
from gloo_harden.errors import InvariantError
from gloo_harden.run import invariants
from gloo_harden.yamltext import stream, yamlio
from gloo_harden.yamltext.stream import Document

A = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n"
B = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: b\n  namespace: gloo\n"
HARDENED_B = B + "automountServiceAccountToken: false\n"


def _documents(*texts: str) -> list[stream.Document]:
    documents = stream.split("---\n".join(texts), "in.yaml")
    for doc in documents:
        doc.tree = yamlio.load(doc.text, doc.where)
    return documents


def _harden_b(documents: list[stream.Document]) -> None:
    documents[1].tree["automountServiceAccountToken"] = False


def test_a_faithful_run_passes() -> None:
    documents = _documents(A, B)
    _harden_b(documents)
    texts = {1: HARDENED_B}
    invariants.check_written(documents[1], HARDENED_B, [])
    invariants.check_pieces(documents, texts, stream.pieces(documents, texts))


@pytest.mark.parametrize("output, message", [
    ([("", "", A + HARDENED_B)], "the output has 1 documents where the input has 2"),
    ([("", "", A), ("", "---\n", HARDENED_B), ("", "---\n", A)],
     "the output has 3 documents where the input has 2"),
    ([("", "", A.replace("a\n", "c\n")), ("", "---\n", HARDENED_B)],
     "in.yaml[doc 1]: the document was written differently from how it was hardened"),
])
def test_documents_lost_added_or_changed_unasked(output: list[stream.Piece], message: str) -> None:
    documents = _documents(A, B)
    _harden_b(documents)
    with pytest.raises(InvariantError, match=message.replace("[", r"\[").replace("]", r"\]")):
        invariants.check_pieces(documents, {1: HARDENED_B}, output)


def test_a_renamed_object_is_refused() -> None:
    documents = _documents(A, B)
    documents[1].tree["metadata"]["name"] = "c"
    text = B.replace("name: b", "name: c")
    with pytest.raises(InvariantError) as info:
        invariants.check_written(documents[1], text, [])
    assert str(info.value).startswith(
        "internal error: in.yaml[doc 2]: hardening changed which objects the document holds, "
        "from [v1/ServiceAccount/gloo/b] to [v1/ServiceAccount/gloo/c]; please report it")


def test_a_written_text_that_differs_from_the_tree_is_refused() -> None:
    documents = _documents(A, B)
    _harden_b(documents)
    text = B + "automountServiceAccountToken: true\n"
    with pytest.raises(InvariantError, match="does not re-parse to the hardened object"):
        invariants.check_written(documents[1], text, [])


def test_a_written_text_that_does_not_parse_is_refused() -> None:
    documents = _documents(A, B)
    text = B + "automountServiceAccountToken: [\n"
    with pytest.raises(InvariantError, match="the hardened document does not parse"):
        invariants.check_written(documents[1], text, [])


def test_list_items_are_objects_too() -> None:
    listed = ("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n"
              "  metadata: {name: x}\n")
    assert invariants.identities(yamlio.load(listed, "t")) == [("v1", "ServiceAccount", "", "x")]


def test_two_files_stay_two_documents(tmp_path: Path) -> None:
    """Found by the invariant: a second file without ``---`` used to merge into the first."""
    (tmp_path / "a.yaml").write_text(A)
    (tmp_path / "b.yaml").write_text(B.rstrip("\n"))  # no separator, no final line break
    (tmp_path / "c.yaml").write_text(A)
    done = run_tool("a.yaml", "b.yaml", "c.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode() == A + "---\n" + B + "---\n" + A


def test_the_cli_exits_3_and_writes_nothing_when_an_invariant_breaks(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    from gloo_harden import cli
    from gloo_harden.yamltext import fidelity

    def renaming(document: Document) -> str:
        return document.text.replace("name: gateway-proxy\n", "name: renamed\n", 1)

    monkeypatch.setattr(fidelity, "write", renaming)
    source = Path(__file__).parents[1] / "data" / "proxy-with-net-bind.yaml"
    out = tmp_path / "out.yaml"
    with pytest.raises(SystemExit) as exit_info:
        cli.main([str(source), "-o", str(out)])
    assert exit_info.value.code == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines()[-1].startswith(f"gloo-harden: internal error: {source}[doc 1]")
    assert "please report it" in captured.err
    assert not out.exists()


@pytest.mark.parametrize("body, after", [
    ("metadata: {name: renamed}", "[v1/ServiceAccount/renamed]"),
    ("$patch: delete", "[]"),
])
def test_a_user_patch_that_renames_or_deletes_is_a_patch_error_not_a_bug(
        body: str, after: str, tmp_path: Path) -> None:
    (tmp_path / "patches").mkdir()
    (tmp_path / "patches" / "p.yaml").write_text(
        "apiVersion: gloo-harden.dev/v1alpha1\nkind: Hardening\nmetadata:\n  name: mine\n"
        f"summary: test\ntarget:\n  kind: ServiceAccount\nstrategic:\n  {body}\n")
    done = run_tool("--patches", str(tmp_path / "patches"), input=A)
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode() == (
        f'gloo-harden: stdin[doc 1]: patch "mine" turns [v1/ServiceAccount/a] into {after}; '
        "expected patches that keep apiVersion, kind, namespace and name (gloo-harden never "
        "renames or deletes objects)\n")


@pytest.mark.parametrize("texts", [
    {}, {1: HARDENED_B}, {0: A.rstrip("\n")}, {1: B.rstrip("\n")}, {1: ""},
])
def test_pieces_pass_when_their_joined_text_reads_back_as_the_documents(
        texts: dict[int, str]) -> None:
    """What the piece-by-piece check accepts, a reader of the whole output reads back."""
    documents = _documents(A, B, "# only a comment\n")
    pieces = stream.pieces(documents, texts)
    invariants.check_pieces(documents, texts, pieces)
    read_back = stream.split(stream.joined(pieces), "out")
    assert [d.text.removesuffix("\n") for d in read_back] == \
        [texts.get(i, d.text).removesuffix("\n") for i, d in enumerate(documents)]


@pytest.mark.parametrize("piece, message", [
    (("", "---\n", B + "---\n" + A), "would not be read back as one document"),
    (("", "", HARDENED_B), "would not be read back as one document"),  # no separator
    (("", "---\n", HARDENED_B.replace("b\n", "c\n")), "written differently"),
])
def test_a_piece_that_would_be_read_back_otherwise_is_refused(
        piece: stream.Piece, message: str) -> None:
    documents = _documents(A, B)
    _harden_b(documents)
    pieces = stream.pieces(documents, {1: HARDENED_B})
    pieces[1] = piece
    with pytest.raises(InvariantError, match=message):
        invariants.check_pieces(documents, {1: HARDENED_B}, pieces)


def test_a_piece_that_does_not_end_its_line_is_refused() -> None:
    documents = _documents(A, B)
    pieces = stream.pieces(documents, {0: A.rstrip("\n")})
    pieces[1] = ("", *pieces[1][1:])  # the line break the next separator needs, left out
    with pytest.raises(InvariantError, match="would not be read back as one document"):
        invariants.check_pieces(documents, {0: A.rstrip("\n")}, pieces)
