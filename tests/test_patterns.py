"""``patterns.lazy``: a pattern compiled at its first use answers as ``re.compile`` would, and
the modules of a plain run compile at import only the patterns every run uses."""

from __future__ import annotations

import re
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import tool_env
from gloo_harden.patterns import lazy, line_matches

TEXT = "kind: Deployment\nimage: gloo:1.2.3\n  - x: y\nimage: kgateway:v2.1.0\n"


def test_a_lazy_pattern_answers_as_the_compiled_one() -> None:
    for pattern, flags in ((r"^image:[ \t]*(\w+):v?(\d+)", re.MULTILINE), (r"(\w+):", 0),
                           (r"[ \t]*-[ \t]+", 0)):
        eager, late = re.compile(pattern, flags), lazy(pattern, flags)
        assert late.pattern == eager.pattern and late.flags == flags
        for pos, end in ((0, len(TEXT)), (3, 40), (17, 17)):
            for method in ("match", "fullmatch", "search"):
                got, wanted = (getattr(p, method)(TEXT, pos, end) for p in (late, eager))
                assert (got and got.span()) == (wanted and wanted.span()), (pattern, method)
            assert [m.span() for m in late.finditer(TEXT, pos, end)] == \
                [m.span() for m in eager.finditer(TEXT, pos, end)]
            assert late.findall(TEXT, pos, end) == eager.findall(TEXT, pos, end)
        assert late.sub("<\\g<0>>", TEXT) == eager.sub("<\\g<0>>", TEXT)
        assert late.sub(lambda m: m.group(0).upper(), TEXT, 1) == \
            eager.sub(lambda m: m.group(0).upper(), TEXT, 1)
        assert late.compiled is late.compiled  # compiled once


def test_a_plain_run_compiles_at_import_only_the_patterns_every_run_uses() -> None:
    """The stream splitter's and the release scan's: the rest (31 patterns, 25M of a corpus
    render's 295M instructions, of which it used six) wait for their first use."""
    probe = subprocess.run(
        [sys.executable, "-c",
         "import re, sys\n"
         "compiled = []\n"
         "original = re.compile\n"
         "def counting(pattern, flags=0):\n"
         "    caller = sys._getframe(1).f_globals.get('__name__', '')\n"
         "    if caller.startswith('gloo_harden'):\n"
         "        compiled.append(caller)\n"
         "    return original(pattern, flags)\n"
         "re.compile = counting\n"
         "from gloo_harden.adapters import pipe\n"
         "from gloo_harden.run import pipeline\n"
         "print(sorted(compiled))\n"], capture_output=True, text=True, env=tool_env(), timeout=60)
    assert probe.returncode == 0, probe.stderr
    assert eval(probe.stdout) == ["gloo_harden.gloo.release_detection"] * 2 + \
        ["gloo_harden.yamltext.stream"] * 4  # noqa: S307 - our own probe's list


_LINE_PIECES = ["  ", "\t", "gloo:", " gateway-proxy", " gloo", "'", "\n", "x: y", "- ",
                "gloo: ingress-proxy", "#", "\r"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_LINE_PIECES), max_size=30))
def test_line_matches_are_the_matches_of_the_whole_text(pieces: list[str]) -> None:
    from gloo_harden.gloo.release_detection import _EDGE_PROXY

    text = "".join(pieces)
    for pattern in (_EDGE_PROXY, lazy(r"^[ \t]*gloo:[ \t]*(\w*)[ \t]*$", re.MULTILINE)):
        assert [m.span() for m in line_matches(pattern, text, "gloo:")] == \
            [m.span() for m in pattern.finditer(text)], text
