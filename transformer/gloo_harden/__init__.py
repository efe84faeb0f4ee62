"""gloo-harden: harden rendered Gloo manifests without breaking the gateway.

The package is a pure pipeline (``pipeline.harden``) plus thin adapters in ``adapters/``
and the command line in ``cli``.
"""

from __future__ import annotations

__version__ = "0.1.0"
