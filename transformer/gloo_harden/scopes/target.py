"""What every scope yields: a ``Target``, and the ``ScopeOptions`` a user can change.

Kept apart from the registry (``scopes/__init__``) so scope modules import this, not the
package that imports them.
"""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

from typing import Any, NamedTuple

from gloo_harden.gloo.index import Proxy
from gloo_harden.resources.model import Resource


class ScopeOptions(NamedTuple):
    """What a user can change about scopes, and tell about the cluster that guards read."""

    sidecars: bool = False  # also target sidecar containers (sds, istio-proxy, …)
    istio_injected: tuple[str, ...] = ()  # namespaces Istio injects (``index.ALL_NAMESPACES``)


class Reads(NamedTuple):
    """What a scope reads from the stream, so the run parses it (``run.pipeline.Reading``).

    Documents no enabled scope, guard or the index reads are copied through unparsed. Gloo
    proxies (a workload whose text names a ``gloo: <role>`` label) are always read.
    """

    kinds: frozenset[str] = frozenset()  # kinds of the objects it reads, workloads aside
    every_workload: bool = False  # every workload kind (POD_SPEC_PATHS), not only proxies
    #: text that makes a workload that is no proxy worth reading (e.g. the kgateway
    #: controller's ``KGW_`` env)
    markers: tuple[str, ...] = ()


class Target(NamedTuple):
    """One place a patch body applies to."""

    scope: str
    resource: Resource
    node: Any  # the round-trip mapping the body is merged into
    path: str  # field path of ``node`` from the document root ("" for the root)
    type_name: str | None  # strategic-merge schema type of ``node``
    what: str  # human description, e.g. 'container "gateway-proxy"'
    proxy: Proxy | None = None
