"""Evidence missing for a reason (issue 14 §8): a Helm 3 post-renderer is handed no hooks, so
the Gateways Gloo 1.12-1.13 apply from the gloo-resource-rollout hook Job cannot be in its
stream. The guards that read them decide on the rest and say so; nowhere else."""

from __future__ import annotations

import pytest

from gloo_harden.gloo import clients
from gloo_harden.resources.results import UNSEEN, Severity
from gloo_harden.run import hardenings
from gloo_harden.run.pipeline import Options, Outcome, Source, harden

OPTIONS = Options(hardenings.builtin())
HELM3 = OPTIONS._replace(client=clients.HELM3_POST_RENDERER)


def proxy(version: str, port: int = 8080) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: gateway-proxy, namespace: gloo-system, labels: {{gloo: gateway-proxy}}}}
spec:
  selector: {{matchLabels: {{gloo: gateway-proxy}}}}
  template:
    metadata: {{labels: {{gloo: gateway-proxy}}}}
    spec:
      containers:
      - name: gateway-proxy
        image: quay.io/solo-io/gloo-envoy-wrapper:{version}
        ports: [{{containerPort: {port}}}]
        securityContext:
          capabilities: {{drop: [ALL], add: [NET_BIND_SERVICE]}}
"""


ROLLOUT_JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: gloo-resource-rollout
  namespace: gloo-system
  annotations: {helm.sh/hook: "post-install,post-upgrade"}
spec:
  template:
    spec:
      containers:
      - name: kubectl
        image: quay.io/solo-io/kubectl:1.13.0
        command:
        - /bin/sh
        - -c
        - |
          kubectl apply -f - <<EOF || exit $?
          apiVersion: gateway.solo.io/v1
          kind: Gateway
          metadata: {name: gateway-proxy, namespace: gloo-system}
          spec: {bindPort: 8080, httpGateway: {}, proxyNames: [gateway-proxy]}
          EOF
"""


def run(text: str, options: Options) -> Outcome:
    return harden([Source("stdin", text.encode())], options)


def unseen(outcome: Outcome) -> list[str]:
    return [str(r) for r in outcome.results if r.tag == UNSEEN]


def test_helm3_post_renderer_with_gloo_1_13_says_the_gateways_are_unseen() -> None:
    outcome = run(proxy("1.13.0"), HELM3)
    (said,) = unseen(outcome)
    assert said.startswith("stdin: [warning] apps/v1/Deployment/gloo-system/gateway-proxy "
                           'spec.template.spec.containers[0]: container "gateway-proxy": decided '
                           "without the Gloo Gateways and their bindPort: Gloo 1.13 applies them "
                           "from the gloo-resource-rollout Job, a Helm hook, and Helm 3 hands a "
                           "post-renderer no hooks")
    assert "(drop-net-bind-service)" in said
    assert "NET_BIND_SERVICE" not in outcome.text  # decided on the container ports: 8080
    result = next(r for r in outcome.results if r.tag == UNSEEN)
    assert result.to_dict()["tag"] == "evidence-unseen" and result.severity is Severity.WARNING


@pytest.mark.parametrize("text, options", [
    (proxy("1.13.0"), OPTIONS),  # the pipe: hooks would be in the stream
    (proxy("1.13.0") + "---\n" + ROLLOUT_JOB, HELM3),  # the Job is there after all
    (proxy("1.22.1"), HELM3),  # 1.14+: the Gateways are in a ConfigMap, not a hook
    (proxy("1.11.0"), HELM3),  # before 1.12: Gateways are documents of their own
], ids=["pipe", "job-present", "gloo-1.22", "gloo-1.11"])
def test_nothing_unseen_where_the_evidence_can_be_there(text: str, options: Options) -> None:
    assert unseen(run(text, options)) == []


def test_unknown_version_under_helm3_says_which_versions_hide_them() -> None:
    text = proxy("1.13.0").replace("quay.io/solo-io/gloo-envoy-wrapper:1.13.0",
                                   "registry.example.test/envoy:latest")
    (said,) = unseen(run(text, HELM3))
    assert "Gloo 1.12-1.13 (the stream shows no version) applies them" in said


def test_a_proxy_kept_back_needs_no_note() -> None:
    outcome = run(proxy("1.13.0", port=80), HELM3)
    assert unseen(outcome) == []
    assert any("kept for" in str(r) and "containerPort 80" in str(r) for r in outcome.results)


@pytest.mark.parametrize("chain, head, env, expected", [
    ([["/bin/sh", "./shim"], ["/usr/bin/helm", "template", "x", "--post-renderer", "gh"]], b"",
     {}, clients.HELM3_POST_RENDERER),
    ([["/usr/local/bin/helm", "install", "x", "--post-renderer=./gh"]], b"", {},
     clients.HELM3_POST_RENDERER),
    ([["/usr/bin/helm", "template", "x"]], b"", {}, None),  # helm, but no post-renderer
    ([["/bin/bash"], ["/usr/bin/make"]], b"", {}, None),  # a pipe
    ([["/usr/bin/helm", "template", "x", "--post-renderer", "gloo-harden"]],
     b"metadata:\n  annotations:\n    postrenderer.helm.sh/postrender-filename: a.yaml\n", {},
     None),  # Helm 4: the annotation
    ([["/usr/bin/helm", "template", "x", "--post-renderer", "gloo-harden"]], b"",
     {"HELM_PLUGIN_NAME": "gloo-harden"}, None),  # Helm 4: a plugin
])
def test_detect(monkeypatch: pytest.MonkeyPatch, chain: list[list[str]], head: bytes,
                env: dict[str, str], expected: str | None) -> None:
    pids = list(range(100, 100 + len(chain)))
    monkeypatch.setattr(clients.os, "getppid", lambda: pids[0])
    monkeypatch.setattr(clients, "_cmdline", lambda pid: chain[pid - 100])
    monkeypatch.setattr(clients, "_parent", lambda pid: pid + 1 if pid + 1 < pids[-1] + 1 else 1)
    monkeypatch.delenv("HELM_PLUGIN_NAME", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert clients.detect(head) == expected


def test_detect_reads_this_process_tree() -> None:
    assert clients.detect(b"") is None  # pytest is not run by helm
