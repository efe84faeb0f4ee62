"""The ``gloo-harden`` script and ``python -m gloo_harden``: one entry point.

``--version`` alone is answered here, before click and the YAML libraries are imported: a
version probe (Helm plugin managers, CI logs) should cost no more than starting Python. The
text is click's ``version_option`` output, byte for byte. A command line of file names only
(or none: Helm, kpt and kustomize call it so) is run without click (``command.plain_files``);
every other one goes to ``cli.main`` unchanged.
"""

from __future__ import annotations

import sys
from typing import NoReturn


def main() -> NoReturn:
    if sys.argv[1:] == ["--version"]:
        from gloo_harden import __version__

        sys.stdout.write(f"gloo-harden, version {__version__}\n")
        sys.exit(0)
    args = sys.argv[1:]
    if not any(arg.startswith("-") and arg != "-" for arg in args):  # maybe only files
        from gloo_harden import command, exits

        files = command.plain_files(args)
        if files is not None:  # nothing for click to parse: every option at its default
            exits.run(lambda: command.harden(command.Request(files)))
    from gloo_harden.cli import main as cli_main

    cli_main()


if __name__ == "__main__":  # pragma: no cover - exercised through subprocess tests
    main()
