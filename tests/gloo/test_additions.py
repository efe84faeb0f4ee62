"""Objects a hardening adds: filled in for their target, written as Helm writes a template,
placed after the stream, reported, added once, in every way of use."""

from __future__ import annotations

from pathlib import Path

import yaml

from conftest import CORPUS, needs_corpus, run_tool
from gloo_harden.gloo import additions
from gloo_harden.run import hardenings
from gloo_harden.run.pipeline import Options, Source, harden

CONTROLLER = (Path(__file__).parents[1] / "golden" / "add-kgateway-class-parameters"
              / "applies-kgateway-2.1-chart" / "input.yaml").read_text()
OPTIONS = Options(hardenings.builtin())


def test_objects_take_the_target_s_namespace_and_labels() -> None:
    (added,) = additions.objects("x", [{"apiVersion": "v1", "kind": "ConfigMap",
                                        "metadata": {"name": "a", "namespace": additions.NAMESPACE,
                                                     "labels": {"own": "1"}},
                                        "data": {"ns": additions.NAMESPACE}}],
                                 "kgateway-system", {"helm.sh/chart": "kgateway-v2.1.2"})
    assert added.text.startswith("# Source: gloo-harden/patches/x.yaml\napiVersion: v1\n")
    obj = yaml.safe_load(added.text)
    assert obj["metadata"] == {"name": "a", "namespace": "kgateway-system",
                               "labels": {"helm.sh/chart": "kgateway-v2.1.2", "own": "1"}}
    assert obj["data"] == {"ns": "kgateway-system"}
    assert (added.ref.kind, added.ref.namespace, added.ref.name) == ("ConfigMap",
                                                                     "kgateway-system", "a")


def test_added_documents_follow_the_stream_untouched_before_them() -> None:
    outcome = harden([Source("chart.yaml", CONTROLLER.encode())], OPTIONS)
    assert outcome.text.startswith(CONTROLLER)
    docs = [d for d in yaml.safe_load_all(outcome.text) if d]
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [
        ("Deployment", "kgateway"), ("GatewayParameters", "kgateway"), ("GatewayClass", "kgateway")]
    parameters, gateway_class = docs[1], docs[2]
    assert parameters["metadata"]["namespace"] == "kgateway-system"
    assert parameters["metadata"]["labels"]["helm.sh/chart"] == "kgateway-v2.1.2"
    assert parameters["spec"]["kube"]["envoyContainer"]["securityContext"] == {
        "capabilities": {"add": []}, "readOnlyRootFilesystem": True}
    assert "namespace" not in gateway_class["metadata"]  # cluster-scoped
    assert gateway_class["spec"] == {"controllerName": "kgateway.dev/kgateway", "parametersRef": {
        "group": "gateway.kgateway.dev", "kind": "GatewayParameters", "name": "kgateway",
        "namespace": "kgateway-system"}}
    assert outcome.changed == [1, 2]
    again = harden([Source("hardened.yaml", outcome.text.encode())], OPTIONS)
    assert again.text == outcome.text and again.changed == []


def test_check_finds_the_work_and_disable_opts_out() -> None:
    assert run_tool("--check", input=CONTROLLER).returncode == 1
    done = run_tool("--disable", "add-kgateway-class-parameters", input=CONTROLLER)
    assert done.returncode == 0 and done.stdout.decode() == CONTROLLER


def test_list_and_explain_name_it() -> None:
    listed = run_tool("list").stdout.decode()
    assert "add-kgateway-class-parameters" in listed and "clear-default-capabilities" in listed
    explained = run_tool("explain", "add-kgateway-class-parameters").stdout.decode()
    assert "scope: kgateway-class" in explained
    assert "meta.helm.sh/release-name" in explained


def _resource_list(items: str) -> str:
    return ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + items)


def test_krm_function_answers_with_the_added_items() -> None:
    lines = CONTROLLER.split("\n", 1)[1]  # the document without its leading ---
    indented = "- " + lines.replace("\n", "\n  ").rstrip() + "\n"
    for items in (indented, "- " + yaml.safe_dump(yaml.safe_load(lines), default_flow_style=True)):
        done = run_tool(input=_resource_list(items))
        assert done.returncode == 0, done.stderr.decode()
        answer = yaml.safe_load(done.stdout)
        assert [i["kind"] for i in answer["items"]] == ["Deployment", "GatewayParameters",
                                                          "GatewayClass"]


@needs_corpus
def test_corpus_kgateway_2_1_render_gets_the_class_parameters() -> None:
    done = run_tool(str(CORPUS / "kgateway-2.1.2-default.yaml"))
    stderr = done.stderr.decode()
    assert "added GatewayParameters kgateway-system/kgateway" in stderr
    assert "added GatewayClass kgateway" in stderr
    assert done.stdout.decode().startswith((CORPUS / "kgateway-2.1.2-default.yaml").read_text())
