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
from typing import Any

from gloo_harden.adapters.evidence import with_evidence
from gloo_harden.errors import ConfigError
from gloo_harden.outputs import report
from gloo_harden.run import pipeline
from gloo_harden.run.options import ConfigProblems, Request, resolve
from gloo_harden.yamltext import yamlio


def main(data: bytes, config_file: str, request: Request) -> int:
    """Harden the stream in ``data`` as ``request`` (the flags) and ``config_file`` say;
    return the exit code. With ``check`` the stream comes back unchanged and the exit code is
    1 when anything would change."""
    try:
        request, options = resolve(request, read_config(config_file))
    except ConfigProblems as exc:
        raise ConfigError(f"{config_file}: {exc}") from None
    options = with_evidence(request, options)
    outcome = pipeline.harden([pipeline.Source("stdin", data)], options)
    for line in report.text(outcome.results, quiet=True):
        print(line, file=sys.stderr)
    print(report.summary(outcome.results, len(outcome.changed)), file=sys.stderr)
    sys.stdout.write(data.decode("utf-8") if request.check else outcome.text)
    sys.stdout.flush()
    return report.exit_code(outcome.results, len(outcome.changed), request.check)


def read_config(config_file: str) -> Any:
    """The config object in ``config_file`` (a GlooHardening or ConfigMap, checked by
    ``options.resolve``)."""
    try:
        text = Path(config_file).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{config_file}: cannot read ({exc.strerror}); expected the plugin "
                          "config file kustomize passes as the first argument") from None
    return yamlio.load(text, config_file)
