"""``gloo-container-without-default-drop``: the containers of ``gloo-container`` whose
``capabilities.drop`` is not already filled by a default the controller merges them over.

kgateway's deployer merges every GatewayParameters over a default Envoy securityContext that
drops ALL, and appends lists on merge (``gloo.deployer_defaults``): ``drop: [ALL]`` written into
a class-level and a per-Gateway GatewayParameters reaches the proxy Deployment as
``[ALL, ALL, ALL]`` (the real kgateway 2.2.0 controller, ``../shared/notes/real-control-plane.md``
§6). So a kgateway GatewayParameters is in this scope only with ``omitDefaultSecurityContext:
true``, where that default is gone and the list must be written there, once. Every other
container of ``gloo-container`` is in it.
"""

from __future__ import annotations

from collections.abc import Iterator

from gloo_harden.gloo.deployer_defaults import kgateway_defaults_apply
from gloo_harden.gloo.index import StreamIndex
from gloo_harden.resources.results import Severity
from gloo_harden.scopes import gloo_container
from gloo_harden.scopes.target import ScopeOptions, Target

ID = "gloo-container-without-default-drop"
READS = gloo_container.READS


def empty(index: StreamIndex) -> tuple[Severity, str]:
    """What a run says when the stream holds nothing in this scope: as ``gloo-container``."""
    return gloo_container.empty(index)


def targets(index: StreamIndex, options: ScopeOptions) -> Iterator[Target]:
    for target in gloo_container.targets(index, options):
        if not kgateway_defaults_apply(target.resource):
            yield target._replace(scope=ID)
