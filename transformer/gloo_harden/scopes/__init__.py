"""Scopes: *where* a hardening applies. Each module knows one part of Gloo.

A scope module defines ``ID``, ``EMPTY`` (the result to report when the stream holds nothing in
scope, or None) and ``targets(index, options)``, yielding the mappings a patch body applies to.
The registry below is the one explicit, ordered list of scopes.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, NamedTuple

from gloo_harden.index import Proxy
from gloo_harden.model import Resource


class ScopeOptions(NamedTuple):
    """What a user can change about scopes."""

    sidecars: bool = False  # also target sidecar containers (sds, istio-proxy, …)


class Target(NamedTuple):
    """One place a patch body applies to."""

    scope: str
    resource: Resource
    node: Any  # the round-trip mapping the body is merged into
    path: str  # field path of ``node`` from the document root ("" for the root)
    type_name: str | None  # strategic-merge schema type of ``node``
    what: str  # human description, e.g. 'container "gateway-proxy"'
    proxy: Proxy | None = None


def _registry() -> dict[str, ModuleType]:
    from gloo_harden.scopes import (
        gateway_parameters_envoy,
        gloo_container,
        gloo_pod,
        gloo_settings,
        proxy_container,
        proxy_pod,
        proxy_service_account,
    )

    ordered = (proxy_container, proxy_pod, proxy_service_account, gloo_settings, gloo_pod,
               gloo_container, gateway_parameters_envoy)
    return {module.ID: module for module in ordered}


SCOPES: dict[str, ModuleType] = _registry()
