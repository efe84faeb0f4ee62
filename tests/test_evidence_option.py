"""``--evidence PATH`` (functionConfig ``evidence``): objects the guards read and that are never
written, hardened or counted; ``gloo-harden explain evidence`` says what to collect (issue 18,
point 2). The Helm, kpt and kustomize routes are in ``tests/e2e`` (``--post-renderer-args``,
``-- evidence=PATH``, a plugin config's ``evidence:``)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import EMPTY_CLUSTER, REPO, golden_parts, pinned, run_tool
from gloo_harden.gloo.evidence import KEEPS, WARNS
from gloo_harden.outputs import evidence

EXAMPLE = REPO / "examples" / "pipe" / "gloo-rendered.yaml"
KUBE_ROUTE = """\
apiVersion: v1
kind: List
items:
- apiVersion: gateway.solo.io/v1
  kind: VirtualService
  metadata: {name: app, namespace: team-a}
  spec:
    virtualHost:
      domains: ['*']
      routes:
      - routeAction:
          single:
            kube: {ref: {name: app, namespace: team-a}, port: 8080}
"""
PROXY_IN_CLUSTER = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: other-proxy, namespace: gloo-system, labels: {gloo: gateway-proxy}}
spec:
  template:
    metadata: {labels: {gloo: gateway-proxy}}
    spec:
      containers:
      - name: other-proxy
        securityContext: {capabilities: {add: [NET_BIND_SERVICE]}}
"""
ROUTES_UNSEEN = "no VirtualService (gateway.solo.io), RouteTable (gateway.solo.io) or UpstreamGroup"


def test_a_route_in_the_evidence_keeps_the_settings_back(tmp_path: Path) -> None:
    collected = tmp_path / "virtualservices.gateway.solo.io.yaml"
    collected.write_text(KUBE_ROUTE)
    done = run_tool("--evidence", str(collected), *pinned(), str(EXAMPLE))  # the count's
    assert done.returncode == 0, done.stderr.decode()
    out, err = done.stdout.decode(), done.stderr.decode()
    assert "disableKubernetesDestinations: true" not in out
    assert ("kept for Settings: VirtualService team-a/app spec.virtualHost.routes[0].routeAction"
            f".single.kube ({collected}[doc 1])") in err
    assert ROUTES_UNSEEN not in err and "team-a" not in out  # read, never written
    assert "gloo-harden: 4 changes in 2 documents, 1 kept by a guard" in err


def test_without_evidence_the_routes_are_said_unseen_once() -> None:
    done = run_tool(str(EXAMPLE))
    err = done.stderr.decode()
    assert done.returncode == 0 and err.count(ROUTES_UNSEEN) == 1
    assert "disableKubernetesDestinations: true" in done.stdout.decode()
    strict = run_tool("--strict", str(EXAMPLE))
    assert strict.returncode == 1 and strict.stdout == b""
    assert f"[error]: {ROUTES_UNSEEN}" in strict.stderr.decode()


def test_an_empty_collection_covers_its_kinds_and_counts_nothing() -> None:
    plain = run_tool(*pinned(), str(EXAMPLE))  # the built-ins the count was written for
    done = run_tool("--strict", "--evidence", str(EMPTY_CLUSTER), *pinned(), str(EXAMPLE))
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == plain.stdout
    assert "evidence" not in done.stderr.decode().split("gloo-harden: ")[0].lower()
    assert "gloo-harden: 5 changes in 3 documents" in done.stderr.decode()


def test_evidence_is_never_hardened_written_or_counted(tmp_path: Path) -> None:
    (tmp_path / "deployments.apps.yaml").write_text(PROXY_IN_CLUSTER)
    plain = run_tool("--evidence", str(EMPTY_CLUSTER), *pinned(), str(EXAMPLE))  # the count's
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--evidence", str(tmp_path), *pinned(),
                    "--results", str(tmp_path / "r.json"), str(EXAMPLE))
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == plain.stdout and b"other-proxy" not in done.stdout
    results = json.loads((tmp_path / "r.json").read_text())
    assert not [r for r in results if "other-proxy" in json.dumps(r)]
    assert "gloo-harden: 5 changes in 3 documents" in done.stderr.decode()


def test_a_folder_is_read_with_its_subfolders_and_json(tmp_path: Path) -> None:
    import yaml

    (tmp_path / "team-a").mkdir()
    (tmp_path / "team-a" / "routes.json").write_text(json.dumps(yaml.safe_load(KUBE_ROUTE)))
    (tmp_path / "notes.txt").write_text("not evidence: not read")
    done = run_tool("--evidence", str(tmp_path), str(EXAMPLE))
    assert done.returncode == 0, done.stderr.decode()
    assert "kept for Settings: VirtualService team-a/app" in done.stderr.decode()


def test_a_missing_path_is_one_line_exit_2(tmp_path: Path) -> None:
    done = run_tool("--evidence", str(tmp_path / "nowhere"), str(EXAMPLE))
    assert done.returncode == 2 and done.stdout == b""
    (line,) = done.stderr.decode().splitlines()
    assert line.startswith(f'gloo-harden: --evidence "{tmp_path / "nowhere"}": no such file')


def _resource_list(evidence_paths: list[str]) -> str:
    """The example as a KRM ResourceList (JSON) with a GlooHardening naming the evidence."""
    import yaml

    items = [d for d in yaml.safe_load_all(EXAMPLE.read_text()) if d]
    return json.dumps({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                       "items": items, "functionConfig": {
                           "apiVersion": "gloo-harden.dev/v1alpha1", "kind": "GlooHardening",
                           "metadata": {"name": "h"}, "spec": {"evidence": evidence_paths}}})


def test_function_config_evidence(tmp_path: Path) -> None:
    collected = tmp_path / "virtualservices.gateway.solo.io.yaml"
    collected.write_text(KUBE_ROUTE)
    done = run_tool(input=_resource_list([str(collected)]))
    assert done.returncode == 0, done.stderr.decode()
    answer = json.loads(done.stdout)
    (settings,) = [i for i in answer["items"] if i["kind"] == "Settings"]
    assert settings["spec"]["gloo"].get("disableKubernetesDestinations") is not True
    assert any("kept for Settings: VirtualService team-a/app" in r["message"]
               for r in answer["results"])
    missing = run_tool(input=_resource_list([str(tmp_path / "nowhere")]))
    assert missing.returncode == 1
    (problem,) = [r for r in json.loads(missing.stdout)["results"] if r["severity"] == "error"]
    assert problem["field"]["path"] == "spec.evidence[0]" and "does not exist" in problem["message"]


def test_explain_evidence_prints_the_command_for_every_kind() -> None:
    done = run_tool("explain", "evidence")
    assert done.returncode == 0, done.stderr.decode()
    text = done.stdout.decode()
    assert 'kubectl get "$r" -A -o yaml > "gloo-evidence/$r.yaml"' in text
    loop = next(line for line in text.splitlines() if line.strip().startswith("for r in "))
    for what in evidence.kinds():
        assert f" {what.resource}" in loop, what
    for guard_id, row in evidence.rows():
        assert f"{row.what.resource} ({row.what.kind}), {guard_id}: {row.proves}" in text
    assert "gloo-harden --evidence gloo-evidence" in text


def test_every_side_taken_is_explained() -> None:
    for _, row in evidence.rows():
        assert (row.why != "") == (row.when_unseen in (KEEPS, WARNS)), row


def test_the_readme_lists_every_evidence_kind() -> None:
    """README's table is ``outputs.evidence.table()``; ``GLOO_HARDEN_UPDATE_GOLDEN=1`` writes it."""
    start, end = "<!-- evidence-table:start -->\n", "<!-- evidence-table:end -->"

    def with_table(text: str) -> str:
        assert start in text and end in text
        before, rest = text.split(start)
        _, after = rest.split(end)
        return before + start + evidence.table() + "\n" + end + after

    text = golden_parts(REPO / "README.md", with_table)
    assert text == with_table(text), "README evidence table: run with GLOO_HARDEN_UPDATE_GOLDEN=1"
