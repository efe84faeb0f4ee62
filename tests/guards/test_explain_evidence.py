"""Every guard says what evidence it reads, and ``explain`` prints it for every hardening that
uses the guard (built-ins and profiles alike)."""

from __future__ import annotations

import pytest

from conftest import run_tool
from gloo_harden.guards import GUARDS
from gloo_harden.run import hardenings


@pytest.mark.parametrize("guard", sorted(GUARDS))
def test_every_guard_lists_its_evidence(guard: str) -> None:
    evidence = GUARDS[guard].EVIDENCE
    assert evidence and all(isinstance(line, str) and line for line in evidence)


def test_explain_prints_each_guards_evidence() -> None:
    with_guards = [h for h in hardenings.builtin() + hardenings.profile("restricted") if h.guards]
    assert with_guards
    for item in with_guards:
        explained = run_tool("explain", item.id).stdout.decode()
        for guard in item.guards:
            assert f"guard {guard} keeps the change back on any of:" in explained
            for line in GUARDS[guard].EVIDENCE:
                assert f"  - {line}\n" in explained


def test_explain_lists_every_form_of_istio_evidence() -> None:
    explained = run_tool("explain", "disable-sa-token-automount").stdout.decode()
    for form in ("istio-proxy", "istio-token", "sidecar.istio.io/inject", "istio.io/rev",
                 "istio-injection: enabled", "--istio-injected", "istioInjected",
                 "enableIntegration"):
        assert form in explained, form


def test_explain_names_the_kinds_each_guard_reads() -> None:
    explained = run_tool("explain", "disable-kubernetes-destinations").stdout.decode()
    rows = GUARDS["no-kube-destinations"].KINDS_READ
    (line,) = [x for x in explained.splitlines() if x.startswith("  objects it reads")]
    assert all(row.what.resource in line for row in rows)
