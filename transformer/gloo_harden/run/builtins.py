"""The built-in hardenings' ids, in the order they run: the one list a new built-in joins.

Each id names ``patches/<id>.yaml``. Kept apart from ``hardenings`` (which loads the patch
files) so ``--help`` can name them without reading YAML.
"""

from __future__ import annotations

BUILTIN = (
    # first: the GatewayClass kgateway it adds (kgateway 2.0/2.1) is what the Gateways of the
    # stream are merged over, which no-class-level-capabilities must see before an empty
    # capabilities.add is written into their parameters; its own parameters are hardened as added
    "add-kgateway-class-parameters",
    "drop-net-bind-service",
    "disable-sa-token-automount",
    # before read-only-root-filesystem: it writes the envoyContainer of a GatewayParameters that
    # has none (omitDefaultSecurityContext: true alone), which read-only-root-filesystem then
    # finds and completes (the real kgateway 2.2.0 controller otherwise writes a writable root)
    "clear-default-capabilities",
    "read-only-root-filesystem",
    "disable-kubernetes-destinations",
)
