"""Every corpus number README.md gives is the corpus run's (``tests/corpus_numbers.py``): the
renders counted, changes as one stream and with separate renders, fidelity lines with and
without the restricted profile, and the Pod Security violations left. A change that moves
one fails here until ``python tests/corpus_numbers.py --write README.md`` is run, or the test
with ``GLOO_HARDEN_UPDATE_GOLDEN=1`` (they are a run of every built-in: a new one moves them)."""

from __future__ import annotations

from conftest import REPO, corpus_files, golden_parts, needs_corpus
from corpus_numbers import BLOCK, sentences, streams, written

pytestmark = needs_corpus
README = (REPO / "README.md").read_text()


def test_readme_gives_the_numbers_of_this_corpus_run() -> None:
    wanted = sentences()
    assert {m["name"] for m in BLOCK.finditer(README)} == set(wanted)
    text = golden_parts(REPO / "README.md", lambda text: written(text, wanted))
    assert written(text, wanted) == text, "run: python tests/corpus_numbers.py --write README.md"


def test_the_counts_are_of_every_render_and_can_fail() -> None:
    files, one, separate = streams()
    assert files == len(corpus_files())
    assert f"On the {files} corpus files" in README
    assert 0 < one < separate  # evidence in one render keeps others back in one stream


def test_the_kubeconform_counts_are_those_the_kubeconform_test_holds() -> None:
    """README's "N of the M renders are valid as rendered, and K are not" and its table name
    exactly the renders ``tests/test_kubeconform.py`` knows to be invalid as rendered (that
    test runs kubeconform on every corpus render and fails on any other finding)."""
    from test_kubeconform import INVALID_AS_RENDERED

    total, invalid = len(corpus_files()), len(INVALID_AS_RENDERED)
    said = " ".join(README.split())
    assert f"{total - invalid} of the {total} renders are valid as rendered, and {invalid} " \
        "are not" in said
    table = README[README.index("are valid as rendered"):README.index("### SARIF")]
    rows = [line.split("|")[1] for line in table.splitlines() if line.startswith("| ")][2:]
    named = {name.strip() for row in rows for name in row.split(",")}
    assert named == {name.removesuffix(".yaml") for name in INVALID_AS_RENDERED}
