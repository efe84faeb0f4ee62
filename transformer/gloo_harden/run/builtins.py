"""The built-in hardenings' ids, in the order they run: the one list a new built-in joins.

Each id names ``patches/<id>.yaml``. Kept apart from ``hardenings`` (which loads the patch
files) so ``--help`` can name them without reading YAML.
"""

from __future__ import annotations

BUILTIN = (
    "drop-net-bind-service",
    "disable-sa-token-automount",
    # before read-only-root-filesystem: it writes the envoyContainer of a GatewayParameters that
    # has none (omitDefaultSecurityContext: true alone), which read-only-root-filesystem then
    # finds and completes (the real kgateway 2.2.0 controller otherwise writes a writable root)
    "clear-default-capabilities",
    "read-only-root-filesystem",
    "disable-kubernetes-destinations",
    "add-kgateway-class-parameters",
)
