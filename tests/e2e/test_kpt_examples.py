"""examples/kpt-eval and examples/kpt-render: their run.sh, executed with the real kpt."""

from __future__ import annotations

import pytest

from krmtools import REPO, client, run

pytestmark = pytest.mark.e2e

HARDENED = ["+            add: []", "+          readOnlyRootFilesystem: true",
            "+      automountServiceAccountToken: false", "+automountServiceAccountToken: false"]


def test_kpt_eval_example() -> None:
    client("kpt")
    done = run(REPO / "examples" / "kpt-eval" / "run.sh")
    assert done.returncode == 0, done.stderr
    shown = done.stdout.splitlines()
    diff = shown[shown.index("# 1. in place, all four hardenings (kpt prints the results on stderr)")
                 + 1:shown.index("6")]  # 5 changes and the routes unseen
    assert diff == ["-            add:", "-            - NET_BIND_SERVICE", *HARDENED[:3],
                    HARDENED[3], "-    disableKubernetesDestinations: false",
                    "+    disableKubernetesDestinations: true"]
    assert "second run: no change" in shown and "Settings left alone in both" in shown
    assert "[PASS] \"gloo-harden\"" in done.stderr
    assert "[warning]: no VirtualService (gateway.solo.io), RouteTable" in done.stderr


def test_kpt_render_example() -> None:
    client("kpt")
    done = run(REPO / "examples" / "kpt-render" / "run.sh")
    assert done.returncode == 0, done.stderr
    shown = done.stdout.splitlines()
    assert shown[:len(HARDENED) + 2] == ["-            add:", "-            - NET_BIND_SERVICE",
                                         *HARDENED]
    assert shown[-1] == "second render: no change"
    assert "Successfully executed 2 function(s) in 1 package(s)." in done.stderr
