"""Write a realistic, Gloo-like rendered stream of N documents (fixed seed, deterministic).

The stream repeats a 60-document "release unit" modelled on ``helm template gloo --include-crds``
(Helm install order): 6 ServiceAccounts, 3 ConfigMaps (one a ~14 KB Envoy bootstrap, one the
chart's ``gloo-custom-resource-config`` with embedded Gateways), 12 CRDs (4 with a large
``openAPIV3Schema``), 18 RBAC objects, 3 Services, 5 Deployments (3 of them proxies), 3 Jobs,
a webhook configuration, the Settings, 2 Gateways, 3 Upstreams and 3 VirtualServices. Each unit
has its own namespace, name suffix and CRD group, so kustomize sees no duplicate ids.

Per unit, both gloo-harden and the kustomization in ``kustomization.py`` make the same edits
(7 documents, 13 fields): the 3 proxy Deployments lose ``NET_BIND_SERVICE`` and gain
``readOnlyRootFilesystem: true`` and ``automountServiceAccountToken: false``, the 3 proxy
ServiceAccounts gain ``automountServiceAccountToken: false``, and the Settings gets
``disableKubernetesDestinations: true``. Nothing in the stream trips a guard.

``proxy_stream`` writes the other shape a big render takes: many small proxy units (one per
namespace, 20 documents: 4 proxies with their ServiceAccount and Service, the chart's
``gloo-custom-resource-config`` with 4 embedded Gateways, 4 Gateway documents, the Settings
and 2 VirtualServices), no CRDs or RBAC. Every document is read, and every guard
looks at every proxy, Gateway, Service and route: work that grows with proxies x Gateways
shows here first.

Usage: ``python benchmarks/gen_gloo.py --docs 1000 > d1k.yaml``
(``--proxies`` for the proxy-dense stream)
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator

from gloo_objects import (
    PROXIES,
    config_map,
    crd,
    custom_resource_config,
    envoy_config,
    rbac,
    schema,
    service_account,
    small_crd,
)
from gloo_workloads import deployment, gateway, job, service, settings, upstream, virtual_service, webhook

UNIT = 60
SEED = 20261126
#: proxies of one unit of ``proxy_stream`` (the chart's ``gatewayProxies`` map, one per edge)
DENSE_PROXIES = ("gateway-proxy", "public-gw", "internal-gw", "partner-gw")
DENSE_UNIT = 20


def stream(docs: int, seed: int = SEED) -> Iterator[str]:
    """The documents of an ``docs``-long stream, each starting with ``---``."""
    rng = random.Random(seed)
    schemas = [schema(rng, 4) for _ in range(4)]  # shared shapes keep generation fast
    produced = 0
    unit = 0
    while produced < docs:
        for text in _unit(unit, rng, schemas):
            if produced == docs:
                return
            yield text
            produced += 1
        unit += 1


def proxy_stream(docs: int, seed: int = SEED) -> Iterator[str]:
    """The documents of a ``docs``-long proxy-dense stream (see the module docstring)."""
    rng = random.Random(seed)
    produced, unit = 0, 0
    while produced < docs:
        for text in _proxy_unit(unit, rng):
            if produced == docs:
                return
            yield text
            produced += 1
        unit += 1


def _proxy_unit(u: int, rng: random.Random) -> Iterator[str]:
    ns = f"edge-{u}"
    ports = (("http", 8080), ("https", 8443), ("admin", 9080), ("tcp", 9443))
    yield custom_resource_config(ns, [(f"{p}-{name}", port, p) for p in DENSE_PROXIES[:2]
                                      for name, port in ports[:2]])
    for name in DENSE_PROXIES:
        yield service_account(name, ns, proxy=True)
        yield service(name, ns, {"gloo": "gateway-proxy", "gateway-proxy-id": name},
                      [(80, 8080, "http"), (443, 8443, "https")])
        yield deployment(name, ns, rng, proxy=True)
    for i, (name, port) in enumerate(ports):
        yield gateway(name, ns, port, DENSE_PROXIES[2 + i % 2])
    yield settings(ns)
    for i in range(2):
        yield virtual_service(f"vs-{i}", ns)


def _unit(u: int, rng: random.Random, schemas: list[str]) -> Iterator[str]:
    ns = "gloo-system" if u == 0 else f"gloo-system-{u}"
    sfx = "" if u == 0 else f"-{u}"
    group = "solo.io" if u == 0 else f"u{u}.solo.io"
    for name in ("gloo", "discovery", "certgen", *PROXIES):
        yield service_account(name, ns)
    yield envoy_config(ns, rng)
    yield custom_resource_config(ns)
    yield config_map(ns)
    for i, kind in enumerate(("Upstream", "VirtualService", "Gateway", "RouteTable")):
        yield crd(kind, f"gateway.{group}", schemas[i])
    for kind in ("Proxy", "Settings", "AuthConfig", "RateLimitConfig", "UpstreamGroup",
                 "MatchableHttpGateway", "HttpListenerOption", "VirtualHostOption"):
        yield small_crd(kind, f"gloo.{group}")
    yield from rbac(ns, sfx)
    yield service("gloo", ns, {"gloo": "gloo"}, [(9977, 9977, "grpc-xds"), (9988, 9988, "grpc-validation")])
    for name in PROXIES[:2]:
        yield service(name, ns, {"gloo": "gateway-proxy", "gateway-proxy-id": name},
                       [(80, 8080, "http"), (443, 8443, "https")])
    yield deployment("gloo", ns, rng, proxy=False)
    yield deployment("discovery", ns, rng, proxy=False)
    for name in PROXIES:
        yield deployment(name, ns, rng, proxy=True)
    for name in ("gloo-resource-rollout", "gloo-resource-cleanup", "certgen"):
        yield job(name, ns)
    yield webhook(ns, sfx)
    yield settings(ns)
    for name, port in (("gateway-proxy", 8080), ("gateway-proxy-ssl", 8443)):
        yield gateway(name, ns, port)
    for i in range(3):
        yield upstream(f"svc-{i}", ns)
    for i in range(3):
        yield virtual_service(f"vs-{i}", ns)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=UNIT, help="number of documents (default 60)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--proxies", action="store_true", help="the proxy-dense stream")
    args = parser.parse_args(argv)
    out = sys.stdout
    for text in (proxy_stream if args.proxies else stream)(args.docs, args.seed):
        out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
