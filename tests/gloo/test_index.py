"""The stream index: what guards derive from the whole stream is answered as a scan would
answer it (same items, stream order), built once, and forgotten when its resources change."""

from __future__ import annotations

from gloo_harden.gloo.index import Proxy, StreamIndex
from gloo_harden.resources.model import Resource
from gloo_harden.yamltext import yamlio
from gloo_harden.yamltext.stream import Document, split

STREAM = """\
apiVersion: v1
kind: Service
metadata: {name: everyone, namespace: edge}
spec: {selector: {gloo: gateway-proxy}}
---
apiVersion: v1
kind: Service
metadata: {name: public, namespace: edge}
spec: {selector: {gloo: gateway-proxy, gateway-proxy-id: public-gw}}
---
apiVersion: v1
kind: Service
metadata: {name: public-elsewhere, namespace: other}
spec: {selector: {gloo: gateway-proxy, gateway-proxy-id: public-gw}}
---
apiVersion: v1
kind: Service
metadata: {name: no-namespace}
spec: {selector: {gateway-proxy-id: public-gw}}
---
apiVersion: v1
kind: Service
metadata: {name: internal, namespace: edge}
spec: {selector: {gloo: gateway-proxy, gateway-proxy-id: internal-gw}}
---
apiVersion: v1
kind: Service
metadata: {name: no-selector, namespace: edge}
spec: {}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: public-gw, namespace: edge}
spec:
  template:
    metadata: {labels: {gloo: gateway-proxy, gateway-proxy-id: public-gw}}
    spec: {serviceAccountName: proxy, containers: [{name: public-gw}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: loose-gw}
spec:
  template:
    metadata: {labels: {gloo: gateway-proxy, gateway-proxy-id: public-gw}}
    spec: {serviceAccountName: proxy, containers: [{name: loose-gw}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: other-gw, namespace: other}
spec:
  template:
    metadata: {labels: {gloo: gateway-proxy}}
    spec: {serviceAccountName: proxy, containers: [{name: other-gw}]}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: proxy, namespace: edge}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: proxy}
---
apiVersion: v1
kind: Namespace
metadata: {name: edge, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: other}
"""


def _index() -> StreamIndex:
    resources = []
    for position, doc in enumerate(split(STREAM, "t.yaml")):
        doc.tree = yamlio.load(doc.text, doc.where)
        resources.append(Resource(doc, position, doc.tree, ""))
    return StreamIndex(resources)


def _scan(index: StreamIndex, proxy: Proxy) -> list[Resource]:
    """What no-privileged-ports read before the index answered: every Service, in order."""
    found = []
    for service in index.of_kind("Service"):
        selector = (service.tree.get("spec") or {}).get("selector")
        if not isinstance(selector, dict) or not selector:
            continue
        if service.namespace not in (proxy.namespace, None) and proxy.namespace is not None:
            continue
        if all(proxy.labels.get(str(k)) == str(v) for k, v in selector.items()):
            found.append(service)
    return found


def _names(resources: list[Resource] | list[Proxy]) -> list[str | None]:
    return [r.name if isinstance(r, Resource) else r.resource.name for r in resources]


def test_services_selecting_a_proxy_are_those_a_scan_finds() -> None:
    index = _index()
    found = {p.resource.name: _names(index.services_selecting(p)) for p in index.proxies}
    assert found == {"public-gw": ["everyone", "public", "no-namespace"],
                     "loose-gw": ["everyone", "public", "public-elsewhere", "no-namespace"],
                     "other-gw": []}
    for proxy in index.proxies:
        assert index.services_selecting(proxy) == _scan(index, proxy)


def test_proxies_by_service_account_honour_namespaces() -> None:
    index = _index()
    edge, anywhere = index.of_kind("ServiceAccount")
    assert _names(index.proxies_running_as(edge)) == ["public-gw", "loose-gw"]
    assert _names(index.proxies_running_as(anywhere)) == ["public-gw", "loose-gw", "other-gw"]


def test_namespaces_by_name() -> None:
    index = _index()
    assert _names(index.namespaces("edge")) == ["edge"]
    assert _names(index.namespaces(None)) == ["edge", "other"]
    assert index.namespaces("missing") == []


def test_a_view_is_built_once_and_forgotten_when_its_kinds_change() -> None:
    index = _index()
    builds = []

    def count(i: StreamIndex) -> int:
        builds.append(1)
        return len(i.of_kind("Service"))

    assert index.view("n", ("Service",), count) == index.view("n", ("Service",), count) == 6
    assert len(builds) == 1
    index.touched(index.of_kind("Deployment")[0])  # not a kind it reads
    index.view("n", ("Service",), count)
    assert len(builds) == 1
    index.touched(index.of_kind("Service")[0])
    index.view("n", ("Service",), count)
    assert len(builds) == 2
    doc = Document(0, "t", "", "", tree={"apiVersion": "v1", "kind": "Service"})
    index.add(Resource(doc, 99, doc.tree, ""))
    assert index.view("n", ("Service",), count) == 7 and len(builds) == 3


def test_a_patched_service_is_read_again() -> None:
    index = _index()
    public = index.proxies[0]
    assert "internal" not in _names(index.services_selecting(public))
    internal = index.of_kind("Service")[4]
    internal.tree["spec"]["selector"]["gateway-proxy-id"] = "public-gw"
    index.touched(internal)
    assert "internal" in _names(index.services_selecting(public))
