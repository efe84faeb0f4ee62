"""The ``gloo-harden`` script and ``python -m gloo_harden``: one entry point.

``--version`` alone is answered here, before click and the YAML libraries are imported: a
version probe (Helm plugin managers, CI logs) should cost no more than starting Python. The
text is click's ``version_option`` output, byte for byte; every other command line goes to
``cli.main`` unchanged.
"""

from __future__ import annotations

import sys
from typing import NoReturn


def main() -> NoReturn:
    if sys.argv[1:] == ["--version"]:
        from gloo_harden import __version__

        sys.stdout.write(f"gloo-harden, version {__version__}\n")
        sys.exit(0)
    from gloo_harden.cli import main as cli_main

    cli_main()


if __name__ == "__main__":  # pragma: no cover - exercised through subprocess tests
    main()
