"""Guards: *whether* a hardening is safe for one target. Each module looks at one risk.

A guard module defines ``ID``, ``EVIDENCE`` (every form of evidence it reads, one line each, as
``gloo-harden explain`` prints them) and ``check(target, index)``, returning the evidence that
makes the change unsafe (an empty list means safe). A guard may define ``broken(target,
index)``: the evidence that a target already in the hardened state breaks the gateway (reported
as an install that is already broken), and ``unseen(target, index)``: evidence it reads that
this stream cannot hold for the client and version at hand (``gloo.helm_hooks``), which a
warning names while the decision rests on the rest. Guards never print and never raise for a resource they
cannot judge. The registry below is the one explicit, ordered list of guards.

May import: ``scopes``, ``gloo``, ``resources``, ``yamltext`` and ``gloo_harden.errors``
(``tests/test_layering.py``).
"""

from __future__ import annotations

from types import ModuleType


def _registry() -> dict[str, ModuleType]:
    from gloo_harden.guards import (
        keeps_host_network,
        known_non_root_user,
        no_custom_seccomp,
        no_istio_integration,
        no_kube_destinations,
        no_privileged_ports,
        only_proxies_use_account,
        writable_paths_on_volumes,
    )

    ordered = (no_privileged_ports, no_istio_integration, only_proxies_use_account,
               no_kube_destinations,
               known_non_root_user, writable_paths_on_volumes, no_custom_seccomp,
               keeps_host_network)
    return {module.ID: module for module in ordered}


GUARDS: dict[str, ModuleType] = _registry()
