"""Property-based tests: generated Gloo-like streams and mutations of the real corpus.

Every example must either be refused with one clean line (a ``TransformerError``) or come out
with the same documents, untouched ones byte for byte, and a second run must change nothing
(``properties.check``). Example counts are bounded and the search is derandomized, so the
suite stays fast and repeatable; ``test_fuzz_target.py`` runs the open-ended search.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import corpus_files, needs_corpus
from fuzz import gloo_streams, properties

FAST = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FAST
@given(gloo_streams.gloo_stream())
def test_generated_streams_keep_every_promise(data: bytes) -> None:
    outcome = properties.check(data)
    assert outcome is not None, "a generated stream is valid YAML and must not be refused"


@settings(FAST, max_examples=12)
@given(gloo_streams.gloo_stream())
def test_generated_streams_with_sidecars(data: bytes) -> None:
    assert properties.check(data, properties.SIDECARS) is not None


WINDOWS = gloo_streams.corpus_windows(corpus_files())


@needs_corpus
@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_mutated_corpus_never_crashes(data: st.DataObject) -> None:
    properties.check(data.draw(gloo_streams.mutated(WINDOWS)))


@needs_corpus
@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.sampled_from(WINDOWS or [""]))
def test_corpus_windows_keep_every_promise(window: str) -> None:
    assert properties.check(window.encode()) is not None


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    properties.check(data)
