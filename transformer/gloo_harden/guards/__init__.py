"""Guards: *whether* a hardening is safe for one target. Each module looks at one risk.

A guard module is a ``Guard``: it defines ``ID``, ``EVIDENCE`` (every form of evidence it reads,
one line each, as ``gloo-harden explain`` prints them) and ``check(target, index)``, returning
the evidence that makes the change unsafe (an empty list means safe). A ``CompleteGuard`` also
judges the state the stream is in: ``broken(target, index)``, the evidence that a target
already in the hardened state breaks the gateway (reported as an install that is already
broken), and ``unseen(target, index)``, evidence it reads that this stream cannot hold for the
client and version at hand (``gloo.helm_hooks``), which a warning names while the decision
rests on the rest. Guards never print and never raise for a resource they cannot judge.

The registry below is the one explicit, ordered list of guards, typed by the protocols, so
``mypy --strict`` checks every module against them (``tests/test_contracts.py`` checks them at
run time too, and that a module defining ``broken`` or ``unseen`` is registered as complete).

May import: ``scopes``, ``gloo``, ``resources``, ``yamltext`` and ``gloo_harden.errors``
(``tests/test_layering.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from gloo_harden.gloo.evidence import KindRead, Unseen
    from gloo_harden.gloo.index import StreamIndex
    from gloo_harden.scopes import Target


class Guard(Protocol):
    """What every guard module defines."""

    @property
    def ID(self) -> str:  # noqa: N802 - a module constant
        """The name patch files give in ``guards:``."""

    @property
    def EVIDENCE(self) -> tuple[str, ...]:  # noqa: N802 - a module constant
        """Every form of evidence the guard reads, one line each (``gloo-harden explain``)."""

    @property
    def KINDS_READ(self) -> tuple[KindRead, ...]:  # noqa: N802 - a module constant
        """Every kind of object the guard reads beside its target, with what it proves and
        the side it takes when none is seen (``explain evidence``, the README's table)."""

    def check(self, target: Target, index: StreamIndex) -> list[str]:
        """The evidence that hardening ``target`` is unsafe; empty when it is safe."""


class CompleteGuard(Guard, Protocol):
    """A guard that also judges the state the stream is already in, and what it cannot see."""

    def broken(self, target: Target, index: StreamIndex) -> list[str]:
        """The evidence that ``target``, already in the hardened state, breaks the gateway."""

    def unseen(self, target: Target, index: StreamIndex) -> list[Unseen]:
        """The kinds of evidence the decision for ``target`` depends on that are nowhere to be
        seen (not in the stream, not in ``--evidence``, or not handed over by the client):
        said once per kind and render, some keeping the change back (``Unseen.keeps``)."""


def _registry() -> tuple[dict[str, Guard], dict[str, CompleteGuard]]:
    from gloo_harden.guards import (
        keeps_host_network,
        known_non_root_user,
        known_third_party_user,
        no_class_level_capabilities,
        no_custom_seccomp,
        no_istio_integration,
        no_kube_destinations,
        no_privileged_ports,
        no_token_injectors,
        only_proxies_use_account,
        writable_paths_on_volumes,
    )

    ordered: tuple[Guard, ...] = (
        no_privileged_ports, no_istio_integration, no_token_injectors, only_proxies_use_account,
        no_kube_destinations, known_non_root_user, known_third_party_user,
        writable_paths_on_volumes, no_custom_seccomp, keeps_host_network,
        no_class_level_capabilities)
    complete: tuple[CompleteGuard, ...] = (
        no_privileged_ports, no_istio_integration, no_token_injectors, no_kube_destinations,
        known_non_root_user, writable_paths_on_volumes)
    return {module.ID: module for module in ordered}, {module.ID: module for module in complete}


GUARDS: dict[str, Guard]
#: the guards of ``GUARDS`` that are also ``CompleteGuard`` s
COMPLETE: dict[str, CompleteGuard]
GUARDS, COMPLETE = _registry()
