"""Evidence missing for a reason (issue 14 §8): a Helm 3 post-renderer is handed no hooks, so
the Gateways Gloo 1.12-1.13 apply from the gloo-resource-rollout hook Job cannot be in its
stream. The guards that read them decide on the rest and say so; nowhere else."""

from __future__ import annotations

import pytest

from conftest import CORPUS, needs_corpus
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


GATEWAY_UNSEEN = ("[warning]: no Gateway (gateway.solo.io) in the stream or the evidence, so the "
                  "bindPort of the gateway proxies")


def about_gateways(outcome: Outcome) -> list[str]:
    return [said for said in unseen(outcome) if "Gateway (gateway.solo.io)" in said]


def test_helm3_post_renderer_with_gloo_1_13_keeps_the_capability_and_says_why() -> None:
    outcome = run(proxy("1.13.0"), HELM3)
    (said,) = about_gateways(outcome)
    assert said.startswith("stdin: " + GATEWAY_UNSEEN + " (Gloo 1.13 applies its Gateways from "
                           "the gloo-resource-rollout Job, a Helm hook, and Helm 3 hands a "
                           "post-renderer no hooks) cannot be seen; drop-net-bind-service is "
                           "kept back where it could matter")
    assert "--evidence PATH" in said and "(drop-net-bind-service)" in said
    assert "add: [NET_BIND_SERVICE]" in outcome.text  # the safe side: kept
    result = next(r for r in outcome.results if r.tag == UNSEEN)
    assert result.to_dict()["tag"] == "evidence-unseen" and result.severity is Severity.WARNING
    assert result.resource is None  # about a kind, not an object


@pytest.mark.parametrize("version", ["1.22.1", "1.11.0", "1.17.0"])
def test_helm3_post_renderer_hides_hook_gateways_of_any_version(version: str) -> None:
    """A chart may apply its Gateways as hooks in any version: with none in the stream, the
    capability a gateway proxy asks for stays."""
    outcome = run(proxy(version), HELM3)
    (said,) = about_gateways(outcome)
    assert "(Helm 3 hands a post-renderer no hooks, so Gateways a chart applies as hooks " \
           "cannot be in this stream)" in said
    assert "add: [NET_BIND_SERVICE]" in outcome.text


def test_no_gateways_in_a_pipe_keeps_the_capability_as_kgateway_does() -> None:
    """disableGeneratedGateways: true, the Gateways in another repository: kept, said once."""
    outcome = run(proxy("1.22.1"), OPTIONS)
    (said,) = about_gateways(outcome)
    assert said.startswith("stdin: " + GATEWAY_UNSEEN + " cannot be seen")
    assert "add: [NET_BIND_SERVICE]" in outcome.text
    kept = [str(r) for r in outcome.results if "kept for" in r.message]
    assert len(kept) == 1 and "no Gateway (gateway.solo.io) in the stream or the evidence to " \
        "show the bindPort of the gateway proxies" in kept[0]


def test_strict_makes_an_unseen_kind_an_error() -> None:
    outcome = run(proxy("1.22.1"), OPTIONS._replace(strict=True))
    assert any(r.tag == UNSEEN and r.severity is Severity.ERROR for r in outcome.results)
    assert outcome.refused


@pytest.mark.parametrize("text, options", [
    (proxy("1.13.0") + "---\n" + ROLLOUT_JOB, HELM3),  # the Job is there after all
    (proxy("1.13.0") + "---\n" + ROLLOUT_JOB, OPTIONS),
], ids=["helm3-job-present", "pipe-job-present"])
def test_nothing_unseen_where_the_gateways_are_seen(text: str, options: Options) -> None:
    outcome = run(text, options)
    assert about_gateways(outcome) == []
    assert "NET_BIND_SERVICE" not in outcome.text  # bindPort 8080: dropped


def test_a_proxy_kept_back_by_its_port_needs_no_note() -> None:
    outcome = run(proxy("1.13.0", port=80), HELM3)
    assert about_gateways(outcome) == []
    assert any("kept for" in str(r) and "containerPort 80" in str(r) for r in outcome.results)


def test_an_ingress_proxy_reads_no_gateways() -> None:
    text = proxy("1.22.1").replace("gateway-proxy", "ingress-proxy")
    outcome = run(text, OPTIONS)
    assert about_gateways(outcome) == [] and "NET_BIND_SERVICE" not in outcome.text


def test_said_once_per_kind_and_render() -> None:
    second = proxy("1.22.1").replace("name: gateway-proxy, namespace", "name: gw2, namespace")
    outcome = run(proxy("1.22.1") + "---\n" + second, OPTIONS)
    assert len(about_gateways(outcome)) == 1
    assert outcome.text.count("add: [NET_BIND_SERVICE]") == 2
    files = [Source("a.yaml", proxy("1.22.1").encode()), Source("b.yaml", second.encode())]
    apart = harden(files, OPTIONS._replace(separate_renders=True))
    assert sorted(s.split(":")[0] for s in about_gateways(apart)) == ["a.yaml", "b.yaml"]


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


@needs_corpus
def test_default_gloo_render_sets_the_setting_and_says_no_route_was_seen() -> None:
    """The chart renders no VirtualService, RouteTable or UpstreamGroup (application teams apply
    theirs): the setting is made, and one warning names the kinds not seen."""
    outcome = harden([Source("gloo.yaml", (CORPUS / "gloo-1.22.1-default.yaml").read_bytes())],
                     OPTIONS)
    assert "disableKubernetesDestinations: true" in outcome.text
    routes = [r for r in outcome.results if r.tag == UNSEEN
              and r.hardening == "disable-kubernetes-destinations"]
    assert [r.message.split(" in the stream")[0] for r in routes] == [
        "no VirtualService (gateway.solo.io), RouteTable (gateway.solo.io) or UpstreamGroup "
        "(gloo.solo.io)"]
    assert all("disable-kubernetes-destinations is applied as if there were none" in r.message
               and r.file == "gloo.yaml" for r in routes)
    assert about_gateways(outcome) == []  # the chart's Gateways are in its ConfigMap
