"""What kgateway's deployer writes into every proxy's Envoy container before any GatewayParameters.

kgateway (2.0 – 2.3) builds each Gateway's proxy from an in-memory default GatewayParameters,
then merges the class-level and the Gateway's own GatewayParameters over it: a set scalar wins,
**lists are appended** (``capabilities.drop: [ALL]`` written again becomes ``[ALL, ALL]``). Its
default Envoy securityContext (``DEFAULT_ENVOY_SECURITY_CONTEXT``) is the same in every 2.x release
but for NET_BIND_SERVICE (added by 2.0 and 2.1 only): 2.0.5, 2.1.2 and 2.3.0 as the deployer
emulator renders them (``../shared/tools/deployer-emulator``, checked against kgateway's own
deployer golden files), 2.2.0 as the real controller writes it
(``../shared/notes/real-control-plane.md`` §6, ``tests/e2e/test_kgateway_controller.py``).
``omitDefaultSecurityContext: true`` on a GatewayParameters removes that default (2.1, 2.2: the
class-level Envoy securityContext too; 2.3: only the default, #13811).
"""

from __future__ import annotations

from typing import Any

from gloo_harden.resources.model import Resource
from gloo_harden.resources.podspec import mapping

KGATEWAY_GROUP = "gateway.kgateway.dev"
DEFAULT_ENVOY_SECURITY_CONTEXT: dict[str, Any] = {
    "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
    "runAsUser": 10101, "capabilities": {"drop": ["ALL"]},
}


def kgateway_defaults_apply(resource: Resource) -> bool:
    """A kgateway GatewayParameters that the deployer merges over its default Envoy
    securityContext: not ``omitDefaultSecurityContext: true``."""
    if resource.kind != "GatewayParameters" or resource.group != KGATEWAY_GROUP:
        return False
    kube = mapping(mapping(resource.tree.get("spec")).get("kube"))
    return kube.get("omitDefaultSecurityContext") is not True
