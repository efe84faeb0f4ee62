"""Every corpus number README.md gives is the corpus run's (``tests/corpus_numbers.py``): the
renders counted, changes as one stream and with separate renders, fidelity lines with and
without the restricted profile, and the Pod Security violations left. A change that moves
one fails here until ``python tests/corpus_numbers.py --write README.md`` is run."""

from __future__ import annotations

from conftest import REPO, corpus_files, needs_corpus
from corpus_numbers import BLOCK, sentences, streams, written

pytestmark = needs_corpus
README = (REPO / "README.md").read_text()


def test_readme_gives_the_numbers_of_this_corpus_run() -> None:
    wanted = sentences()
    assert {m["name"] for m in BLOCK.finditer(README)} == set(wanted)
    assert written(README, wanted) == README, "run: python tests/corpus_numbers.py --write README.md"


def test_the_counts_are_of_every_render_and_can_fail() -> None:
    files, one, separate = streams()
    assert files == len(corpus_files())
    assert f"On the {files} corpus files" in README
    assert 0 < one < separate  # evidence in one render keeps others back in one stream
