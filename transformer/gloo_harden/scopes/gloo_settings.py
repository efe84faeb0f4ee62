"""``gloo-settings``: the ``gloo.solo.io/v1`` ``Settings`` resources (normally ``default``).

When the chart is rendered with ``settings.create: false`` there is none, and Gloo boots with
its built-in defaults, Kubernetes destinations included; that is reported as a warning. A
stream without Gloo Edge (kgateway 2.x: no Settings CRD, no ``disableKubernetesDestinations``;
``../shared/notes/gateway-api.md`` §4b) is not asked for one.
"""

from __future__ import annotations

from collections.abc import Iterator

from gloo_harden.gloo.index import StreamIndex
from gloo_harden.resources.results import Severity
from gloo_harden.scopes.target import Reads, ScopeOptions, Target

ID = "gloo-settings"
READS = Reads(frozenset({"Settings"}))
#: API groups only Gloo Edge (and Gloo Gateway 1.17+, which runs on it) serves
EDGE_GROUPS = ("gloo.solo.io", "gateway.solo.io", "gateway.gloo.solo.io",
               "enterprise.gloo.solo.io", "graphql.gloo.solo.io", "ratelimit.solo.io")


def empty(index: StreamIndex) -> tuple[Severity, str]:
    """A warning for a Gloo Edge stream without Settings; an info line for any other stream."""
    if index.proxies or any(r.group in EDGE_GROUPS for r in index.resources):
        return (Severity.WARNING, "no gloo.solo.io/v1 Settings in the stream: Gloo will boot "
                "with its defaults, Kubernetes destinations enabled; set it on the Settings "
                "you apply")
    return (Severity.INFO, "no Gloo Edge in the stream, so no Settings to set (kgateway has no "
            "Settings and no disableKubernetesDestinations)")


def targets(index: StreamIndex, options: ScopeOptions) -> Iterator[Target]:
    for resource in index.of_kind("Settings", group="gloo.solo.io"):
        if resource.api_version == "gloo.solo.io/v1":
            yield Target(ID, resource, resource.tree, resource.field(""), "CustomResource",
                         "Settings")
