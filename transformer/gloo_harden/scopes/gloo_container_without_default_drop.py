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
class). When a use cannot be seen (a Gloo Gateway's class or its parameters neither in the
stream nor in ``--evidence``), the parameters are in the scope: a second ALL is harmless, a missing one fails
Pod Security "restricted". Every other container of ``gloo-container`` is in it.

The chain is read per container template: a sidecar template (``sdsContainer``,
``istio.istioProxyContainer``, ``aiExtension``; ``gateway-parameters-sidecars``) gets ALL only
from the same template of the links before it, which must template it too; kgateway's default
drops ALL for Envoy only (its sidecar templates carry no security context,
``pkg/deployer/gateway_parameters.go@v2.3.0:207-231``).

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
from gloo_harden.scopes.gateway_parameters_sidecars import container_keys
from gloo_harden.scopes.target import ScopeOptions, Target

ID = "gloo-container-without-default-drop"
READS = gloo_container.READS._replace(kinds=gloo_container.READS.kinds | set(MERGE_READS))


def empty(index: StreamIndex) -> tuple[Severity, str]:
    """What a run says when the stream holds nothing in this scope: as ``gloo-container``."""
    return gloo_container.empty(index)


def targets(index: StreamIndex, options: ScopeOptions) -> Iterator[Target]:
    found = list(gloo_container.targets(index, options))
    templates = {(id(t.resource), container_keys(t)) for t in found
                 if t.resource.kind == "GatewayParameters"}
    for target in found:
        keys = container_keys(target) if target.resource.kind == "GatewayParameters" \
            else ENVOY
        if _needs_own(target.resource, keys, index, templates, set()):
            yield target._replace(scope=ID)


#: the keys under ``spec.kube`` of the Envoy container template
ENVOY = ("envoyContainer",)
_Template = tuple[int, tuple[str, ...]]  # (id of a GatewayParameters, keys of its template)


def _needs_own(resource: Resource, keys: tuple[str, ...], index: StreamIndex,
               templates: set[_Template], seen: set[int]) -> bool:
    """Some use of ``resource``'s container template ``keys`` gets no ALL from its chain (or its
    uses are not known)."""
    found = chains(resource, index)
    if found is None:
        return True
    seen = seen | {id(resource)}
    return any(not _drops_all(chain, keys, index, templates, seen) for chain in found)


def _drops_all(chain: Chain, keys: tuple[str, ...], index: StreamIndex,
               templates: set[_Template], seen: set[int]) -> bool:
    """A link of ``chain`` drops ALL in template ``keys``: kgateway's default (Envoy only),
    parameters that already drop ALL there, or parameters whose template is in this scope and
    that carry no opt-out (ALL is written there in this run)."""
    for link in chain:
        if link is None:  # kgateway's default (DEFAULT): only its Envoy template drops ALL
            if keys == ENVOY:
                return True
            continue
        if "ALL" in _drop(link, keys):
            return True
        if (id(link), keys) in templates and id(link) not in seen and not link.skip_reasons() \
                and _needs_own(link, keys, index, templates, seen):
            return True
    return False


def _drop(parameters: Resource, keys: tuple[str, ...]) -> list[object]:
    node = mapping(mapping(parameters.tree.get("spec")).get("kube"))
    for key in keys:
        node = mapping(node.get(key))
    context = mapping(node.get("securityContext"))
    return items(mapping(context.get("capabilities")).get("drop"))
