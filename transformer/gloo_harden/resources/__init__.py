"""Resources: the Kubernetes objects of the stream and what a run says about each of them.

- ``model``: ``Resource``, one object (a document's root mapping or a ``kind: List`` item) with
  its place in the stream and its opt-out annotation;
- ``podspec``: where a workload kind keeps its pod spec;
- ``results``: ``Result``, the per-resource outcome (severity, resource, field, message).

May import: ``yamltext`` and ``gloo_harden.errors`` (``tests/test_layering.py``).
"""
