"""Outputs: what a run says and how the process ends.

- ``report``: results for people (lines, summaries, JSON) and the run's exit code;
- ``sarif``: results as SARIF 2.1.0;
- ``diffs``: ``--diff``, one unified diff per input file;
- ``evidence``: ``explain evidence`` and the README's evidence table, from the guards'
  ``KINDS_READ``;
- ``exits``: the one-line promise (a user's error exits 2 with one line, a bug exits 3);
- ``emit``: a run's decisions as artefacts other pipelines take (``gloo-harden emit KIND``):
  the decision record, the provenance stamp and one module per form.

May import: ``run`` and every layer below it (``tests/test_layering.py``).
"""
