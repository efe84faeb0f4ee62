"""What the deployers merge each GatewayParameters over (``gloo.parameters_merge``): Gloo's
class-level parameters first, a Gateway's own over them; kgateway's default unless omitted;
unknown where the stream does not show a use."""

from __future__ import annotations

from gloo_harden.gloo.index import StreamIndex
from gloo_harden.gloo.parameters_merge import DEFAULT, chains, inherited_user
from gloo_harden.resources.model import Resource
from gloo_harden.yamltext import yamlio
from gloo_harden.yamltext.stream import split

GLOO = """\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gloo-gateway}
spec:
  controllerName: solo.io/gloo-gateway
  parametersRef: {group: gateway.gloo.solo.io, kind: GatewayParameters, name: gloo-gateway,
                  namespace: gloo-system}
---
apiVersion: gateway.gloo.solo.io/v1alpha1
kind: GatewayParameters
metadata: {name: gloo-gateway, namespace: gloo-system}
spec: {kube: {envoyContainer: {securityContext: {runAsUser: 10101}}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
  namespace: apps
  annotations: {gateway.gloo.solo.io/gateway-parameters-name: team}
spec: {gatewayClassName: gloo-gateway}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: other
  namespace: apps
  annotations: {gateway.gloo.solo.io/gateway-parameters-name: elsewhere}
spec: {gatewayClassName: not-in-the-stream}
---
apiVersion: gateway.gloo.solo.io/v1alpha1
kind: GatewayParameters
metadata: {name: team, namespace: apps}
spec: {kube: {}}
---
apiVersion: gateway.gloo.solo.io/v1alpha1
kind: GatewayParameters
metadata: {name: team, namespace: other}
spec: {kube: {}}
---
apiVersion: gateway.gloo.solo.io/v1alpha1
kind: GatewayParameters
metadata: {name: elsewhere, namespace: apps}
spec: {kube: {}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {name: kgw, namespace: apps}
spec: {kube: {}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {name: kgw-omit, namespace: apps}
spec: {kube: {omitDefaultSecurityContext: true}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {name: kgw-floating, namespace: apps}
spec: {kube: {floatingUserId: true}}
"""


def _index(text: str = GLOO) -> tuple[StreamIndex,
                                     dict[tuple[str, str | None, str | None], Resource]]:
    resources = []
    for position, doc in enumerate(split(text, "t.yaml")):
        doc.tree, doc.round_trip = yamlio.load_for_reading(doc.text, doc.where)
        resources.append(Resource(doc, position, doc.tree, ""))
    return StreamIndex(resources), {(r.group, r.namespace, r.name): r for r in resources}


def test_gloo_parameters_merge_over_their_gateways_class_parameters() -> None:
    index, by = _index()
    gloo = "gateway.gloo.solo.io"
    assert chains(by[gloo, "gloo-system", "gloo-gateway"], index) == [()]  # class-level: first
    assert chains(by[gloo, "apps", "team"], index) == [(by[gloo, "gloo-system", "gloo-gateway"],)]
    assert chains(by[gloo, "other", "team"], index) is None  # no Gateway of its namespace
    assert chains(by[gloo, "apps", "elsewhere"], index) is None  # its Gateway's class unseen


def test_kgateway_parameters_merge_over_the_default_unless_omitted() -> None:
    index, by = _index()
    kgw = "gateway.kgateway.dev"
    assert chains(by[kgw, "apps", "kgw"], index) == [(DEFAULT,)]
    assert chains(by[kgw, "apps", "kgw-omit"], index) == [()]


def test_the_user_comes_from_the_chain() -> None:
    index, by = _index()
    gloo, kgw = "gateway.gloo.solo.io", "gateway.kgateway.dev"
    assert inherited_user(by[gloo, "apps", "team"], index) == [10101]  # the class-level one's
    assert inherited_user(by[gloo, "gloo-system", "gloo-gateway"], index) == [10101]  # its own
    assert inherited_user(by[gloo, "apps", "elsewhere"], index) is None  # not known
    assert inherited_user(by[kgw, "apps", "kgw"], index) == [10101]  # the deployer's default
    assert inherited_user(by[kgw, "apps", "kgw-omit"], index) == [None]
    assert inherited_user(by[kgw, "apps", "kgw-floating"], index) is None  # deleted on the way


SIDECARS = """\
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gloo-gateway}
spec:
  controllerName: solo.io/gloo-gateway
  parametersRef: {group: gateway.gloo.solo.io, kind: GatewayParameters, name: gloo-gateway,
                  namespace: gloo-system}
---
apiVersion: gateway.gloo.solo.io/v1alpha1
kind: GatewayParameters
metadata: {name: gloo-gateway, namespace: gloo-system}
spec:
  kube:
    envoyContainer: {securityContext: {runAsUser: 10101}}
    istio: {istioProxyContainer: {securityContext: {runAsUser: 1337}}}
    sdsContainer: {}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
  namespace: apps
  annotations: {gateway.gloo.solo.io/gateway-parameters-name: team}
spec: {gatewayClassName: gloo-gateway}
---
apiVersion: gateway.gloo.solo.io/v1alpha1
kind: GatewayParameters
metadata: {name: team, namespace: apps}
spec: {kube: {podTemplate: {securityContext: {runAsUser: 2000}}, sdsContainer: {}}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {name: kgw, namespace: apps}
spec: {kube: {sdsContainer: {}}}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {name: kgw-pod, namespace: apps}
spec: {kube: {podTemplate: {securityContext: {runAsUser: 10101}}, sdsContainer: {}}}
"""


def test_a_sidecar_gets_its_user_from_its_own_template_or_the_pods() -> None:
    """kgateway's default gives Envoy 10101 and its sidecar templates nothing
    (``pkg/deployer/gateway_parameters.go@v2.3.0:207-231``); a pod-level user of any link
    (the parameters themselves last) reaches every container that sets none."""
    index, by = _index(SIDECARS)
    gloo, kgw = "gateway.gloo.solo.io", "gateway.kgateway.dev"
    sds, istio = ("sdsContainer",), ("istio", "istioProxyContainer")
    assert inherited_user(by[gloo, "gloo-system", "gloo-gateway"], index, sds) == [None]
    assert inherited_user(by[gloo, "gloo-system", "gloo-gateway"], index, istio) == [1337]
    assert inherited_user(by[gloo, "apps", "team"], index, sds) == [2000]  # its own pod's
    assert inherited_user(by[gloo, "apps", "team"], index, istio) == [1337]  # the class's
    assert inherited_user(by[kgw, "apps", "kgw"], index) == [10101]  # Envoy: the default's
    assert inherited_user(by[kgw, "apps", "kgw"], index, sds) == [None]
    assert inherited_user(by[kgw, "apps", "kgw-pod"], index, sds) == [10101]
