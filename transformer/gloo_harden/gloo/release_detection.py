"""Which Gloo generation and version a stream was rendered from, and what that version does.

Gloo comes in two generations (``../shared/notes/gateway-api.md``):

- **Gloo Edge 1.x**: the chart renders the proxies and a ``gloo.solo.io`` ``Settings``;
- **the Gateway API generation**: Gloo Gateway 1.17–1.22 (``kubeGateway`` in the same ``gloo``
  chart) and kgateway 2.x, whose proxies the controller creates at run time from
  ``GatewayParameters``. kgateway's chart renders only the controller (since v2.0.0-beta3).

``detect`` reads the product and version from what the stream shows, in this order of trust:
the ``helm.sh/chart`` label (``gloo-1.17.0``, ``kgateway-v2.1.2``), then
``app.kubernetes.io/version`` beside it, then the tag of a Gloo or kgateway image. Versions
that cannot be the product's (the chart placeholders ``kgateway-v0.0.1``/``1.16.0`` of
v2.0.0-beta1) are not used. Which kinds and API groups appear says which generations are
present. When no version is visible the caller's ``assumed`` one (``--assume-version``) is
used; the result of every run that makes a version-dependent decision says which version was
assumed and where it came from. Pure: documents in, a ``Generation`` out.
"""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

import enum
import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from gloo_harden.errors import ConfigError
from gloo_harden.patterns import lazy, line_matches
from gloo_harden.yamltext.stream import Document

_VERSION = r"v?(\d+)\.(\d+)(?:\.(\d+))?([-+][0-9A-Za-z.-]*)?"
_CHART = lazy(r"helm\.sh/chart:[ \t]*[\"']?(gloo-ee|gloo|kgateway)-" + _VERSION
                    + r"[\"']?[ \t]*$", re.MULTILINE)
_APP_VERSION = lazy(r"app\.kubernetes\.io/version:[ \t]*[\"']?" + _VERSION
                          + r"[\"']?[ \t]*$", re.MULTILINE)
#: Images whose tag is the release: the controllers and the Envoy wrapper of each product.
_IMAGE = re.compile(r"image:[ \t]*[\"']?(?:[^\s\"'/]+/)*(gloo-ee-envoy-wrapper|gloo-envoy-wrapper"
                    r"|gloo-ee|gloo|kgateway|envoy-wrapper):" + _VERSION + r"[\"']?[ \t]*$",
                    re.MULTILINE)
#: An image written in fields (GatewayParameters ``envoyContainer.image``: registry,
#: repository, tag; keys in any order, ``tag`` after ``repository`` as Helm and kubectl sort
#: them), as an application team's GatewayParameters write it.
_SPLIT_IMAGE = lazy(r"repository:[ \t]*[\"']?(?:[^\s\"'/]+/)*(gloo-ee-envoy-wrapper|"
                          r"gloo-envoy-wrapper|envoy-wrapper)[\"']?[ \t]*\n"
                          r"(?:[ \t]*[A-Za-z]+:[^\n]*\n){0,3}?[ \t]*tag:[ \t]*[\"']?" + _VERSION
                          + r"[\"']?[ \t]*$", re.MULTILINE)
#: ``app.kubernetes.io/name`` of an object that is Gloo's or kgateway's own without a chart
#: label (an application team's copy of the chart's objects): its ``app.kubernetes.io/version``
#: is the release.
_APP_NAME = lazy(r"app\.kubernetes\.io/name:[ \t]*[\"']?(kgateway|gloo)[\"']?[ \t]*$",
                       re.MULTILINE)
_ASSUMED = lazy(r"(gloo|kgateway)-" + _VERSION)
_PRODUCT_OF_IMAGE = {"gloo-ee-envoy-wrapper": "gloo", "gloo-envoy-wrapper": "gloo",
                     "gloo-ee": "gloo", "gloo": "gloo", "kgateway": "kgateway",
                     "envoy-wrapper": "kgateway"}
#: API groups only Gloo Edge serves (Settings, Upstreams, VirtualServices, edge Gateways…).
EDGE_GROUPS = ("gloo.solo.io", "gateway.solo.io", "enterprise.gloo.solo.io",
               "ratelimit.solo.io", "graphql.gloo.solo.io")
#: API groups of the Gateway API generation, and the product each belongs to.
GATEWAY_API_GROUPS = {"gateway.gloo.solo.io": "gloo", "gateway.kgateway.dev": "kgateway",
                      "gateway.networking.k8s.io": None, "gateway.networking.x-k8s.io": None}
_EDGE_PROXY = re.compile(r"^[ \t]*gloo:[ \t]*[\"']?(?:gateway-proxy|ingress-proxy|"
                         r"clusteringress-proxy|knative-external-proxy|knative-internal-proxy)"
                         r"[\"']?[ \t]*$", re.MULTILINE)


class Product(str, enum.Enum):
    """A Gloo product line, named as its Helm chart is."""

    GLOO = "gloo"  # Gloo Edge 1.x, with Gloo Gateway (kubeGateway) from 1.17
    KGATEWAY = "kgateway"  # kgateway 2.x (the Gateway API generation only)


class Version(NamedTuple):
    """A release version; ``patch`` is 0 when only ``major.minor`` is known."""

    major: int
    minor: int
    patch: int = 0

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


class Generation(NamedTuple):
    """What the stream is: product, version, where the version came from, generations seen."""

    product: Product | None = None
    version: Version | None = None
    source: str = ""  # where the version was seen, or "--assume-version" / "assumed"
    edge: bool = False  # Gloo Edge objects: Settings, Upstreams, edge Gateways, chart proxies
    gateway_api: bool = False  # GatewayParameters, GatewayClasses, Gateways, a kgateway chart
    conflicts: tuple[str, ...] = ()  # other versions seen (the first one wins)

    @property
    def assumed(self) -> bool:
        """The version was not seen in the stream but given (or defaulted)."""
        return self.source in ("--assume-version", "assumed")

    def at_least(self, major: int, minor: int, patch: int = 0) -> bool:
        return self.version is not None and self.version >= (major, minor, patch)

    def describe(self) -> str:
        """``kgateway 2.1.2 (helm.sh/chart label of Deployment kgateway-system/kgateway)``."""
        if self.product is None:
            return "no Gloo or kgateway release"
        version = str(self.version) if self.version is not None else "version unknown"
        where = f" ({self.source})" if self.source else ""
        return f"{self.product.value} {version}{where}"


def parse_assumed(value: str, where: str = "--assume-version") -> tuple[Product, Version]:
    """``kgateway-2.1``/``kgateway-v2.1.2``/``gloo-1.19.3`` → (product, version).

    Raises ``ConfigError`` for anything else, or a version its product never had.
    """
    match = _ASSUMED.fullmatch(value.strip())
    parsed = _checked(match.group(1), match.groups()[1:]) if match else None
    if parsed is None:
        raise ConfigError(f'{where}: "{value}" is not a release; expected PRODUCT-VERSION with '
                          "PRODUCT one of gloo, kgateway (e.g. kgateway-2.1.2, gloo-1.19)")
    return parsed


def detect(documents: Iterable[Document], assumed: tuple[Product, Version] | None = None
           ) -> Generation:
    """The generation of ``documents`` (parsed or not); ``assumed`` when no version shows."""
    seen: list[tuple[Product, Version, int, _Source]] = []  # stream order
    products: list[Product] = []
    edge = gateway_api = False
    for doc in documents:
        kind, group, text, tree = _identity(doc)
        if group in EDGE_GROUPS or next(line_matches(_EDGE_PROXY, text, "gloo:"), None):
            edge = True
        if group in GATEWAY_API_GROUPS:
            gateway_api = True
            owner = GATEWAY_API_GROUPS[group]
            if owner is not None:
                products.append(Product(owner))
        if "KGW_" in text and kind == "Deployment":  # the kgateway controller's env
            products.append(Product.KGATEWAY)
        for product, version, trust, source in _versions(text, doc, kind, tree):
            if version is None:
                products.append(product)  # a chart label with a placeholder version
            else:
                seen.append((product, version, trust, source))
    if Product.KGATEWAY in products or any(p is Product.KGATEWAY for p, _, _, _ in seen):
        gateway_api = True  # the kgateway chart is the controller of the Gateway API generation
    if seen:
        product, version, _, source = min(seen, key=lambda found: found[2])
        others = tuple(sorted({f"{p.value} {v}" for p, v, _, _ in seen
                               if (p, v) != (product, version)}))
        return Generation(product, version, str(source), edge, gateway_api, others)
    product_seen = products[0] if products else (Product.GLOO if edge else None)
    if assumed is not None and product_seen in (None, assumed[0]):
        return Generation(assumed[0], assumed[1], "--assume-version", edge,
                          gateway_api or assumed[0] is Product.KGATEWAY)
    return Generation(product_seen, None, "", edge, gateway_api)


def _versions(text: str, doc: Document, kind: str | None, tree: Any = None
              ) -> "Iterator[tuple[Product, Version | None, int, _Source]]":
    """Every (product, version, trust, source) the text shows (trust: 0 chart label, 1 app
    version, 2 image tag; the lowest wins); version None for a placeholder chart."""
    where = _Where(doc, kind, tree)
    charts = list(_CHART.finditer(text)) if "helm.sh/chart" in text else []
    for match in charts:
        product = "gloo" if match.group(1) == "gloo-ee" else match.group(1)
        version = _checked(product, match.groups()[1:])
        if version is not None:
            yield version[0], version[1], 0, _Source(0, match, where)
            continue
        yield Product(product), None, 0, _Source(0, match, where)
        for app in _APP_VERSION.finditer(text) if "app.kubernetes.io/version" in text else ():
            found = _checked(product, app.groups())
            if found is not None:
                yield found[0], found[1], 1, _Source(1, app, where)
    if not charts and "app.kubernetes.io/version" in text and "app.kubernetes.io/name" in text:
        named = _APP_NAME.search(text)
        for app in _APP_VERSION.finditer(text) if named else ():
            found = _checked(named.group(1) if named else "", app.groups())
            if found is not None:
                yield found[0], found[1], 1, _Source(1, app, where)
    if "image:" in text:
        for match in _IMAGE.finditer(text):
            version = _checked(_PRODUCT_OF_IMAGE[match.group(1)], match.groups()[1:])
            if version is not None:
                yield version[0], version[1], 2, _Source(2, match, where)
    if "repository:" in text and "tag:" in text:
        for match in _SPLIT_IMAGE.finditer(text):
            version = _checked(_PRODUCT_OF_IMAGE[match.group(1)], match.groups()[1:])
            if version is not None:
                yield version[0], version[1], 2, _Source(2, match, where)


def _value(match: re.Match[str]) -> str:
    return match.group(0).split(":", 1)[1].strip().strip("\"'")


def _checked(product: str, groups: tuple[str | Any, ...]) -> tuple[Product, Version] | None:
    """A version the product really had: Gloo 1.x, kgateway 2.x (else a chart placeholder)."""
    major, minor, patch = int(groups[0]), int(groups[1]), int(groups[2] or 0)
    if (product, major) not in (("gloo", 1), ("kgateway", 2)):
        return None
    return Product(product), Version(major, minor, patch)


def _identity(doc: Document) -> tuple[str | None, str | None, str, Any]:
    """kind, API group, the text to scan and the object read (for a parsed item without text,
    and for a JSON document: its values as ``key: value`` lines; else None)."""
    tree = doc.tree if not doc.text else _json(doc.text)
    if not isinstance(tree, dict):
        api_version = doc.sniff_api_version()
        return doc.sniff_kind(), _group(api_version), doc.text, None
    return (str(tree.get("kind", "")), _group(str(tree.get("apiVersion", ""))),
            "\n".join(_lines(tree)), tree)


def _json(text: str) -> Any:
    """A JSON document (``kubectl get -o json``, API clients) read, else None: the patterns
    above are written for YAML's ``key: value`` lines."""
    if not text.lstrip().startswith("{"):
        return None
    import json

    try:
        return json.loads(text)
    except ValueError:
        return None  # YAML flow style, not JSON


def _group(api_version: str | None) -> str | None:
    return api_version.rpartition("/")[0] if api_version else None


def _lines(node: Any, key: str = "") -> Iterator[str]:
    """``key: value`` lines for every scalar of a parsed object, for the same patterns."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _lines(v, str(k))
    elif isinstance(node, list):
        for item in node:
            yield from _lines(item, key)
    elif key:
        yield f"{key}: {node}"


class _Source:
    """``image tag "…:1.19.3" of Deployment gloo-system/gloo``, written only for the version
    decisions assume (finding the object's name costs a search of its text)."""

    def __init__(self, trust: int, match: re.Match[str], where: "_Where") -> None:
        self.trust, self.match, self.where = trust, match, where

    def __str__(self) -> str:
        label = ("helm.sh/chart", "app.kubernetes.io/version", "image tag")[self.trust]
        return f'{label} "{_value(self.match)}" of {self.where}'


class _Where:
    """``Deployment kgateway-system/kgateway``, found only when a version is (it costs)."""

    def __init__(self, doc: Document, kind: str | None, tree: Any = None) -> None:
        self.doc, self.kind, self.tree = doc, kind, tree

    def __str__(self) -> str:
        return f"{self.kind or 'document'} {_name(self.doc, self.tree)}"


def _name(doc: Document, tree: Any = None) -> str:
    tree = tree if tree is not None else (doc.tree if not doc.text else None)
    if isinstance(tree, dict):
        meta = tree.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        return f"{meta.get('namespace') or '-'}/{meta.get('name') or '?'}"
    name = re.search(r"^  name:[ \t]*[\"']?([^\s\"']+)", doc.text, re.MULTILINE)
    namespace = re.search(r"^  namespace:[ \t]*[\"']?([^\s\"']+)", doc.text, re.MULTILINE)
    return f"{namespace.group(1) if namespace else '-'}/{name.group(1) if name else '?'}"
