"""``gloo-settings``: the ``gloo.solo.io/v1`` ``Settings`` resources (normally ``default``).

When the chart is rendered with ``settings.create: false`` there is none, and Gloo boots with
its built-in defaults, Kubernetes destinations included; that is reported as a warning.
"""

from __future__ import annotations

from collections.abc import Iterator

from gloo_harden.index import StreamIndex
from gloo_harden.results import Severity
from gloo_harden.scopes.target import ScopeOptions, Target

ID = "gloo-settings"
EMPTY = (Severity.WARNING, "no gloo.solo.io/v1 Settings in the stream: Gloo will boot with "
         "its defaults, Kubernetes destinations enabled; set it on the Settings you apply")


def targets(index: StreamIndex, options: ScopeOptions) -> Iterator[Target]:
    for resource in index.of_kind("Settings", group="gloo.solo.io"):
        if resource.api_version == "gloo.solo.io/v1":
            yield Target(ID, resource, resource.tree, resource.field(""), "CustomResource",
                         "Settings")
