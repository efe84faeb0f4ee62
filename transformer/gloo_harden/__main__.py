"""The ``gloo-harden`` script and ``python -m gloo_harden``: one entry point.

``--version`` alone is answered here, before click and the YAML libraries are imported: a
version probe (Helm plugin managers, CI logs) should cost no more than starting Python. The
text is click's ``version_option`` output, byte for byte. A command line of file names only
(or none: Helm, kpt and kustomize call it so) is run without click (``plain_files``);
every other one goes to ``cli.main`` unchanged.

The cyclic garbage collector never runs: what a run makes is freed by reference counting
(the C reader's loaders, which refer to themselves, are emptied after each document;
``tests/test_cyclic_garbage.py`` holds that a run leaves no cyclic garbage that grows with its
documents), so a collection would find next to nothing and walk the whole growing stream to
find it (the 10,000-document proxy-dense stream: 6.7 → 5.6 s of CPU, same peak RSS). A plain
run ends with ``exits.leave``, without tearing down object by object (callgrind, the corpus
render ``gloo-1.22.1-istio-integration.yaml``: 326M -> 295M instructions, 10% of the run).
"""

from __future__ import annotations

import gc
import os
import sys
from typing import NoReturn

#: ``cli.SUBCOMMANDS`` by name, without importing click (a test keeps the two equal)
SUBCOMMANDS = ("list", "explain", "emit")


def main() -> NoReturn:
    gc.disable()
    if sys.argv[1:] == ["--version"]:
        from gloo_harden import __version__

        sys.stdout.write(f"gloo-harden, version {__version__}\n")
        sys.exit(0)
    files = plain_files(sys.argv[1:])
    if files is not None:  # nothing for click to parse: every option at its default
        from gloo_harden.adapters import pipe
        from gloo_harden.outputs import exits
        from gloo_harden.run.options import Request

        try:
            exits.run(lambda: pipe.harden(Request(files)))
        except SystemExit as done:
            exits.leave(done)
    from gloo_harden.cli import main as cli_main

    cli_main()


def plain_files(args: list[str]) -> tuple[str, ...] | None:
    """``args`` as the files of a run with every default, or None when click must parse them.

    Only names that are not options, subcommands or directories (click refuses those with its
    own message): what click would also take as FILES, unchanged.
    """
    if args[:1] and args[0] in SUBCOMMANDS:
        return None
    for arg in args:
        if arg != "-" and (arg.startswith("-") or os.path.isdir(arg)):
            return None
    return tuple(args)


if __name__ == "__main__":  # pragma: no cover - exercised through subprocess tests
    main()
