"""The stream seen as Gloo sees it: resources by kind, and every proxy workload.

Built once per run from the parsed resources; scopes and guards only read it. What guards
derive from the whole stream (the objects embedded in the chart's ConfigMap and Job, Services
by selector, Namespaces by name, proxies by ServiceAccount, routes…) is built here once per
render (``StreamIndex.view``) and rebuilt only after a resource it was built from changes:
guards run once per target, and a scan of the stream in each would cost time quadratic in its
size (proxies × Gateways, Services, routes).
"""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, TypeVar

from gloo_harden.gloo import embedded
from gloo_harden.gloo.evidence import NO_EVIDENCE, Evidence, ObjectKind
from gloo_harden.gloo.release_detection import Generation, Product
from gloo_harden.patterns import lazy
from gloo_harden.resources.model import Resource, child_path
from gloo_harden.resources.podspec import POD_SPEC_PATHS, containers, mapping, pod_labels, pod_spec
from gloo_harden.resources.results import show_text

T = TypeVar("T")
#: where a Gloo version can be read: chart labels and the images the chart renders
_CHART = lazy(r"^gloo(?:-ee)?-v?(\d+)\.(\d+)\.")
_IMAGE = lazy(r"/gloo(?:-ee)?(?:-envoy-wrapper)?:v?(\d+)\.(\d+)\.")
_TAG = lazy(r"^v?(\d+)\.(\d+)\.")

#: Values of the ``gloo`` label that mark an Envoy proxy workload, by chart template.
PROXY_ROLES = (
    "gateway-proxy",
    "ingress-proxy",
    "clusteringress-proxy",
    "knative-external-proxy",
    "knative-internal-proxy",
)
#: ``--istio-injected all``: Istio injects sidecars in every namespace of the cluster.
ALL_NAMESPACES = "all"
#: Containers that run beside Envoy in a proxy pod (Istio, SDS, gloo-ee extauth…).
KNOWN_SIDECARS = ("sds", "istio-proxy", "envoy-sidecar", "extauth", "rate-limit")
#: Kinds the chart hides Gloo objects in (``embedded``)
EMBEDDING_KINDS = ("ConfigMap", "Job")
#: Kinds a proxy workload can be (``_as_proxy``)
WORKLOAD_KINDS = tuple(POD_SPEC_PATHS)


class Proxy(NamedTuple):
    """One Gloo proxy workload and the facts guards need about it."""

    resource: Resource
    role: str
    name: str  # the proxy name Gateways refer to (``gateway-proxy-id``), else the object name
    spec: Any
    spec_path: str
    labels: dict[str, str]
    envoy: int | None  # index of the Envoy container in ``spec.containers``

    @property
    def namespace(self) -> str | None:
        return self.resource.namespace

    @property
    def service_account(self) -> str:
        name = self.spec.get("serviceAccountName") or self.spec.get("serviceAccount")
        return show_text(name) if name else "default"

    def container_path(self, index: int) -> str:
        return child_path(child_path(self.spec_path, "containers"), index)

    def __str__(self) -> str:
        return f"{self.resource.kind} {self.namespace or '-'}/{self.resource.name}"


class StreamIndex:
    """Everything parsed from the stream, in stream order."""

    def __init__(self, resources: list[Resource],
                 istio_injected: frozenset[str] = frozenset(),
                 generation: Generation = Generation(),
                 client: str | None = None, evidence: Evidence = NO_EVIDENCE) -> None:
        self.resources = resources
        #: objects read from outside the stream (``--evidence``): guards read them through
        #: ``seen``, scopes never see them
        self.evidence = evidence
        self._evidence_by_kind: dict[str, list[Resource]] = {}
        for resource in evidence.resources:
            self._evidence_by_kind.setdefault(resource.kind, []).append(resource)
        #: who handed the stream over, when that decides what it can hold (``clients``)
        self.client = client
        #: namespaces whose pods Istio injects, as the cluster decides (``ALL_NAMESPACES``:
        #: every one); the stream cannot show it, the user says so (``--istio-injected``)
        self.istio_injected = istio_injected
        #: the product and version the stream was rendered from (``release_detection.detect``)
        self.generation = generation
        self._derived: dict[int, dict[str, Any]] = {}
        self._views: dict[str, tuple[frozenset[str], Any]] = {}
        self._by_kind: dict[str, list[Resource]] = {}
        for resource in self.resources:
            self._by_kind.setdefault(resource.kind, []).append(resource)
        self.proxies = [p for r in self.resources if (p := _as_proxy(r)) is not None]
        self._proxy_of = {id(p.resource): p for p in self.proxies}

    def of_kind(self, *kinds: str, group: str | None = None) -> list[Resource]:
        """Resources of the given kinds (optionally of one API group), in stream order."""
        found = [r for kind in kinds for r in self._by_kind.get(kind, [])]
        if group is not None:
            found = [r for r in found if r.group == group]
        return sorted(found, key=lambda r: (r.position, r.path))

    def seen(self, *kinds: str, group: str | None = None) -> list[Resource]:
        """``of_kind``, then the evidence's objects of those kinds (``--evidence``): what a
        guard may read. Scopes read ``of_kind`` only: evidence is never hardened."""
        found = self.of_kind(*kinds, group=group)
        extra = [r for kind in kinds for r in self._evidence_by_kind.get(kind, [])
                 if group is None or r.group == group]
        return found + extra if extra else found

    def covers(self, what: ObjectKind) -> bool:
        """Whether objects of ``what`` can be seen: one is in the stream or the evidence, or
        an evidence file was collected for its resource (``explain evidence``). Constant time:
        guards ask once per target."""
        present = self.view("kinds-present", (), _kinds_present)  # dropped by ``add``
        return what.resource in self.evidence.collected or (what.kind, what.group) in present

    def add(self, resource: Resource) -> None:
        """An object a hardening added to the stream (``additions``): later ones see it."""
        self.resources.append(resource)
        self._by_kind.setdefault(resource.kind, []).append(resource)
        self._forget(resource.kind)
        self._views.pop("kinds-present", None)

    def view(self, key: str, kinds: Iterable[str], build: "Callable[[StreamIndex], T]") -> T:
        """``build(self)``: data derived from every resource of ``kinds``, built once per
        render and rebuilt only after one of them is patched, given new nodes or added;
        callers must not change it. ``key`` names the view (a guard's: ``"<guard id>/…"``).
        """
        found = self._views.get(key)
        if found is None:
            found = self._views[key] = (frozenset(kinds), build(self))
        value: T = found[1]
        return value

    def _forget(self, kind: str) -> None:
        for key in [key for key, (kinds, _) in self._views.items() if kind in kinds]:
            del self._views[key]

    def proxy_of(self, resource: Resource) -> Proxy | None:
        """The proxy ``resource`` is, if it is one."""
        return self._proxy_of.get(id(resource))

    def embedded(self) -> tuple[list[embedded.Embedded], list[str]]:
        """The Gloo objects the chart hides in its ConfigMap and rollout Job, and the texts
        that could not be parsed (``embedded.find``), once per render."""
        return self.view("embedded", EMBEDDING_KINDS,
                         lambda index: embedded.find(index.seen(*EMBEDDING_KINDS)))

    def services_selecting(self, proxy: Proxy) -> list[Resource]:
        """The Services in the proxy's namespace (or in none) whose selector (not empty) the
        proxy's pod labels all match, in stream order."""
        if proxy.namespace is None:  # any namespace's Services may select it
            candidates = self.seen("Service")
        else:
            by_label = self.view("services-by-selector", ("Service",), _services_by_selector)
            candidates = [s for namespace in (proxy.namespace, None)
                          for key, value in proxy.labels.items()
                          for s in by_label.get((namespace, key, value), ())]
        return sorted({id(s): s for s in candidates if _selects(s, proxy)}.values(),
                      key=_in_stream_order)

    def namespaces(self, name: str | None) -> list[Resource]:
        """The Namespace objects named ``name`` (every one for None), in stream order."""
        if name is None:
            return self.seen("Namespace")
        return self.view("namespaces-by-name", ("Namespace",), _namespaces_by_name).get(name, [])

    def proxies_running_as(self, account: Resource) -> list[Proxy]:
        """The proxies whose pods run as the ServiceAccount ``account`` (same namespace, or
        either has none), in stream order."""
        if account.name is None:
            return []
        by_account = self.view("proxies-by-account", WORKLOAD_KINDS, _proxies_by_account)
        if account.namespace is None:  # it is every namespace's
            found = [p for (_, name), proxies in by_account.items() if name == account.name
                     for p in proxies]
        else:
            found = by_account.get((account.namespace, account.name), []) \
                + by_account.get((None, account.name), [])
        return sorted(found, key=lambda p: _in_stream_order(p.resource))

    def derived(self, resource: Resource, key: str, build: Callable[[Resource], T]) -> T:
        """``build(resource)``, kept until ``resource`` is patched; callers must not change it.

        Guards run once per target and read every Gateway or route each time: without this,
        a stream with many proxies costs time quadratic in its size.
        """
        cached = self._derived.setdefault(id(resource), {})
        if key not in cached:
            cached[key] = build(resource)
        return cached[key]  # type: ignore[no-any-return]

    def refresh(self, resource: Resource) -> None:
        """``resource`` was given new nodes (``aliases.own_copy``): read its proxy again."""
        self.proxies = [(_as_proxy(p.resource) or p) if p.resource is resource else p
                        for p in self.proxies]
        self._proxy_of = {id(p.resource): p for p in self.proxies}
        self._forget(resource.kind)

    def touched(self, resource: Resource) -> None:
        """``resource`` was just patched: forget what was derived from it."""
        self._derived.pop(id(resource), None)
        self._forget(resource.kind)


def _kinds_present(index: StreamIndex) -> frozenset[tuple[str, str]]:
    """(kind, group) of every object in the stream and the evidence."""
    return frozenset((r.kind, r.group) for r in index.resources + list(index.evidence.resources))


def _in_stream_order(resource: Resource) -> tuple[int, str]:
    return resource.position, resource.path


def _services_by_selector(index: StreamIndex
                          ) -> dict[tuple[str | None, str, str], list[Resource]]:
    """Services with a selector, by namespace and the label of their selector the fewest
    Services share (``gateway-proxy-id: …`` rather than ``gloo: gateway-proxy``): a Service
    selects a proxy's pods only if the proxy has that label, so a proxy looks only at the
    Services filed under its own labels."""
    selectors = []
    shared: dict[tuple[str | None, str, str], int] = {}
    for service in index.seen("Service"):  # also --evidence
        selector = mapping(service.tree.get("spec")).get("selector")
        if isinstance(selector, dict) and selector:
            pairs = [(service.namespace, str(k), str(v)) for k, v in selector.items()]
            selectors.append((service, pairs))
            for pair in pairs:
                shared[pair] = shared.get(pair, 0) + 1
    found: dict[tuple[str | None, str, str], list[Resource]] = {}
    for service, pairs in selectors:
        found.setdefault(min(pairs, key=shared.__getitem__), []).append(service)
    return found


def _selects(service: Resource, proxy: Proxy) -> bool:
    if service.namespace not in (proxy.namespace, None) and proxy.namespace is not None:
        return False
    selector = mapping(service.tree.get("spec")).get("selector")
    return isinstance(selector, dict) and bool(selector) and all(
        proxy.labels.get(str(k)) == str(v) for k, v in selector.items())


def _namespaces_by_name(index: StreamIndex) -> dict[str | None, list[Resource]]:
    found: dict[str | None, list[Resource]] = {}
    for namespace in index.seen("Namespace"):  # also --evidence
        found.setdefault(namespace.name, []).append(namespace)
    return found


def _proxies_by_account(index: StreamIndex) -> dict[tuple[str | None, str], list[Proxy]]:
    """Proxies by namespace and ServiceAccount, in stream order."""
    found: dict[tuple[str | None, str], list[Proxy]] = {}
    for proxy in index.proxies:
        found.setdefault((proxy.namespace, proxy.service_account), []).append(proxy)
    return found


def proxy_accounts(resources: list[Resource]) -> set[str]:
    """Names of the ServiceAccounts proxies run as (never ``default``), and the chart's
    ``gateway-proxy`` account: the workloads that run as one of them must be read too."""
    names = {p.service_account for r in resources if (p := _as_proxy(r)) is not None}
    names |= {r.name for r in resources if r.kind == "ServiceAccount" and r.name
              and r.labels.get("gloo") == "gateway-proxy"}
    names.discard("default")
    return names


def is_proxy(resource: Resource) -> bool:
    """Whether ``resource`` runs a Gloo proxy (also one read from ``--evidence``)."""
    return _as_proxy(resource) is not None


def _as_proxy(resource: Resource) -> Proxy | None:
    located = pod_spec(resource.tree, resource.kind)
    if located is None or resource.kind in ("Job", "CronJob"):
        return None
    spec, spec_path = located
    labels = pod_labels(resource.tree, resource.kind)
    role = resource.labels.get("gloo") or labels.get("gloo", "")
    if role not in PROXY_ROLES:
        return None
    name = (resource.labels.get("gateway-proxy-id") or labels.get("gateway-proxy-id")
            or resource.name or role)
    return Proxy(resource, role, name, spec, resource.field(spec_path), labels,
                 _envoy_container(spec, name, role))


def _envoy_container(spec: Any, name: str, role: str) -> int | None:
    """The Envoy container: named after the proxy, else the envoy image, else the only one."""
    items = spec.get("containers") if isinstance(spec.get("containers"), list) else []
    names = [str(c.get("name", "")) if isinstance(c, dict) else "" for c in items]
    for wanted in (name, role):
        if wanted in names:
            return names.index(wanted)
    for i, container in enumerate(items):
        if isinstance(container, dict) and "envoy" in str(container.get("image", "")) \
                and names[i] not in KNOWN_SIDECARS:
            return i
    candidates = [i for i, n in enumerate(names) if n not in KNOWN_SIDECARS]
    return candidates[0] if len(candidates) == 1 and containers(spec) else None


def gloo_versions(index: StreamIndex) -> set[tuple[int, int]]:
    """The (major, minor) Gloo versions the stream shows: the release ``release_detection.detect``
    found (or was told), ``helm.sh/chart`` labels, the images of proxies, and the envoy image
    tag of Gloo's GatewayParameters (split into registry/repository/tag fields there)."""
    found: set[tuple[int, int]] = set()
    release = index.generation
    if release.product is Product.GLOO and release.version is not None:
        found.add((release.version.major, release.version.minor))
    for r in index.resources:
        match = _CHART.match(r.labels.get("helm.sh/chart", ""))
        if match:
            found.add((int(match[1]), int(match[2])))
    for proxy in index.proxies:
        for container in containers(proxy.spec):
            match = _IMAGE.search(str(container.get("image", "")))
            if match:
                found.add((int(match[1]), int(match[2])))
    for r in index.of_kind("GatewayParameters", group="gateway.gloo.solo.io"):
        image = _mapping(_mapping(_mapping(_mapping(r.tree.get("spec")).get("kube"))
                                  .get("envoyContainer")).get("image"))
        match = _TAG.match(str(image.get("tag", "")))
        if match and "gloo" in str(image.get("repository", "")):
            found.add((int(match[1]), int(match[2])))
    return found


def _mapping(value: Any) -> Any:
    return value if isinstance(value, dict) else {}
