"""Injection decided in the cluster, told through a KRM functionConfig (``istioInjected``):
the proxy keeps its token and the result says why."""

from __future__ import annotations

import pytest
import yaml

from conftest import run_tool

RESOURCE_LIST = """\
apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {{name: gateway-proxy, namespace: gloo-system, labels: {{gloo: gateway-proxy}}}}
  spec:
    template:
      metadata: {{labels: {{gloo: gateway-proxy}}}}
      spec:
        containers:
        - name: gateway-proxy
          image: quay.io/solo-io/gloo-envoy-wrapper:1.22.1
          ports: [{{containerPort: 8080}}]
          securityContext: {{readOnlyRootFilesystem: true}}
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata: {{name: function-input}}
  data: {{istioInjected: "{namespaces}"}}
"""


@pytest.mark.parametrize("namespaces, kept", [
    ("gloo-system", True), ("all", True), ("apps,istio-system", False)])
def test_function_config_names_injected_namespaces(namespaces: str, kept: bool) -> None:
    done = run_tool(input=RESOURCE_LIST.format(namespaces=namespaces))
    answer = yaml.safe_load(done.stdout)
    spec = answer["items"][0]["spec"]["template"]["spec"]
    messages = [r["message"] for r in answer["results"]
                if r.get("tags", {}).get("hardening") == "disable-sa-token-automount"
                or "disable-sa-token-automount" in str(r)]
    assert ("automountServiceAccountToken" not in spec) is kept, messages
    if kept:
        assert any("injected by Istio in the cluster" in m for m in messages), messages
