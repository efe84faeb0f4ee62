"""Adapters: how bytes come in and go out for each way of use; the core stays pure.

- ``krm``: a KRM function (kpt ``fn eval``/``fn render``, kustomize ``--enable-exec``):
  a ``config.kubernetes.io/v1`` ResourceList on stdin, a ResourceList on stdout.
- ``kustomize``: the legacy kustomize exec plugin (``--kustomize-plugin-config FILE``):
  plain multi-document YAML on stdin and stdout, the plugin config in a file.
- ``evidence``: the files and folders of ``--evidence`` read, for every adapter;
- ``pipe``: pipe mode, the harden command's work (files or stdin in; stdout, ``-o FILE``,
  ``--diff`` or ``--results FILE`` out); it hands a ResourceList or a plugin config to the
  two above (``dispatch``).
- ``emit``: ``gloo-harden emit KIND FILE…`` — the same run, then the form's artefact to
  ``-o PATH`` or stdout, or ``--check`` against the artefact already there.

All read their configuration (a ``GlooHardening`` object, a ``ConfigMap`` or flags) with
``options.resolve``, the one place flags and functionConfig become pipeline options.

May import: every layer below (``outputs``, ``run``, ``patching``, ``guards``, ``scopes``,
``gloo``, ``resources``, ``yamltext``, ``gloo_harden.errors``); only the entry (``cli``,
``__main__``) imports adapters (``tests/test_layering.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gloo_harden.run.options import Request


def dispatch(data: bytes, request: Request) -> int | None:
    """Run the adapter ``data`` (stdin) and the flags call for; None means plain stream mode.

    The flags give the defaults; the functionConfig (or plugin config file) overrides them
    (``options.resolve``). ``check`` (for a Kptfile validator) returns the items unchanged
    and exits 1 when anything would change.
    """
    if request.plugin_config is not None:
        from gloo_harden.adapters import kustomize

        return kustomize.main(data, request.plugin_config, request)
    from gloo_harden.adapters import krm

    if krm.is_resource_list(data):
        return krm.main(data, request)
    return None

