"""The built-in hardenings' ids, in the order they run: the one list a new built-in joins.

Each id names ``patches/<id>.yaml``. Kept apart from ``hardenings`` (which loads the patch
files) so ``--help`` can name them without reading YAML.
"""

from __future__ import annotations

BUILTIN = (
    "drop-net-bind-service",
    "disable-sa-token-automount",
    "read-only-root-filesystem",
    "disable-kubernetes-destinations",
    "clear-default-capabilities",
    "add-kgateway-class-parameters",
)
