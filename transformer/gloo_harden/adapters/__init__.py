"""Adapters: how bytes come in and go out for each way of use; the core stays pure.

- ``krm``: a KRM function (kpt ``fn eval``/``fn render``, kustomize ``--enable-exec``):
  a ``config.kubernetes.io/v1`` ResourceList on stdin, a ResourceList on stdout.
- ``kustomize``: the legacy kustomize exec plugin (``--kustomize-plugin-config FILE``):
  plain multi-document YAML on stdin and stdout, the plugin config in a file.
- ``fnconfig``: the configuration both read, a ``GlooHardening`` object or a ``ConfigMap``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gloo_harden.pipeline import Options


def dispatch(data: bytes, plugin_config: str | None, base: Options, enable: tuple[str, ...],
             disable: tuple[str, ...], strict: bool, sidecars: bool,
             check: bool = False) -> int | None:
    """Run the adapter ``data`` (stdin) and the flags call for; None means plain stream mode.

    ``base`` and the flags give the defaults; the functionConfig (or plugin config file)
    overrides them. ``check`` (for a Kptfile validator) returns the items unchanged and
    exits 1 when anything would change.
    """
    from gloo_harden.adapters import fnconfig, krm

    defaults = fnconfig.Settings(enable, disable, strict, sidecars)
    if plugin_config is not None:
        from gloo_harden.adapters import kustomize

        return kustomize.main(data, plugin_config, defaults, base)
    if krm.is_resource_list(data):
        return krm.main(data, defaults, base, check)
    return None
