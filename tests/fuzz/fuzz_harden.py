#!/usr/bin/env python3
"""Coverage-guided fuzz target for atheris (libFuzzer): bytes in, ``properties.check``.

    python tests/fuzz/fuzz_harden.py SEED_DIR -max_total_time=20      # libFuzzer flags
    python tests/fuzz/fuzz_harden.py --hypothesis 2000                 # without atheris

A crash is an uncaught exception: a ``TransformerError`` is a clean refusal and is fine,
anything else (or a broken promise, as an ``AssertionError``) is a bug. libFuzzer writes the
input to ``crash-<sha1>``; fix the bug, then add that file to ``tests/fuzz/regressions/``,
where ``test_regressions.py`` replays it on every run.

Without atheris (no wheel for this Python), ``--hypothesis N`` runs the same target on N
inputs from hypothesis' binary strategy seeded with the regressions: not coverage-guided,
but the same checks.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/: ``fuzz.properties``
sys.setrecursionlimit(10_000)  # as the CLI does for the default --max-depth


def test_one_input(data: bytes) -> None:
    from fuzz import properties

    properties.check(data)


def _atheris(argv: list[str]) -> None:
    import atheris

    with atheris.instrument_imports(include=["gloo_harden", "ruamel"]):
        import gloo_harden.run.pipeline  # noqa: F401
        from fuzz import properties  # noqa: F401
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


def _hypothesis(count: int) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    seeds = [p.read_bytes() for p in sorted((HERE / "regressions").glob("*")) if p.is_file()]
    inputs = st.one_of(st.binary(max_size=2000), st.sampled_from(seeds)) if seeds else st.binary()

    @settings(max_examples=count, deadline=None, database=None)
    @given(inputs)
    def run(data: bytes) -> None:
        test_one_input(data)

    run()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--hypothesis"]:
        _hypothesis(int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
    else:
        _atheris(sys.argv)
