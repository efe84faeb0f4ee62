"""The checkov judge (benchmarks/checkov/judge.py) reads real checkov 3.3.30 JSON correctly.

The JSON under tests/data/checkov/ is checkov's own output (``-o json --quiet --compact
--skip-download``) on tests/data/proxy-with-net-bind.yaml before and after gloo-harden, and on
the same proxy listening on port 80 after gloo-harden (no check reads ports, so "before" is
the same for both), with gloo-harden's ``--results`` for each run.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conftest import REPO

DATA = Path(__file__).parent / "data" / "checkov"
PROXY = "Deployment.gloo-system.gateway-proxy"


@pytest.fixture(scope="module")
def judge() -> ModuleType:
    spec = importlib.util.spec_from_file_location("checkov_judge",
                                                  REPO / "benchmarks" / "checkov" / "judge.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["checkov_judge"] = module
    spec.loader.exec_module(module)
    return module


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def test_failures_are_read_per_check_and_resource(judge: ModuleType) -> None:
    found, count = judge.failures(_load("proxy-before.json"))
    assert count == 2  # the Deployment and the Pod checkov derives from it
    assert len(found) == 16
    assert {("CKV_K8S_25", PROXY), ("CKV_K8S_38", PROXY)} <= found
    assert ("CKV_K8S_22", PROXY) not in found  # the chart already sets readOnlyRootFilesystem


def test_a_list_of_frameworks_and_an_empty_report(judge: ModuleType) -> None:
    report = _load("proxy-before.json")
    found, count = judge.failures([{"check_type": "helm", "results": {"failed_checks": [
        {"check_id": "X", "resource": "y"}]}, "summary": {"resource_count": 5}}, report])
    assert (len(found), count) == (16, 2)
    assert judge.failures({"passed": 0, "failed": 0, "resource_count": 0}) == (set(), 0)


def test_hardening_fixes_25_and_38_and_introduces_nothing(judge: ModuleType) -> None:
    before, _ = judge.failures(_load("proxy-before.json"))
    after, _ = judge.failures(_load("proxy-after.json"))
    verdict = judge.judge("proxy.yaml", before, after, [PROXY], _load("proxy-results.json"))
    assert verdict.fixed == {("CKV_K8S_25", PROXY), ("CKV_K8S_38", PROXY)}
    assert verdict.introduced == set()
    assert (verdict.kept, verdict.unexplained, verdict.passes) == ({}, set(), True)


def test_a_failure_a_guard_kept_is_explained_by_its_reason(judge: ModuleType) -> None:
    before, _ = judge.failures(_load("proxy-before.json"))
    after, _ = judge.failures(_load("proxy-port-80-after.json"))
    results = _load("proxy-port-80-results.json")
    verdict = judge.judge("port80.yaml", before, after, [PROXY], results)
    assert verdict.fixed == {("CKV_K8S_38", PROXY)}
    assert verdict.kept == {("CKV_K8S_25", PROXY): 'kept for container "gateway-proxy": '
                                                   "containerPort 80"}
    assert verdict.passes
    unexplained = judge.judge("port80.yaml", before, after, [PROXY], [])
    assert unexplained.unexplained == {("CKV_K8S_25", PROXY)}
    assert not unexplained.passes


def test_an_introduced_check_fails_the_bar(judge: ModuleType) -> None:
    before, _ = judge.failures(_load("proxy-after.json"))
    after, _ = judge.failures(_load("proxy-before.json"))
    verdict = judge.judge("backwards.yaml", before, after, [PROXY], [])
    assert verdict.introduced == {("CKV_K8S_25", PROXY), ("CKV_K8S_38", PROXY)}
    assert not verdict.passes


def test_the_table(judge: ModuleType) -> None:
    before, _ = judge.failures(_load("proxy-before.json"))
    after, _ = judge.failures(_load("proxy-port-80-after.json"))
    verdict = judge.judge("port80.yaml", before, after, [PROXY],
                          _load("proxy-port-80-results.json"))
    assert judge.table([verdict]).splitlines()[2] == (
        f"| port80.yaml | 1 | CKV_K8S_38 | none | CKV_K8S_25 {PROXY}: kept by guard ("
        'container "gateway-proxy": containerPort 80) | pass |')


def test_a_failure_only_sidecars_mode_clears_is_a_sidecar(judge: ModuleType) -> None:
    before, _ = judge.failures(_load("proxy-before.json"))
    after, _ = judge.failures(_load("proxy-port-80-after.json"))
    verdict = judge.judge("port80.yaml", before, after, [PROXY], [], with_sidecars=after - {
        ("CKV_K8S_25", PROXY)})
    assert verdict.opt_in == {("CKV_K8S_25", PROXY)}
    assert verdict.passes
    still = judge.judge("port80.yaml", before, after, [PROXY], [], with_sidecars=after)
    assert still.unexplained == {("CKV_K8S_25", PROXY)}
