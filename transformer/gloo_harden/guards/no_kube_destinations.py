"""``no-kube-destinations``: keep Kubernetes destinations while something routes to them.

With ``disableKubernetesDestinations`` Gloo stops creating the in-memory ``kube-svc:`` upstreams
(``projects/gloo/pkg/syncer/setup/setup_syncer.go``: the kube Service client of the hybrid
upstream client is nil), so these stop resolving: a ``kube`` destination in VirtualService and
RouteTable routes (``single`` and ``multi``), UpstreamGroups, and TCP gateways (also matchable
and hybrid ones, and Gateways embedded in the chart's ConfigMap or Job), and any ``upstream``
reference named ``kube-svc:…``. An ``Upstream`` with ``spec.kube`` is a real upstream and no
conflict. Every location is listed, with the file it was read from.

Gloo 1.17.x with the Kubernetes Gateway API on (``kubeGateway.enabled``) is a conflict by
itself: its HTTPRoute translator turns every Service backendRef into a ``kube`` destination
(``projects/gateway2/translator/httproute/gateway_http_route_translator.go@v1.17.0:355-370``,
unchanged to v1.17.38) and hands those proxies to the same syncer, so routes to Services fail
with the setting on. From 1.18 the Gateway-API syncer builds its own Service upstreams
(``projects/gateway2/proxy_syncer/proxy_syncer.go@v1.18.0:369-379``) and is not affected.
HTTPRoutes are usually applied outside the chart, so the class is the evidence.

Routes are the application teams': the chart renders no VirtualService, RouteTable or
UpstreamGroup, and teams apply theirs at any time after the install. When none of a kind is in
the stream or the evidence, the setting is still made (a stream can never prove that no route
will come, and the broken state is found by ``--check`` over the routes, or with
``--evidence``), but an ``evidence-unseen`` warning names the kind, once per render. With the
routes in ``--evidence`` (``kubectl get virtualservices.gateway.solo.io -A -o yaml``, an
application repository), a route there to a ``kube`` destination keeps the Settings back exactly
as one in the stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gloo_harden.gloo import evidence as kinds
from gloo_harden.gloo import helm_hooks
from gloo_harden.gloo.evidence import KindRead, Unseen
from gloo_harden.gloo.index import EMBEDDING_KINDS, StreamIndex, gloo_versions
from gloo_harden.resources.model import Resource, child_path
from gloo_harden.resources.podspec import items, mapping
from gloo_harden.resources.results import show_text
from gloo_harden.scopes import Target
from gloo_harden.yamltext.yamlio import to_plain

ID = "no-kube-destinations"
EVIDENCE = (
    "a kube destination in a VirtualService or RouteTable route (single or multi), an "
    "UpstreamGroup, or a TCP Gateway (also MatchableHttpGateway/MatchableTcpGateway, and "
    "Gateways embedded in the gloo-custom-resource-config ConfigMap or the rollout Job)",
    "an upstream reference named kube-svc:…",
    "Gloo's Knative integration on, which makes every Knative route a kube destination: a "
    "knative-external-proxy, knative-internal-proxy or clusteringress-proxy workload, or a "
    "Settings with spec.knative",
    "Gloo 1.17.x (or a version not found in the stream) with the Kubernetes Gateway API on: a "
    "GatewayClass with controllerName solo.io/gloo-gateway or a gateway.gloo.solo.io "
    "GatewayParameters; HTTPRoute backendRefs to Services are named too",
    "with the setting already true: the routes above, and (Gloo 1.17 with the Gateway API) "
    "HTTPRoute backendRefs to Services, are reported as an install that is already broken",
    "no VirtualService, RouteTable or UpstreamGroup in the stream or the evidence: the setting "
    "is made, with an evidence-unseen warning naming the kinds",
)
_ROUTES_LATER = ("application teams apply routes at any time after the install, so no stream "
                 "proves there are none; --check over the routes (or --evidence) finds the "
                 "broken state")
KINDS_READ = (
    KindRead(kinds.VIRTUAL_SERVICE, "routes to kube destinations and kube-svc: upstreams",
          kinds.WARNS, _ROUTES_LATER),
    KindRead(kinds.ROUTE_TABLE, "delegated routes to kube destinations", kinds.WARNS,
          _ROUTES_LATER),
    KindRead(kinds.UPSTREAM_GROUP, "weighted kube destinations", kinds.WARNS, _ROUTES_LATER),
    KindRead(kinds.GLOO_GATEWAY, "TCP gateways' kube destinations (also embedded in the chart's "
          "ConfigMap or rollout Job)"),
    KindRead(kinds.TCP_GATEWAY, "matchable TCP gateways' kube destinations"),
    KindRead(kinds.GATEWAY_CLASS, "Gloo 1.17 with the Kubernetes Gateway API on (controllerName "
          "solo.io/gloo-gateway)"),
    KindRead(kinds.GLOO_GATEWAY_PARAMETERS, "Gloo 1.17 with the Kubernetes Gateway API on"),
    KindRead(kinds.HTTP_ROUTE, "backendRefs to Services (Gloo 1.17 with the Gateway API: already "
          "broken once the setting is on)"),
)
_UNSEEN_KINDS = tuple(r.what for r in KINDS_READ if r.when_unseen != kinds.SILENT)
ROUTING_KINDS = ("VirtualService", "RouteTable", "UpstreamGroup", "Gateway",
                 "MatchableHttpGateway", "MatchableTcpGateway")
GLOO_GATEWAY_CONTROLLER = "solo.io/gloo-gateway"
_DESTINATION_PARENTS = ("single", "destination")


def check(target: Target, index: StreamIndex) -> list[str]:
    """Why Kubernetes destinations must stay: every route to one, and Gloo 1.17 Gateway API."""
    if target.scope != "gloo-settings":
        return []
    return _routes(index) + _gateway_api_1_17(index)


def broken(target: Target, index: StreamIndex) -> list[str]:
    """Why a Settings that already disables Kubernetes destinations breaks routes: every
    route to one, and in Gloo 1.17 Gateway-API mode every HTTPRoute to a Service."""
    if target.scope != "gloo-settings":
        return []
    found = list(_routes(index))
    if _gateway_api_1_17(index):
        found += _service_backend_refs(index)
    return ["routes to the Kubernetes destinations it removes: " + "; ".join(found)] if found else []


def unseen(target: Target, index: StreamIndex) -> list[Unseen]:
    """The routing kinds none of which can be seen, and Gateways a Helm 3 post-renderer is not
    handed: a route there to a kube destination would need the setting off."""
    if target.scope != "gloo-settings":
        return []
    absent = tuple(what for what in _UNSEEN_KINDS if not index.covers(what))
    found = [Unseen(absent, "a route there to a kube destination", False)] if absent else []
    found += [Unseen((kinds.GLOO_GATEWAY,), f"a TCP Gateway routing to a kube destination ({why})",
                     False) for why in helm_hooks.unseen_gateways(index)]
    return found


def _routes(index: StreamIndex) -> list[str]:
    """Every kube destination the stream shows, in stream order (the decision and the
    final-state check read the same list): Knative's, then the routes (built once per render)."""
    return _knative(index) + index.view(f"{ID}/routes", ROUTING_KINDS + EMBEDDING_KINDS,
                                        _all_routes)


def _all_routes(index: StreamIndex) -> list[str]:
    found = [path for r in index.seen(*ROUTING_KINDS)
             if r.group in ("gateway.solo.io", "gloo.solo.io")
             for path in index.derived(r, ID, _destinations)]  # once per resource
    hidden, _ = index.embedded()
    for e in hidden:
        if e.data.get("kind") in ROUTING_KINDS:
            where = f" ({e.resource.located})" if e.resource is not None else ""
            found += [f"{e.origin} {path}{where}"
                      for path in _kube_destinations(e.data.get("spec"), "spec", "")]
    return found


KNATIVE_ROLES = ("knative-external-proxy", "knative-internal-proxy", "clusteringress-proxy")


def _knative(index: StreamIndex) -> list[str]:
    """Gloo's Knative integration translates every Knative Ingress split into a kube
    destination (``Destination_Kube`` in ``serviceForSplit``,
    ``projects/knative/pkg/translator/translate.go:247,262-269@v1.22.1``), so it stops
    routing with the setting on, though no route in any stream names one."""
    found = [f"{p} (Gloo's Knative integration: every Knative route is a kube destination)"
             for p in index.proxies if p.role in KNATIVE_ROLES]
    for settings in index.of_kind("Settings", group="gloo.solo.io"):
        if mapping(mapping(settings.tree.get("spec")).get("knative")):
            found.append(f"{settings.origin} spec.knative (Gloo's Knative integration: every "
                         f"Knative route is a kube destination) ({settings.located})")
    return found


def _destinations(r: Resource) -> list[str]:
    spec = to_plain(r.tree).get("spec")
    return [f"{r.origin} {path} ({r.located})" for path in _kube_destinations(spec, "spec", "")]


def _kube_destinations(node: Any, path: str, parent: str) -> Iterator[str]:
    if isinstance(node, dict):
        if parent in _DESTINATION_PARENTS and isinstance(node.get("kube"), dict):
            yield child_path(path, "kube")
        upstream = node.get("upstream")
        if isinstance(upstream, dict) and str(upstream.get("name", "")).startswith("kube-svc:"):
            yield f"{child_path(path, 'upstream')} ({show_text(upstream.get('name'))})"
        for key, value in node.items():
            yield from _kube_destinations(value, child_path(path, str(key)), str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _kube_destinations(value, child_path(path, i), parent)


def _gateway_api_1_17(index: StreamIndex) -> list[str]:
    """The Gateway-API evidence, when the stream's Gloo is 1.17.x or its version is unknown."""
    classes = [r for r in index.seen("GatewayClass", group="gateway.networking.k8s.io")
               if mapping(r.tree.get("spec")).get("controllerName") == GLOO_GATEWAY_CONTROLLER]
    parameters = index.seen("GatewayParameters", group="gateway.gloo.solo.io")
    if not classes and not parameters:
        return []
    versions = gloo_versions(index)
    if versions and (1, 17) not in versions:
        return []  # 1.18+: the Gateway-API syncer has its own Service upstreams
    which = "Gloo " + ("1.17" if versions else "of unknown version (the Gateway API came in "
                       "1.17, the only affected minor)")
    seen = "; ".join(f"{r.origin} ({r.located})" for r in classes + parameters)
    return [f"{which} with the Kubernetes Gateway API on ({seen}): HTTPRoute backendRefs to "
            "Services become kube destinations that resolve only through the kube-svc "
            "upstreams this setting removes (solo-io/gloo v1.17.x projects/gateway2/translator/"
            "httproute/gateway_http_route_translator.go, projects/gloo/pkg/syncer/setup/"
            "setup_syncer.go); fixed in 1.18"]


def _service_backend_refs(index: StreamIndex) -> list[str]:
    """HTTPRoute backendRefs that name a Service (the default kind of a backendRef)."""
    found = []
    for route in index.seen("HTTPRoute", group="gateway.networking.k8s.io"):
        for i, rule in enumerate(items(mapping(route.tree.get("spec")).get("rules"))):
            for j, ref in enumerate(items(mapping(rule).get("backendRefs"))):
                ref = mapping(ref)
                if ref.get("group", "") in ("", "core") and ref.get("kind", "Service") == "Service":
                    found.append(f"{route.origin} spec.rules[{i}].backendRefs[{j}] "
                                 f"(Service {show_text(ref.get('name'))}) ({route.located})")
    return found
