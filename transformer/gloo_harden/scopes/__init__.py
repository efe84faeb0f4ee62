"""Scopes: *where* a hardening applies. Each module knows one part of Gloo.

A scope module is a ``Scope``: it defines ``ID``, ``READS`` (what it reads from the stream:
kinds, and every workload or only proxies; the run parses only what the enabled hardenings'
scopes read), ``empty(index)`` (the result to report when the stream holds nothing in scope,
or None to say nothing) and ``targets(index, options)``, yielding the mappings a patch body
applies to. The registry below is the one explicit, ordered
list of scopes, typed by the protocol, so ``mypy --strict`` checks every module against it
(``tests/test_contracts.py`` checks them at run time too).

May import: ``gloo``, ``resources``, ``yamltext`` and ``gloo_harden.errors``
(``tests/test_layering.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from gloo_harden.scopes.target import Reads, ScopeOptions, Target

if TYPE_CHECKING:
    from gloo_harden.gloo.index import StreamIndex
    from gloo_harden.resources.results import Severity

__all__ = ["SCOPES", "Reads", "Scope", "ScopeOptions", "Target"]


class Scope(Protocol):
    """What every scope module defines."""

    @property
    def ID(self) -> str:  # noqa: N802 - a module constant
        """The name patch files give in ``scopes:``."""

    @property
    def READS(self) -> Reads:  # noqa: N802 - a module constant
        """What the scope reads: the run parses these documents for it."""

    def empty(self, index: StreamIndex) -> tuple[Severity, str] | None:
        """The result to report when the stream holds nothing in scope, or None."""

    def targets(self, index: StreamIndex, options: ScopeOptions) -> Iterable[Target]:
        """The places in ``index`` a patch body applies to."""


def _registry() -> dict[str, Scope]:
    from gloo_harden.scopes import (
        gateway_parameters_capabilities,
        gateway_parameters_envoy,
        gateway_parameters_sidecars,
        gloo_container,
        gloo_container_without_default_drop,
        gloo_pod,
        gloo_settings,
        kgateway_class,
        proxy_container,
        proxy_pod,
        proxy_service_account,
    )

    ordered: tuple[Scope, ...] = (
        proxy_container, proxy_pod, proxy_service_account, gloo_settings, gloo_pod,
        gloo_container, gloo_container_without_default_drop, gateway_parameters_envoy,
        gateway_parameters_sidecars, gateway_parameters_capabilities, kgateway_class)
    return {module.ID: module for module in ordered}


SCOPES: dict[str, Scope] = _registry()
