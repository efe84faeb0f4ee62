"""Idempotence across hardenings: one run of the built-ins reaches the hardened state, so
``--check`` on its output passes (issue 18: a GatewayParameters without envoyContainer needed
two runs, the first writing only ``capabilities.add: []``)."""

from __future__ import annotations

import yaml

from conftest import run_tool

PARAMETERS = """\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata:
  name: team-params
  namespace: apps
spec:
  kube:
    deployment:
      replicas: 2
---
# the class naming them: what an empty capabilities.add replaces is then known (the default)
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: team}
spec:
  controllerName: kgateway.dev/kgateway
  parametersRef: {group: gateway.kgateway.dev, kind: GatewayParameters, name: team-params,
                  namespace: apps}
"""


def test_parameters_without_envoy_container_are_hardened_in_one_run() -> None:
    first = run_tool(input=PARAMETERS)
    assert first.returncode == 0, first.stderr.decode()
    envoy = next(yaml.safe_load_all(first.stdout))["spec"]["kube"]["envoyContainer"]
    assert envoy["securityContext"] == {"capabilities": {"add": []},
                                        "readOnlyRootFilesystem": True}
    again = run_tool("--check", input=first.stdout)
    assert again.returncode == 0, again.stderr.decode()
    assert "0 changes" in again.stderr.decode()
