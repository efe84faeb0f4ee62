"""The stream seen as Gloo sees it: resources by kind, and every proxy workload.

Built once per run from the parsed resources; scopes and guards only read it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from gloo_harden.gloo.release_detection import Generation, Product
from gloo_harden.resources.model import Resource, child_path
from gloo_harden.resources.podspec import containers, pod_labels, pod_spec

T = TypeVar("T")
#: where a Gloo version can be read: chart labels and the images the chart renders
_CHART = re.compile(r"^gloo(?:-ee)?-v?(\d+)\.(\d+)\.")
_IMAGE = re.compile(r"/gloo(?:-ee)?(?:-envoy-wrapper)?:v?(\d+)\.(\d+)\.")
_TAG = re.compile(r"^v?(\d+)\.(\d+)\.")

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
        return str(name) if name else "default"

    def container_path(self, index: int) -> str:
        return child_path(child_path(self.spec_path, "containers"), index)

    def __str__(self) -> str:
        return f"{self.resource.kind} {self.namespace or '-'}/{self.resource.name}"


class StreamIndex:
    """Everything parsed from the stream, in stream order."""

    def __init__(self, resources: list[Resource],
                 istio_injected: frozenset[str] = frozenset(),
                 generation: Generation = Generation(),
                 client: str | None = None) -> None:
        self.resources = resources
        #: who handed the stream over, when that decides what it can hold (``clients``)
        self.client = client
        #: namespaces whose pods Istio injects, as the cluster decides (``ALL_NAMESPACES``:
        #: every one); the stream cannot show it, the user says so (``--istio-injected``)
        self.istio_injected = istio_injected
        #: the product and version the stream was rendered from (``release_detection.detect``)
        self.generation = generation
        self._derived: dict[int, dict[str, Any]] = {}
        self._by_kind: dict[str, list[Resource]] = {}
        for resource in self.resources:
            self._by_kind.setdefault(resource.kind, []).append(resource)
        self.proxies = [p for r in self.resources if (p := _as_proxy(r)) is not None]

    def of_kind(self, *kinds: str, group: str | None = None) -> list[Resource]:
        """Resources of the given kinds (optionally of one API group), in stream order."""
        found = [r for kind in kinds for r in self._by_kind.get(kind, [])]
        if group is not None:
            found = [r for r in found if r.group == group]
        return sorted(found, key=lambda r: (r.position, r.path))

    def add(self, resource: Resource) -> None:
        """An object a hardening added to the stream (``additions``): later ones see it."""
        self.resources.append(resource)
        self._by_kind.setdefault(resource.kind, []).append(resource)

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

    def touched(self, resource: Resource) -> None:
        """``resource`` was just patched: forget what was derived from it."""
        self._derived.pop(id(resource), None)


def proxy_accounts(resources: list[Resource]) -> set[str]:
    """Names of the ServiceAccounts proxies run as (never ``default``), and the chart's
    ``gateway-proxy`` account: the workloads that run as one of them must be read too."""
    names = {p.service_account for r in resources if (p := _as_proxy(r)) is not None}
    names |= {r.name for r in resources if r.kind == "ServiceAccount" and r.name
              and r.labels.get("gloo") == "gateway-proxy"}
    names.discard("default")
    return names


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
