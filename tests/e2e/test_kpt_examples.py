"""examples/kpt-eval and examples/kpt-render: their run.sh, executed with the real kpt.

What each prints is a whole run of every built-in on the example, so it is kept in
``tests/data/examples/<example>.txt`` (``GLOO_HARDEN_UPDATE_GOLDEN=1`` rewrites it); the lines
below, written by hand, are the four hardenings' edits, which must stay among them.
"""

from __future__ import annotations

import pytest

from conftest import golden
from krmtools import REPO, client, run

pytestmark = pytest.mark.e2e

SHOWN = REPO / "tests" / "data" / "examples"
HARDENED = ["+            add: []", "+          readOnlyRootFilesystem: true",
            "+      automountServiceAccountToken: false", "+automountServiceAccountToken: false"]


def _in_order(wanted: list[str], shown: list[str]) -> bool:
    """``wanted`` appear in ``shown`` in this order (other lines between them)."""
    rest = iter(shown)
    return all(line in rest for line in wanted)


def test_kpt_eval_example() -> None:
    client("kpt")
    done = run(REPO / "examples" / "kpt-eval" / "run.sh")
    assert done.returncode == 0, done.stderr
    assert done.stdout == golden(SHOWN / "kpt-eval.txt", done.stdout)
    shown = done.stdout.splitlines()
    first = shown[1:shown.index("# 2. again: nothing left to change")]
    assert _in_order(["-            add:", "-            - NET_BIND_SERVICE", *HARDENED,
                      "-    disableKubernetesDestinations: false",
                      "+    disableKubernetesDestinations: true"], first)
    assert "second run: no change" in shown and "Settings left alone in both" in shown
    assert "[PASS] \"gloo-harden\"" in done.stderr
    assert "[warning]: no VirtualService (gateway.solo.io), RouteTable" in done.stderr


def test_kpt_render_example() -> None:
    client("kpt")
    done = run(REPO / "examples" / "kpt-render" / "run.sh")
    assert done.returncode == 0, done.stderr
    assert done.stdout == golden(SHOWN / "kpt-render.txt", done.stdout)
    shown = done.stdout.splitlines()
    assert _in_order(["-            add:", "-            - NET_BIND_SERVICE", *HARDENED], shown)
    assert shown[-1] == "second render: no change"
    assert "Successfully executed 2 function(s) in 1 package(s)." in done.stderr
