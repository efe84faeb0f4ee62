"""Reading and writing YAML text: the bottom layer, which knows bytes and YAML, not Kubernetes.

- ``stream``: splitting input bytes into documents and joining them back (``Document``, ``Piece``);
- ``yamlio``: the one YAML factory (ruamel round-trip and C readers), plain copies, field paths;
- ``limited_yaml`` and ``limits``: the bounds a run enforces on input (bytes, documents, depth,
  aliases) while it is read;
- ``textedit``: changes written into the original text, so untouched bytes stay;
- ``fidelity``: the check that they did;
- ``aliases``: anchors, aliases and merge keys, and giving a target its own copy of a shared node.

May import: ``gloo_harden.errors`` and the ``gloo_harden`` package itself, nothing else of
gloo-harden (``tests/test_layering.py``).
"""
