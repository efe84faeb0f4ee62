"""Scopes: *where* a hardening applies. Each module knows one part of Gloo.

A scope module defines ``ID``, ``EMPTY`` (the result to report when the stream holds nothing in
scope, or None; or a function of the ``StreamIndex`` that returns one) and
``targets(index, options)``, yielding the mappings a patch body applies to.
The registry below is the one explicit, ordered list of scopes.

May import: ``gloo``, ``resources``, ``yamltext`` and ``gloo_harden.errors``
(``tests/test_layering.py``).
"""

from __future__ import annotations

from types import ModuleType

from gloo_harden.scopes.target import ScopeOptions, Target

__all__ = ["SCOPES", "ScopeOptions", "Target"]


def _registry() -> dict[str, ModuleType]:
    from gloo_harden.scopes import (
        gateway_parameters_capabilities,
        gateway_parameters_envoy,
        gloo_container,
        gloo_pod,
        gloo_settings,
        kgateway_class,
        proxy_container,
        proxy_pod,
        proxy_service_account,
    )

    ordered = (proxy_container, proxy_pod, proxy_service_account, gloo_settings, gloo_pod,
               gloo_container, gateway_parameters_envoy, gateway_parameters_capabilities,
               kgateway_class)
    return {module.ID: module for module in ordered}


SCOPES: dict[str, ModuleType] = _registry()
