"""The legacy kustomize exec plugin: ``gloo-harden --kustomize-plugin-config FILE``.

kustomize (also the one in ``kubectl kustomize --enable-alpha-plugins``) runs the plugin
executable with the plugin's own config object in a temporary file as argv[1] and the current
resources on stdin as plain multi-document YAML, each carrying a ``kustomize.config.k8s.io/id``
annotation it uses to match the output back. The stream pipeline keeps every annotation, so
this adapter only reads the config. kustomize shows stderr only when the plugin fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gloo_harden import pipeline, report, yamlio
from gloo_harden.adapters import fnconfig
from gloo_harden.adapters.fnconfig import Settings
from gloo_harden.errors import ConfigError
from gloo_harden.pipeline import Options


def main(data: bytes, config_file: str, defaults: Settings, base: Options) -> int:
    """Harden the stream in ``data`` as configured by ``config_file``; return the exit code."""
    settings = read_config(config_file, defaults)
    options = fnconfig.options(settings, base)
    outcome = pipeline.harden([pipeline.Source("stdin", data)], options)
    for line in report.text(outcome.results, quiet=True):
        print(line, file=sys.stderr)
    print(report.summary(outcome.results, len(outcome.changed)), file=sys.stderr)
    sys.stdout.write(outcome.text)
    sys.stdout.flush()
    return report.exit_code(outcome.results, len(outcome.changed), False)


def read_config(config_file: str, defaults: Settings) -> Settings:
    """The settings in ``config_file`` (a GlooHardening or ConfigMap object)."""
    try:
        text = Path(config_file).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{config_file}: cannot read ({exc.strerror}); expected the plugin "
                          "config file kustomize passes as the first argument") from None
    settings, problems = fnconfig.parse(yamlio.load(text, config_file), defaults)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(f"{config_file}: {problems[0]}{more}")
    return settings
