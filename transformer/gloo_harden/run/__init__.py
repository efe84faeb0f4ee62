"""The run: one request through read → select → harden/patch → validate → write, pure.

- ``options``: every choice a run can be given (``Request``) and the one place that turns it
  into pipeline ``Options``;
- ``pipeline``: ``harden(sources, options)`` → ``Outcome`` (pieces to write, results);
- ``hardenings``: the registry of hardenings (patch files + scope + guards) and profiles;
  ``builtins``: the built-ins' ids in order; ``catalog``: the README tables, made from them;
- ``apply``: one hardening applied to its targets, with its guards and opt-outs;
- ``gateway_review``: the review of what a kgateway controller will merge at run time;
- ``invariants``: the promises checked on every run's output.

May import: ``patching``, ``guards``, ``scopes``, ``gloo``, ``resources``, ``yamltext`` and
``gloo_harden.errors`` (``tests/test_layering.py``).
"""
