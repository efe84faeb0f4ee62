"""gloo-harden: harden rendered Gloo manifests without breaking the gateway.

The package is a pure pipeline (``run.pipeline.harden``) plus thin adapters in ``adapters/``
and the command line in ``cli``. Packages are layers a request passes through, each importing
only the ones below it (``tests/test_layering.py``; ``docs/architecture.md``), bottom first:

- ``errors`` (a module): the exceptions every layer may raise; ``patterns`` (a module):
  regular expressions compiled at their first use;
- ``yamltext``: reading and writing YAML text;
- ``resources``: the Kubernetes objects of the stream and the results about them;
- ``gloo``: what gloo-harden knows about Gloo, kgateway and the clients that render them;
- ``scopes``, ``guards``, ``patching``: where a hardening applies, whether it is safe, and how a
  patch is applied;
- ``run``: the options of a run and the pipeline;
- ``outputs``: reports, SARIF, diffs and exit handling;
- ``adapters``: pipe mode, KRM function and kustomize plugin;
- ``cli`` and ``__main__`` (modules): the entry.
"""

from __future__ import annotations

__version__ = "0.1.0"
