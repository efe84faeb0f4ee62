"""PodSecurity admission, not our reading of it: the workloads of every corpus render hardened with
``--profile restricted`` are applied for real (with their ServiceAccounts) in a namespace that
enforces ``restricted``, and kube-controller-manager creates their Pods. Every Pod the admission
refuses must correspond, control by control, to a warning result of gloo-harden for that workload
(a guard kept something back, and said why); a refusal without one fails the test.

tests/pss.py, the offline reading tests/profiles/test_restricted.py uses, is checked here against
the real admission on the same objects: for every workload it must name exactly the controls the
admission names (none for an admitted Pod).
"""

from __future__ import annotations

import copy
import json
import re
import time
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

import pss
from conftest import corpus_params, needs_corpus, run_tool
from controlplane import ENFORCE, ControlPlane
from deployer import BY_LABEL, cluster, harden, render, sidecar_stream

pytestmark = [pytest.mark.e2e, needs_corpus]

WORKLOADS = {"Deployment": "apps/v1", "DaemonSet": "apps/v1", "StatefulSet": "apps/v1",
             "Job": "batch/v1"}
RESTRICTED = {ENFORCE: "restricted", f"{ENFORCE}-version": "latest"}
#: PodSecurity's check names (k8s.io/pod-security-admission/policy, as its messages print them)
#: -> tests/pss.py's control names.
CONTROLS = {
    "host namespaces": "hostNamespaces", "hostPath volumes": "hostPathVolumes",
    "privileged": "privileged", "non-default capabilities": "capabilities",
    "unrestricted capabilities": "capabilities", "hostPort": "hostPorts",
    "seccompProfile": "seccompProfile", "restricted volume types": "restrictedVolumes",
    "runAsNonRoot != true": "runAsNonRoot", "runAsUser=0": "runAsUser",
    "allowPrivilegeEscalation != false": "allowPrivilegeEscalation",
}
#: control -> the profile hardening whose guard keeps it back, with a warning
KEPT_BY = {"runAsNonRoot": "restricted-run-as-non-root",
           "hostNamespaces": "restricted-host-namespaces",
           "hostPorts": "restricted-host-namespaces"}
VERDICT_TIMEOUT = 120.0


class Verdict(NamedTuple):
    kind: str
    name: str
    admitted: bool
    controls: frozenset[str]  # pss.py names of what PodSecurity refused; empty when admitted
    message: str


def controls(message: str) -> frozenset[str]:
    """The checks a PodSecurity refusal names: ``... violates PodSecurity "restricted:latest":
    allowPrivilegeEscalation != false (container "x" must ...), runAsNonRoot != true (...)``."""
    _, _, listed = message.partition('violates PodSecurity "restricted:latest": ')
    assert listed, message
    names, depth, current = [], 0, ""
    for char in listed:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += char
    names.append(current)
    checks = [re.sub(r"\s*\(.*$", "", n.strip(), flags=re.S) for n in names]
    return frozenset(CONTROLS.get(c, c) for c in checks)


def workloads(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)
            and WORKLOADS.get(str(d.get("kind"))) == d.get("apiVersion")]


def moved(text: str, namespace: str) -> list[dict[str, Any]]:
    """The stream's workloads and ServiceAccounts (Pods need theirs to exist), in ``namespace``,
    with at least one replica, so that a Pod is created for each."""
    docs = []
    for doc in yaml.safe_load_all(text):
        if not isinstance(doc, dict):
            continue
        if doc.get("kind") == "ServiceAccount" or doc in workloads(text):
            doc = copy.deepcopy(doc)
            doc["metadata"]["namespace"] = namespace
            if doc["kind"] in ("Deployment", "StatefulSet") and doc["spec"].get("replicas") == 0:
                doc["spec"]["replicas"] = 1
            docs.append(doc)
    return docs


def verdicts(plane: ControlPlane, namespace: str, applied: list[dict[str, Any]]) -> list[Verdict]:
    """For each workload applied: its Pod admitted, or PodSecurity's refusal (a FailedCreate
    event on its ReplicaSet, Job, DaemonSet or StatefulSet). Waits until every one has one."""
    wanted = [(d["kind"], d["metadata"]["name"]) for d in applied if d["kind"] in WORKLOADS]
    deadline = time.monotonic() + VERDICT_TIMEOUT
    while True:
        found = _judged(plane, namespace, wanted)
        if len(found) == len(wanted) or time.monotonic() > deadline:
            missing = sorted(set(wanted) - {(v.kind, v.name) for v in found})
            assert not missing, f"no Pod and no refusal after {VERDICT_TIMEOUT:.0f}s: {missing}"
            return found
        time.sleep(1)


def _judged(plane: ControlPlane, namespace: str, wanted: list[tuple[str, str]]) -> list[Verdict]:
    items = plane.get("-n", namespace, "replicasets,pods,events")["items"]

    def owned(kind: str, owner: str) -> list[dict[str, Any]]:
        return [i for i in items if i["kind"] == kind and any(
            r["name"] == owner for r in i["metadata"].get("ownerReferences") or [])]

    found = []
    for kind, name in wanted:
        creators = [r["metadata"]["name"] for r in owned("ReplicaSet", name)] \
            if kind == "Deployment" else [name]
        pods = [p for c in creators for p in owned("Pod", c)]
        refusals = [e["message"] for e in items if e["kind"] == "Event"
                    and e.get("reason") == "FailedCreate"
                    and e["involvedObject"]["name"] in creators]
        assert all("violates PodSecurity" in m for m in refusals), refusals  # nothing else
        if pods:
            assert not refusals, (kind, name, refusals)
            found.append(Verdict(kind, name, True, frozenset(), ""))
        elif refusals:
            found.append(Verdict(kind, name, False, controls(refusals[-1]), refusals[-1]))
    return found


def admit(plane: ControlPlane, text: str, label: str) -> list[Verdict]:
    """Apply the workloads of ``text`` in a fresh namespace enforcing restricted; the verdicts."""
    namespace = plane.namespace(label, labels=RESTRICTED)
    docs = moved(text, namespace)
    plane.kubectl("create", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                         "items": docs}))
    return verdicts(plane, namespace, docs)


def unexplained(verdict: Verdict, results: list[dict[str, Any]], text: str) -> set[str]:
    """The controls of a refusal that no warning of gloo-harden for that workload keeps back."""
    (source,) = [d for d in workloads(text)
                 if (d["kind"], d["metadata"]["name"]) == (verdict.kind, verdict.name)]
    warned = {r["hardening"] for r in results if r["severity"] == "warning"
              and (r.get("resource") or {}).get("kind") == verdict.kind
              and r["resource"]["name"] == verdict.name
              and r["resource"].get("namespace") == source["metadata"].get("namespace")}
    return {c for c in verdict.controls if KEPT_BY.get(c) not in warned}


def offline(text: str) -> dict[tuple[str, str], frozenset[str]]:
    """tests/pss.py's reading of the same workloads: controls per (kind, name)."""
    return {(d["kind"], d["metadata"]["name"]): frozenset(v.control for v in pss.check(d))
            for d in workloads(text)}


def _restricted(path: Path, tmp_path: Path) -> tuple[str, list[dict[str, Any]]]:
    results = tmp_path / "results.json"
    done = run_tool("--profile", "restricted", "--results", str(results), str(path))
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode(), json.loads(results.read_text())


@pytest.mark.parametrize("path", corpus_params(), ids=lambda p: getattr(p, "name", p))
def test_every_refused_pod_is_a_reported_guard(path: Path, control_plane: ControlPlane,
                                              tmp_path: Path) -> None:
    text, results = _restricted(path, tmp_path)
    if not workloads(text):
        pytest.skip(f"{path.name} has no workloads")
    found = admit(control_plane, text, path.stem)
    assert {(v.kind, v.name) for v in found} == set(offline(text))
    for verdict in found:
        assert unexplained(verdict, results, text) == set(), verdict.message
    # tests/pss.py agrees with the real admission on every workload
    assert {(v.kind, v.name): v.controls for v in found} == offline(text)


def test_unhardened_renders_are_refused_without_a_reason(control_plane: ControlPlane,
                                                         tmp_path: Path) -> None:
    """The same judge on gloo-1.22.1-default as rendered and hardened without the profile: its
    Pods are refused, and no warning of gloo-harden explains it (so the test above can fail)."""
    source = next((p for p in corpus_params() if getattr(p, "name", "") == "gloo-1.22.1-default.yaml"), None)
    if source is None:
        pytest.skip("gloo-1.22.1-default.yaml is not in the corpus")
    results = tmp_path / "results.json"
    done = run_tool("--results", str(results), str(source))
    assert done.returncode == 0
    text = done.stdout.decode()
    found = admit(control_plane, text, "unhardened")
    refused = [v for v in found if not v.admitted]
    assert refused and all("seccompProfile" in v.controls for v in refused), found
    assert any(unexplained(v, json.loads(results.read_text()), text) for v in refused)
    assert {(v.kind, v.name): v.controls for v in found} == offline(text)


@pytest.mark.parametrize("label", ["gloo-1.19", "kgw-2.1"])
def test_proxy_pod_with_sidecars_is_admitted_once_its_parameters_are_hardened(
        label: str, control_plane: ControlPlane) -> None:
    """The proxy pod the deployer (emulated, Istio integration on) makes from a Gloo 1.19 or
    kgateway 2.1 GatewayParameters templating ``sds`` and ``istio-proxy``: refused as rendered,
    on both sidecars among others; admitted once the stream went through ``--profile
    restricted`` (tests/e2e/test_deployer_sidecars.py proves the same with tests/pss.py)."""
    version = BY_LABEL[label]
    stream = sidecar_stream(version)
    for hardened in (False, True):
        text = harden(stream, "--profile", "restricted") if hardened else stream
        rendered = render(version, cluster(version, text), "web", istio=True)
        proxy_text = yaml.safe_dump_all(list(rendered), sort_keys=False)
        (verdict,) = admit(control_plane, proxy_text, f"sidecars-{label}-{int(hardened)}")
        assert verdict.admitted is hardened, verdict.message
        if not hardened:
            assert '"sds"' in verdict.message and '"istio-proxy"' in verdict.message
        assert {(verdict.kind, verdict.name): verdict.controls} == offline(proxy_text)
