"""``gloo-container-without-default-drop``: the containers of ``gloo-container`` whose
``capabilities.drop`` does not already get ALL from what the deployer merges them over.

The Gateway-API deployers merge GatewayParameters in a chain and append lists
(``gloo.parameters_merge``): ``drop: [ALL]`` written at two levels reaches the proxy Deployment
as ``[ALL, ALL]`` (the real kgateway 2.2.0 controller, ``../shared/notes/real-control-plane.md``
§6; Gloo Gateway's deployer through the emulator). So a GatewayParameters is in this scope
only where some use of it gets no ALL from its chain: kgateway parameters with
``omitDefaultSecurityContext: true`` (the deployer's default, which drops ALL, is gone), Gloo
class-level parameters, and Gloo per-Gateway parameters whose class-level ones neither drop
ALL nor are in this scope themselves (where ALL is written once, for every Gateway of the
class). When a use cannot be seen (a Gloo Gateway's class or its parameters not in the
stream), the parameters are in the scope: a second ALL is harmless, a missing one fails
Pod Security "restricted". Every other container of ``gloo-container`` is in it.

Class-level parameters that opt out of anything (``gloo-harden.dev/skip``) are not counted on
to carry ALL.
"""

from __future__ import annotations

from collections.abc import Iterator

from gloo_harden.gloo.index import StreamIndex
from gloo_harden.gloo.parameters_merge import READS as MERGE_READS
from gloo_harden.gloo.parameters_merge import Chain, chains
from gloo_harden.resources.model import Resource
from gloo_harden.resources.podspec import items, mapping
from gloo_harden.resources.results import Severity
from gloo_harden.scopes import gloo_container
from gloo_harden.scopes.target import ScopeOptions, Target

ID = "gloo-container-without-default-drop"
READS = gloo_container.READS._replace(kinds=gloo_container.READS.kinds | set(MERGE_READS))


def empty(index: StreamIndex) -> tuple[Severity, str]:
    """What a run says when the stream holds nothing in this scope: as ``gloo-container``."""
    return gloo_container.empty(index)


def targets(index: StreamIndex, options: ScopeOptions) -> Iterator[Target]:
    found = list(gloo_container.targets(index, options))
    templates = {id(t.resource) for t in found if t.resource.kind == "GatewayParameters"}
    for target in found:
        if _needs_own(target.resource, index, templates, set()):
            yield target._replace(scope=ID)


def _needs_own(resource: Resource, index: StreamIndex, templates: set[int],
               seen: set[int]) -> bool:
    """Some use of ``resource`` gets no ALL from its chain (or its uses are not known)."""
    found = chains(resource, index)
    if found is None:
        return True
    seen = seen | {id(resource)}
    return any(not _drops_all(chain, index, templates, seen) for chain in found)


def _drops_all(chain: Chain, index: StreamIndex, templates: set[int], seen: set[int]) -> bool:
    """A link of ``chain`` drops ALL: kgateway's default, parameters that already drop ALL, or
    parameters in this scope that carry no opt-out (ALL is written there in this run)."""
    for link in chain:
        if link is None or "ALL" in _drop(link):  # None: kgateway's default (DEFAULT)
            return True
        if id(link) in templates and id(link) not in seen and not link.skip_reasons() \
                and _needs_own(link, index, templates, seen):
            return True
    return False


def _drop(parameters: Resource) -> list[object]:
    kube = mapping(mapping(parameters.tree.get("spec")).get("kube"))
    context = mapping(mapping(kube.get("envoyContainer")).get("securityContext"))
    return items(mapping(context.get("capabilities")).get("drop"))
