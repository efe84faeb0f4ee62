"""The per-release facts (``releases.py``) against the code: what each release's render, hardened,
really changes and adds; and the README, ``list`` and ``explain`` showing exactly those facts."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import CORPUS, REPO, needs_corpus, run_tool
from gloo_harden.gloo import releases
from gloo_harden.resources.results import Severity
from gloo_harden.run import hardenings
from gloo_harden.run.pipeline import Options, Source, harden

#: A per-Gateway GatewayParameters of an application team, for the releases whose chart has none.
TEAM_PARAMETERS = """\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {name: team-params, namespace: apps}
spec:
  kube:
    envoyContainer:
      securityContext:
        capabilities: {add: [NET_BIND_SERVICE]}
        readOnlyRootFilesystem: false
---
# the Gateway using them: what they are merged over is then known (the class the run adds for
# 2.0/2.1, the controller's for 2.2+), so an empty add may replace it
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: apps}
spec:
  gatewayClassName: kgateway
  infrastructure:
    parametersRef: {group: gateway.kgateway.dev, kind: GatewayParameters, name: team-params}
  listeners: [{name: http, port: 8080, protocol: HTTP}]
"""
#: A kgateway 2.4 controller as its chart renders it (no 2.4 render in the corpus).
KGATEWAY_2_4 = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: kgateway
  namespace: kgateway-system
  labels: {app.kubernetes.io/name: kgateway, helm.sh/chart: kgateway-v2.4.0, app.kubernetes.io/version: v2.4.0}
spec:
  template:
    spec:
      containers:
      - name: kgateway
        image: cr.kgateway.dev/kgateway-dev/kgateway:v2.4.0
        env: [{name: KGW_XDS_SERVICE_NAME, value: kgateway}]
"""
#: release id → the corpus renders (plus test-owned objects) that show what its row says.
WITNESSES = {
    "gloo-edge-1.2": ["gloo-1.2.0-rio-glooctl-dry-run.yaml"],
    "gloo-edge-1.4": ["gloo-1.4.15-rio-glooctl-dry-run.yaml", "gloo-1.13.0-ingress-knative.yaml",
                      "gloo-1.13.0-default.yaml"],
    "gloo-edge-1.14": ["gloo-1.22.1-securitycontext-override.yaml", "gloo-1.22.1-default.yaml"],
    "gloo-gateway-1.17": ["gloo-1.17.0-kubegateway.yaml"],
    "kgateway-2.0": ["kgateway-2.0.5-default.yaml", TEAM_PARAMETERS],
    "kgateway-2.1": ["kgateway-2.1.2-default.yaml", TEAM_PARAMETERS],
    "kgateway-2.2": ["kgateway-2.2.0-default.yaml", TEAM_PARAMETERS],
    "kgateway-2.3": ["kgateway-2.3.0-default.yaml", TEAM_PARAMETERS],
    "kgateway-2.4": [KGATEWAY_2_4 + "---\n" + TEAM_PARAMETERS],  # no corpus render: inline
}


def _identities(text: str) -> list[tuple[str, str]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [(d["kind"], d["metadata"]["name"]) for d in yaml.load_all(text, Loader=loader) if d]


def test_every_release_has_a_witness() -> None:
    assert set(WITNESSES) == {r.id for r in releases.RELEASES}


@needs_corpus
@pytest.mark.parametrize("release_id", sorted(WITNESSES))
def test_what_the_row_says_is_what_the_code_does(release_id: str) -> None:
    row = releases.find(release_id)
    assert row is not None
    options = Options(hardenings.builtin())
    renders = [w for w in WITNESSES[release_id] if w.endswith(".yaml")]
    for witness in renders or ["inline"]:
        texts = [(CORPUS / witness).read_text()] if renders else []
        texts += [w for w in WITNESSES[release_id] if not w.endswith(".yaml")]
        text = "---\n".join(texts)
        outcome = harden([Source(witness, text.encode())], options)
        changed = {r.field.split(".")[-1] for r in outcome.results
                   if r.severity is Severity.INFO and r.field and r.current != r.proposed}
        assert changed, witness
        for field in changed:  # every field changed is one the row names
            assert re.search(rf"\b{re.escape(field)}\b", row.hardened), (witness, field)
        before = _identities(text)
        added = [i for i in _identities(outcome.text) if i not in before]
        if row.adds == "nothing":
            assert added == [], witness
        for kind, name in added:
            assert kind in row.adds and name in row.adds, (witness, kind, name)
        if "not asked for one" in row.you_must:  # kgateway has no Settings
            assert not [r for r in outcome.results
                        if "Settings" in r.message and r.severity is not Severity.INFO], witness
        if row.generation == releases.GATEWAY_API:  # `add: []`, never a missing key
            assert "add: []" in outcome.text and "NET_BIND_SERVICE" not in outcome.text


def test_readme_shows_the_tables() -> None:
    assert releases.markdown() in (REPO / "README.md").read_text()


def test_list_and_explain_show_every_release() -> None:
    listing = run_tool("list").stdout.decode()
    everything = run_tool("explain", releases.TOPIC).stdout.decode()
    for row in releases.RELEASES:
        assert f"  {row.id} " in listing
        assert f"{row.name.replace('`', '')} ({row.generation})" in everything
        one = run_tool("explain", row.id)
        assert one.returncode == 0 and one.stdout.decode().strip() in everything
    assert everything.index("== Gloo Edge 1.x ==") < everything.index("== Gateway API ==")


def test_an_unknown_id_names_the_releases_too() -> None:
    done = run_tool("explain", "kgateway-9")
    assert done.returncode == 2
    assert "or a release: releases, gloo-edge-1.2," in done.stderr.decode()
