"""Patch engines: Kubernetes strategic merge and JSON6902, both applied to round-trip trees.

- ``hardening``: a patch file read into ``Hardening`` s (built-in, profile or user);
- ``strategic``, ``smp_lists``, ``schema``: Kubernetes strategic merge patch;
- ``json6902``: JSON patch; ``values``: the values a patch may set;
- ``targets``: which scope's targets a patch applies to; ``body``: applying one patch body;
- ``trial``: the trial every application runs under (errors naming their file), unmatched user
  patches, and user patches that undo a built-in.

May import: ``guards``, ``scopes``, ``gloo``, ``resources``, ``yamltext`` and
``gloo_harden.errors`` (``tests/test_layering.py``).
"""
