"""gloo/release_detection.py: the product, version and generations a stream shows, and the
flag for when it shows none."""

from __future__ import annotations

import pytest

from conftest import CORPUS, needs_corpus, run_tool
from gloo_harden.errors import ConfigError
from gloo_harden.gloo.release_detection import Generation, Product, Version, detect, parse_assumed
from gloo_harden.yamltext import stream


def _docs(text: str) -> list[stream.Document]:
    return stream.split(text, "t.yaml")


KGATEWAY_SA = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: kgateway
  namespace: kgateway-system
  labels:
    helm.sh/chart: kgateway-v2.1.2
    app.kubernetes.io/version: "v2.1.2"
"""
GLOO_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gloo
  namespace: gloo-system
spec:
  template:
    spec:
      containers:
      - image: quay.io/solo-io/gloo:1.19.3
        name: gloo
"""


def test_chart_label_gives_product_and_version() -> None:
    found = detect(_docs(KGATEWAY_SA))
    assert (found.product, found.version) == (Product.KGATEWAY, Version(2, 1, 2))
    assert found.source == 'helm.sh/chart "kgateway-v2.1.2" of ServiceAccount kgateway-system/kgateway'
    assert found.gateway_api and not found.edge and found.product is Product.KGATEWAY
    assert found.describe().startswith("kgateway 2.1.2 (helm.sh/chart")


def test_image_tag_when_there_is_no_chart_label() -> None:
    found = detect(_docs(GLOO_DEPLOYMENT))
    assert (found.product, found.version) == (Product.GLOO, Version(1, 19, 3))
    assert found.source.startswith('image tag "quay.io/solo-io/gloo:1.19.3" of Deployment')
    assert not found.gateway_api


def test_chart_label_is_trusted_over_an_earlier_image_tag() -> None:
    found = detect(_docs(GLOO_DEPLOYMENT + "---\n" + GLOO_DEPLOYMENT.replace(
        "  namespace: gloo-system\n", "  namespace: gloo-system\n  labels:\n"
        "    helm.sh/chart: gloo-1.19.2\n")))
    assert found.version == Version(1, 19, 2)
    assert found.conflicts == ("gloo 1.19.3",)


def test_chart_placeholders_are_not_versions() -> None:
    placeholder = KGATEWAY_SA.replace("kgateway-v2.1.2", "kgateway-v0.0.1").replace(
        '"v2.1.2"', '"1.16.0"')
    found = detect(_docs(placeholder))
    assert found == Generation(Product.KGATEWAY, None, "", False, True)


def test_app_version_beside_a_placeholder_chart() -> None:
    found = detect(_docs(KGATEWAY_SA.replace("kgateway-v2.1.2", "kgateway-v0.0.1")))
    assert found.version == Version(2, 1, 2)
    assert found.source.startswith('app.kubernetes.io/version "v2.1.2"')


@pytest.mark.parametrize(("text", "edge", "gateway_api", "product"), [
    ("apiVersion: gloo.solo.io/v1\nkind: Settings\nmetadata: {name: default}\n", True, False,
     Product.GLOO),
    ("apiVersion: gateway.solo.io/v1\nkind: VirtualService\nmetadata: {name: a}\n", True, False,
     Product.GLOO),
    ("apiVersion: gateway.kgateway.dev/v1alpha1\nkind: GatewayParameters\nmetadata: {name: a}\n",
     False, True, Product.KGATEWAY),
    ("apiVersion: gateway.gloo.solo.io/v1alpha1\nkind: GatewayParameters\nmetadata: {name: a}\n",
     False, True, Product.GLOO),
    ("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: a}\n",
     False, True, None),
    ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels:\n    gloo: gateway-proxy\n",
     True, False, Product.GLOO),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n", False, False, None),
])
def test_kinds_and_groups_say_which_generations_are_present(
        text: str, edge: bool, gateway_api: bool, product: Product | None) -> None:
    found = detect(_docs(text))
    assert (found.edge, found.gateway_api, found.product, found.version) == (
        edge, gateway_api, product, None)


def test_parsed_items_without_text_are_read_from_their_tree() -> None:
    tree = {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "kgateway", "labels": {"helm.sh/chart": "kgateway-v2.3.0"}}}
    found = detect([stream.Document(0, "items", "", "", tree=tree)])
    assert found.version == Version(2, 3, 0) and found.product is Product.KGATEWAY


def test_assumed_version_is_used_only_when_none_shows() -> None:
    assumed = (Product.KGATEWAY, Version(2, 0, 5))
    placeholder = KGATEWAY_SA.replace("kgateway-v2.1.2", "kgateway-v0.0.1").replace(
        '"v2.1.2"', '"1.16.0"')
    found = detect(_docs(placeholder), assumed)
    assert (found.version, found.source, found.assumed) == (Version(2, 0, 5), "--assume-version",
                                                             True)
    assert detect(_docs(KGATEWAY_SA), assumed).version == Version(2, 1, 2)
    # a Gloo stream is never read as kgateway because the flag says so
    settings = "apiVersion: gloo.solo.io/v1\nkind: Settings\nmetadata: {name: default}\n"
    assert detect(_docs(settings), assumed).version is None


@pytest.mark.parametrize(("value", "expected"), [
    ("kgateway-2.1", (Product.KGATEWAY, Version(2, 1, 0))),
    ("kgateway-v2.1.2", (Product.KGATEWAY, Version(2, 1, 2))),
    ("gloo-1.19.3", (Product.GLOO, Version(1, 19, 3))),
])
def test_parse_assumed(value: str, expected: tuple[Product, Version]) -> None:
    assert parse_assumed(value) == expected


@pytest.mark.parametrize("value", ["2.1", "kgateway", "kgateway-1.19", "gloo-2.0", "envoy-1.2"])
def test_parse_assumed_refuses_what_is_not_a_release(value: str) -> None:
    with pytest.raises(ConfigError, match=f'--assume-version: "{value}" is not a release'):
        parse_assumed(value)


def test_version_comparisons() -> None:
    found = Generation(Product.KGATEWAY, Version(2, 1, 2))
    assert found.at_least(2, 1) and found.at_least(2, 0, 5) and not found.at_least(2, 2)
    assert not Generation(Product.KGATEWAY).at_least(2, 0)


@needs_corpus
@pytest.mark.parametrize(("name", "expected"), [
    ("kgateway-2.0.5-default.yaml", "kgateway 2.0.5"),
    ("kgateway-2.1.2-default.yaml", "kgateway 2.1.2"),
    ("kgateway-2.2.0-default.yaml", "kgateway 2.2.0"),
    ("kgateway-2.3.0-default.yaml", "kgateway 2.3.0"),
    ("gloo-1.17.0-kubegateway.yaml", "gloo 1.17.0"),
    ("gloo-1.22.1-default.yaml", "gloo 1.22.1"),
    ("kgateway-2.0.0-beta1-default.yaml", "kgateway version unknown"),
])
def test_corpus_releases(name: str, expected: str) -> None:
    path = CORPUS / name
    found = detect(stream.split(stream.decode(path.read_bytes(), name), name))
    assert found.describe().startswith(expected)
    assert (found.product is Product.KGATEWAY and not found.edge) == name.startswith("kgateway")


def test_cli_says_which_version_decisions_assume() -> None:
    done = run_tool("--assume-version", "kgateway-2.0.5", input=(
        "apiVersion: gateway.kgateway.dev/v1alpha1\nkind: GatewayParameters\n"
        "metadata: {name: a}\n"))
    assert done.returncode == 0
    assert "[info]: Gateway API generation: decisions assume kgateway 2.0.5 (--assume-version)" \
        in done.stderr.decode()
    unknown = run_tool(input="apiVersion: gateway.kgateway.dev/v1alpha1\n"
                             "kind: GatewayParameters\nmetadata: {name: a}\n")
    # the kgateway class additions need the release: not knowing it is a warning
    assert "[warning]: Gateway API generation: kgateway version unknown" in unknown.stderr.decode()
    edge_only = run_tool("--enable", "disable-kubernetes-destinations", input=(
        "apiVersion: gateway.kgateway.dev/v1alpha1\nkind: GatewayParameters\nmetadata: {name: a}\n"))
    assert "[info]: Gateway API generation: kgateway version unknown" in edge_only.stderr.decode()
    bad = run_tool("--assume-version", "kgateway", input="")
    assert bad.returncode == 2 and bad.stdout == b""
    assert bad.stderr.decode().count("\n") == 1


def test_function_config_field() -> None:
    from gloo_harden.run.options import API_VERSION, KIND, ConfigProblems, Request, resolve

    config = {"apiVersion": API_VERSION, "kind": KIND, "spec": {"assumeVersion": "kgateway-2.1"}}
    request, options = resolve(Request(), config)
    assert request.assume_version == "kgateway-2.1"
    assert options.assume_version == (Product.KGATEWAY, Version(2, 1, 0))
    _, data = resolve(Request(), {"apiVersion": "v1", "kind": "ConfigMap",
                                  "data": {"assumeVersion": "gloo-1.19"}})
    assert data.assume_version == (Product.GLOO, Version(1, 19, 0))
    _, flag = resolve(Request(assume_version="kgateway-2.0.5"))
    assert flag.assume_version == (Product.KGATEWAY, Version(2, 0, 5))
    with pytest.raises(ConfigProblems) as raised:
        resolve(Request(), {"apiVersion": "v1", "kind": "ConfigMap",
                            "data": {"assumeVersion": "gloo-1"}})
    assert [str(p) for p in raised.value.problems] == [
        'data.assumeVersion: "gloo-1" is not a release; expected PRODUCT-VERSION with PRODUCT '
        "one of gloo, kgateway (e.g. kgateway-2.1.2, gloo-1.19)"]
    with pytest.raises(ConfigProblems) as raised:
        resolve(Request(), {"apiVersion": API_VERSION, "kind": KIND,
                            "spec": {"assumeVersion": 2.1}})
    assert [str(p) for p in raised.value.problems] == [
        "spec.assumeVersion: the number 2.1; expected PRODUCT-VERSION, e.g. kgateway-2.1.2"]


def test_json_input_gives_product_and_version() -> None:
    """``kubectl get -o json`` / API clients hand JSON over: its labels and images count."""
    import json

    import yaml as pyyaml

    found = detect(_docs(json.dumps(pyyaml.safe_load(KGATEWAY_SA), indent=2) + "\n"))
    assert (found.product, found.version) == (Product.KGATEWAY, Version(2, 1, 2))
    assert found.source.endswith("of ServiceAccount kgateway-system/kgateway")
    minified = json.dumps(pyyaml.safe_load(GLOO_DEPLOYMENT), separators=(",", ":"))
    found = detect(_docs(minified + "\n"))
    assert (found.product, found.version) == (Product.GLOO, Version(1, 19, 3))


APP_TEAM_PARAMETERS = """\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata:
  name: team-a
  namespace: team-a
spec:
  kube:
    envoyContainer:
      image:
        registry: cr.kgateway.dev/kgateway-dev
        repository: envoy-wrapper
        tag: v2.1.2
"""


def test_an_application_teams_objects_give_the_version() -> None:
    """No chart label: the envoy image written in fields, or an app.kubernetes.io/version
    beside app.kubernetes.io/name kgateway."""
    found = detect(_docs(APP_TEAM_PARAMETERS))
    assert (found.product, found.version) == (Product.KGATEWAY, Version(2, 1, 2))
    assert found.source.startswith("image tag") and "GatewayParameters team-a/team-a" in found.source
    labelled = APP_TEAM_PARAMETERS.replace("  namespace: team-a\n", "  namespace: team-a\n  labels:\n"
                                           "    app.kubernetes.io/name: kgateway\n"
                                           "    app.kubernetes.io/version: v2.0.5\n")
    found = detect(_docs(labelled))
    assert (found.product, found.version) == (Product.KGATEWAY, Version(2, 0, 5))
    assert found.source.startswith("app.kubernetes.io/version")
    other = APP_TEAM_PARAMETERS.replace("envoy-wrapper", "my-envoy")
    assert detect(_docs(other)).version is None


def test_kgateway_2_4_is_recognised() -> None:
    """kgateway 2.4 (gateway-api.md §9): its chart label, and its row in releases.py."""
    from gloo_harden.gloo import releases

    found = detect(_docs(KGATEWAY_SA.replace("2.1.2", "2.4.0")))
    assert releases.find("kgateway-2.4") is not None
    assert (found.product, found.version) == (Product.KGATEWAY, Version(2, 4, 0))
    assert found.gateway_api
