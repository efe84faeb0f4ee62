"""KRM function mode: what goes in a ResourceList comes out, hardened and otherwise untouched."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from conftest import EMPTY_CLUSTER, PINNED, run_tool
from gloo_harden.adapters import krm, krmio
from gloo_harden.resources.results import ResourceRef, Result, Severity
from gloo_harden.run.options import Request

ANNOTATIONS = """\
      annotations:
        config.kubernetes.io/path: 'gateway-proxy.yaml'
        config.kubernetes.io/index: '{index}'
        internal.config.kubernetes.io/path: 'gateway-proxy.yaml'
        internal.config.kubernetes.io/index: '{index}'
        internal.config.kubernetes.io/seqindent: 'compact'
        internal.config.kubernetes.io/id: '{id}'
        config.k8s.io/id: '{id}'
        kustomize.config.k8s.io/id: |
          kind: Thing
          name: x
        internal.config.kubernetes.io/some-future-annotation: 'kept'
"""
PROXY = """\
  - # Source: gloo/templates/7-gateway-proxy-deployment.yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: gateway-proxy # the Envoy proxy
      namespace: gloo-system
      labels: {{gloo: gateway-proxy}}
{annotations}    spec:
      template:
        spec:
          containers:
          - name: gateway-proxy
            image: quay.io/solo-io/gloo-envoy-wrapper:1.17.0
            env:
            - {{name: ENABLE_ACCESS_LOG, value: "on"}}
            securityContext:
              capabilities: {{drop: [ALL], add: [NET_BIND_SERVICE]}}
              readOnlyRootFilesystem: true
            ports:
            - containerPort: {port}
          automountServiceAccountToken: false
"""
CRD = """\
  - # Source: gloo/crds/gateway.yaml
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata:
      name: gateways.gateway.solo.io
      annotations:
        config.k8s.io/id: '2'
    spec: {group: gateway.solo.io, names: {kind: Gateway}, x-unknown: "yes"}
"""


def resource_list(config: str = "", port: int = 8080, annotations: bool = True,
                  api_version: str = "config.kubernetes.io/v1") -> str:
    notes = ANNOTATIONS.format(index=1, id=1) if annotations else ""
    return (f"apiVersion: {api_version}\nkind: ResourceList\nitems:\n"
            + PROXY.format(annotations=notes, port=port) + CRD + config)


#: the built-ins these expectations were written for (``conftest.PINNED``)
PINNED_REQUEST = Request(enable=PINNED, evidence=(str(EMPTY_CLUSTER),))


def process(text: str, request: Request = PINNED_REQUEST) -> tuple[Any, list[Result], int, str]:
    out, results, code, _ = krm.process(text.encode(), request)
    return yaml.safe_load(out), results, code, out


def test_hardens_and_keeps_every_annotation_it_does_not_own() -> None:
    before = yaml.safe_load(resource_list())
    after, results, code, text = process(resource_list())
    assert code == 0
    proxy, crd = after["items"]
    context = proxy["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    assert context["capabilities"] == {"drop": ["ALL"], "add": []}
    assert proxy["metadata"]["annotations"] == before["items"][0]["metadata"]["annotations"]
    assert crd == before["items"][1]
    assert "local-config" not in text
    assert "value: \"on\"" in text


def test_comments_are_left_to_the_orchestrator() -> None:
    _, _, _, text = process(resource_list())
    assert "#" not in text


def test_results_carry_file_field_and_tag() -> None:
    after, _, _, _ = process(resource_list())
    (result,) = [r for r in after["results"] if "field" in r]
    assert result == {
        "message": 'container "gateway-proxy": securityContext.capabilities.add: '
                   "[NET_BIND_SERVICE] → [] (drop-net-bind-service)",  # kpt prints no tags
        "severity": "info",
        "resourceRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gateway-proxy",
                        "namespace": "gloo-system"},
        "field": {"path": "spec.template.spec.containers[0].securityContext.capabilities.add",
                  "currentValue": ["NET_BIND_SERVICE"], "proposedValue": []},
        "file": {"path": "gateway-proxy.yaml", "index": 1},
        "tags": {"gloo-harden.dev/hardening": "drop-net-bind-service"},
    }


def test_no_file_without_a_path_annotation() -> None:
    after, _, _, _ = process(resource_list(annotations=False))
    assert "file" not in after["results"][0]


def test_guard_refusal_under_strict_is_an_error_and_exit_1() -> None:
    after, _, code, _ = process(resource_list(port=80), Request(evidence=(str(EMPTY_CLUSTER),), strict=True))
    assert code == 1
    (result,) = [r for r in after["results"] if r["severity"] == "error"]
    assert result["severity"] == "error" and "containerPort 80" in result["message"]


def test_bad_function_config_writes_items_unchanged_with_an_error() -> None:
    config = ("functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x}\n"
              "  data: {enable: nope}\n")
    before = yaml.safe_load(resource_list(config))
    after, _, code, _ = process(resource_list(config))
    assert code == 1
    assert after["items"] == before["items"]
    assert after["functionConfig"] == before["functionConfig"]
    (result,) = after["results"]
    assert result["severity"] == "error" and result["field"] == {"path": "data.enable"}
    assert result["resourceRef"] == {"apiVersion": "v1", "kind": "ConfigMap", "name": "x"}


def test_function_input_default_and_typed_config() -> None:
    empty = "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n" \
            "    name: function-input\n  data: {}\n"
    assert process(resource_list(empty))[0]["results"]
    typed = ("functionConfig:\n  apiVersion: gloo-harden.dev/v1alpha1\n  kind: GlooHardening\n"
             "  metadata: {name: h}\n  spec: {disable: [drop-net-bind-service], enable: ["
             + ", ".join(hid for hid in PINNED if hid != "drop-net-bind-service") + "]}\n")
    after, _, code, _ = process(resource_list(typed))
    assert code == 0
    assert not [r for r in after["results"] if "field" in r]  # nothing else to do


def test_v1beta1_and_earlier_results_are_kept() -> None:
    text = resource_list(api_version="config.kubernetes.io/v1beta1")
    text += "results:\n- {message: from an earlier function, severity: info}\n"
    after, _, _, _ = process(text)
    assert after["apiVersion"] == "config.kubernetes.io/v1beta1"
    assert after["results"][0] == {"message": "from an earlier function", "severity": "info"}
    assert len([r for r in after["results"] if "field" in r]) == 1


def test_json_in_json_out() -> None:
    import json

    data = json.dumps(yaml.safe_load(resource_list()), indent=4)
    assert krm.is_resource_list(data.encode())
    after, results, code, text = process(data)
    assert code == 0 and json.loads(text) == after  # what jq and JSON clients read
    assert list(after) == ["apiVersion", "kind", "items", "results"]  # the input's key order
    assert text.startswith('{\n    "apiVersion": "config.kubernetes.io/v1",\n')  # its indentation
    container = after["items"][0]["spec"]["template"]["spec"]["containers"][0]
    assert container["env"][0]["value"] == "on"
    assert container["securityContext"]["capabilities"]["add"] == []
    assert len(after["results"]) == len(results) > 0
    compact = process(json.dumps(yaml.safe_load(resource_list()), separators=(",", ":")))[3]
    assert compact.count("\n") == 1 and json.loads(compact)["items"] == after["items"]


def test_ambiguous_strings_in_results_are_quoted() -> None:
    result = Result(Severity.WARNING, "yes", "drop-net-bind-service",
                    ResourceRef("v1", "ConfigMap", None, "on"), "data.x", current="off")
    mapped = krmio.result_map(result)
    import io

    from ruamel.yaml import YAML

    buffer = io.StringIO()
    YAML().dump(mapped, buffer)
    assert yaml.safe_load(buffer.getvalue()) == {
        "message": "yes (drop-net-bind-service)", "severity": "warning",
        "resourceRef": {"apiVersion": "v1", "kind": "ConfigMap", "name": "on"},
        "field": {"path": "data.x", "currentValue": "off"},
        "tags": {"gloo-harden.dev/hardening": "drop-net-bind-service"}}


@pytest.mark.parametrize("text, wanted", [
    (resource_list(), True),
    (resource_list(api_version="config.kubernetes.io/v1beta1"), True),
    ("---\n# a comment\n" + resource_list(), True),
    (resource_list(api_version="example.com/v1"), False),
    (resource_list() + "---\napiVersion: v1\nkind: ConfigMap\n", False),
    ("apiVersion: v1\nkind: List\nitems: []\n", False),
    ("{not json", False),
    ("", False),
])
def test_detection(text: str, wanted: bool) -> None:
    assert krm.is_resource_list(text.encode()) is wanted


@pytest.mark.parametrize("client", ["kpt", "kustomize"])
def test_cli_answers_a_resource_list_and_flags_are_defaults(client: str) -> None:
    data = resource_list(port=80)
    if client == "kpt":
        data = data.replace("kustomize.config.k8s.io/id", "config.k8s.io/origin")
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--strict", input=data)
    assert done.returncode == 1
    out = yaml.safe_load(done.stdout)
    assert out["kind"] == "ResourceList" and out["results"][0]["severity"] == "error"
    assert "containerPort 80" in out["results"][0]["message"]
    # kpt prints every result and then stderr: once is enough; kustomize ignores results
    assert (b"containerPort 80" in done.stderr) is (client == "kustomize")


def test_cli_file_argument_stays_stream_mode(tmp_path: Any) -> None:
    path = tmp_path / "rl.yaml"
    path.write_text(resource_list())
    done = run_tool("--evidence", str(EMPTY_CLUSTER), str(path))
    assert done.returncode == 0
    assert "results:" not in done.stdout.decode()  # a stream of one unknown document, as read


def test_an_item_that_is_not_a_mapping_is_unusable_input() -> None:
    done = run_tool("--evidence", str(EMPTY_CLUSTER), input="apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
                          "items:\n- just a string\n")
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode().strip().splitlines() == [
        "gloo-harden: stdin: ResourceList.items[0] is not a mapping; expected a Kubernetes object"]


def test_check_returns_items_unchanged_and_fails_when_work_is_left() -> None:
    before = yaml.safe_load(resource_list())
    out, results, code, changed = krm.process(resource_list().encode(),
                                              Request(evidence=(str(EMPTY_CLUSTER),), check=True))
    after = yaml.safe_load(out)
    assert code == 1 and changed == 1
    assert after["items"] == before["items"]
    assert after["results"][0] == {  # errors first: kpt prints only the first few results
        "message": "--check: 1 item would be hardened; run without --check to apply the changes",
        "severity": "error"}


def test_check_passes_when_nothing_is_left() -> None:
    hardened = resource_list().replace("add: [NET_BIND_SERVICE]", "add: []")
    _, results, code, changed = krm.process(hardened.encode(),
                                            PINNED_REQUEST._replace(check=True))
    assert code == 0 and changed == 0
    assert not [r for r in results if r.severity is Severity.ERROR]


def test_an_unusable_patch_folder_returns_items_unchanged_with_exit_2(tmp_path: Any) -> None:
    (tmp_path / "broken.yaml").write_text("apiVersion: gloo-harden.dev/v1alpha1\nkind: Hardening\n"
                                          "metadata: {name: x}\nscope: no-such-scope\n")
    config = ("functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x}\n"
              f"  data: {{patches: '{tmp_path}'}}\n")
    before = yaml.safe_load(resource_list(config))
    after, results, code, _ = process(resource_list(config))
    assert code == 2
    assert after["items"] == before["items"]
    (result,) = after["results"]
    assert result["severity"] == "error" and "broken.yaml" in result["message"]
