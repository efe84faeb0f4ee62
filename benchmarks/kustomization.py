"""The kustomize side of the benchmark: the same edits as gloo-harden, as built-in JSON6902 patches.

This is the baseline of krm-clients.md §3 ("Built-in patches"): kustomize cannot remove one item
of a primitive list, so ``capabilities.add`` is replaced as a whole (``[NET_BIND_SERVICE]`` →
``[]``, which is also what gloo-harden writes when it was the only item); containers are addressed
by index, workloads and ServiceAccounts by the label the chart puts on proxies.
"""

from __future__ import annotations

from pathlib import Path

#: Patches for a stream from gen_gloo.py: every proxy Deployment, proxy ServiceAccount, Settings.
GENERATED = """\
- target: {group: apps, version: v1, kind: Deployment, labelSelector: "gloo=gateway-proxy"}
  patch: |-
    - op: replace
      path: /spec/template/spec/containers/0/securityContext/capabilities/add
      value: []
    - op: add
      path: /spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem
      value: true
    - op: add
      path: /spec/template/spec/automountServiceAccountToken
      value: false
- target: {version: v1, kind: ServiceAccount, labelSelector: "gloo=gateway-proxy"}
  patch: |-
    - op: add
      path: /automountServiceAccountToken
      value: false
- target: {group: gloo.solo.io, kind: Settings}
  patch: |-
    - op: add
      path: /spec/gloo/disableKubernetesDestinations
      value: true
"""

#: Patches for ../shared/corpus/gloo-1.17.0-kubegateway.yaml: the three changes gloo-harden makes
#: (the Settings is kept back: Gloo 1.17 with the Gateway API needs Kubernetes destinations).
CORPUS_1_17_KUBEGATEWAY = """\
- target: {group: gateway.gloo.solo.io, kind: GatewayParameters, name: gloo-gateway}
  patch: |-
    - op: replace
      path: /spec/kube/envoyContainer/securityContext/capabilities/add
      value: []
- target: {group: apps, kind: Deployment, labelSelector: "gloo=gateway-proxy"}
  patch: |-
    - op: add
      path: /spec/template/spec/automountServiceAccountToken
      value: false
- target: {version: v1, kind: ServiceAccount, name: gateway-proxy}
  patch: |-
    - op: add
      path: /automountServiceAccountToken
      value: false
"""


#: Patches for ../shared/corpus/gloo-1.22.1-istio-integration.yaml: the one change gloo-harden
#: makes (the proxy's token stays: its sds and istio-proxy containers read it).
CORPUS_1_22_ISTIO = """\
- target: {group: gloo.solo.io, kind: Settings, name: default}
  patch: |-
    - op: replace
      path: /spec/gloo/disableKubernetesDestinations
      value: true
"""

#: The corpus renders the benchmark knows the edits of, by file name.
CORPUS = {
    "gloo-1.22.1-istio-integration.yaml": CORPUS_1_22_ISTIO,
    "gloo-1.17.0-kubegateway.yaml": CORPUS_1_17_KUBEGATEWAY,
}


def write(folder: Path, stream_file: str, patches: str) -> Path:
    """Write ``folder/kustomization.yaml`` listing ``stream_file`` (in ``folder``) with ``patches``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        f"resources:\n- {stream_file}\npatches:\n{patches}", encoding="utf-8")
    return folder
