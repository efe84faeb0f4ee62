"""No run over the corpus says anything twice: every render, with the defaults and with
``--profile restricted --sidecars``, through the pipe as a user runs it, ``--results`` JSON
read back. Two results that differ only in the hardening they name are the same statement
(``resources.results.said_once``): one per object, field and reason."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from conftest import corpus_params
from test_golden import in_process

OPTION_SETS = {"defaults": (), "restricted-sidecars": ("--profile", "restricted", "--sidecars")}


@pytest.mark.parametrize("option_set", OPTION_SETS)
@pytest.mark.parametrize("path", corpus_params(), ids=lambda p: getattr(p, "name", p))
def test_no_result_is_said_twice(path: Path, option_set: str, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    results = tmp_path / "results.json"
    ran = in_process([*OPTION_SETS[option_set], "--results", str(results), "-o",
                      str(tmp_path / "out.yaml"), str(path)], "", monkeypatch)
    assert ran.returncode in (0, 1), ran.stderr
    said = json.loads(results.read_text())
    assert said  # every render says something: the test reads what it should
    statements = Counter(json.dumps({k: v for k, v in r.items() if k != "hardening"},
                                    sort_keys=True) for r in said)
    assert [s for s, n in statements.items() if n > 1] == []


#: An application team's objects beside a platform render: two Gateways (80 and 8080) on
#: GatewayParameters that set omitDefaultSecurityContext: true (kgateway) or are per-Gateway
#: (Gloo, which has no such field), where one statement concerns two hardenings.
TEAM = {
    "kgateway": """\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {name: omit-params, namespace: apps}
spec:
  kube:
    omitDefaultSecurityContext: true
    envoyContainer: {securityContext: {capabilities: {add: [NET_BIND_SERVICE]}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: apps}
spec:
  gatewayClassName: kgateway
  infrastructure: {parametersRef: {group: gateway.kgateway.dev, kind: GatewayParameters,
                                   name: omit-params}}
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: internal, namespace: apps}
spec:
  gatewayClassName: kgateway
  infrastructure: {parametersRef: {group: gateway.kgateway.dev, kind: GatewayParameters,
                                   name: omit-params}}
  listeners: [{name: http, port: 8080, protocol: HTTP}]
""",
    "gloo": """\
apiVersion: gateway.gloo.solo.io/v1alpha1
kind: GatewayParameters
metadata: {name: team-params, namespace: apps}
spec:
  kube:
    envoyContainer: {securityContext: {capabilities: {add: [NET_BIND_SERVICE]},
                                       readOnlyRootFilesystem: false}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
  namespace: apps
  annotations: {gateway.gloo.solo.io/gateway-parameters-name: team-params}
spec:
  gatewayClassName: gloo-gateway
  listeners: [{name: http, port: 80, protocol: HTTP}]
""",
}
RENDERS = {"kgateway-2.1.2-default.yaml": "kgateway", "kgateway-2.2.0-default.yaml": "kgateway",
           "gloo-1.17.0-kubegateway.yaml": "gloo"}


@pytest.mark.parametrize("option_set", OPTION_SETS)
@pytest.mark.parametrize("render", sorted(RENDERS))
def test_team_parameters_are_spoken_of_once(render: str, option_set: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The omitDefaultSecurityContext warning concerns two hardenings (capabilities, root
    filesystem) and is said once per object; so is everything else said about the team's
    objects."""
    (path,) = [p for p in corpus_params() if getattr(p, "name", None) == render] or [None]
    if path is None:
        pytest.skip(f"{render} not in the corpus")
    stream = tmp_path / "stream.yaml"
    stream.write_text(path.read_text() + "---\n" + TEAM[RENDERS[render]])
    results = tmp_path / "results.json"
    ran = in_process([*OPTION_SETS[option_set], "--results", str(results), "-o",
                      str(tmp_path / "out.yaml"), str(stream)], "", monkeypatch)
    assert ran.returncode in (0, 1), ran.stderr
    said = json.loads(results.read_text())
    statements = Counter(json.dumps({k: v for k, v in r.items() if k != "hardening"},
                                    sort_keys=True) for r in said)
    assert [s for s, n in statements.items() if n > 1] == []
    omit = [r for r in said if r.get("field") == "spec.kube.omitDefaultSecurityContext"]
    assert len(omit) == (1 if RENDERS[render] == "kgateway" else 0), omit
