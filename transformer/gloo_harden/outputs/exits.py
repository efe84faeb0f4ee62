"""The one-line promise of every command line: a user's error exits 2 with one line, a bug
exits 3 with its traceback kept in a file, and nothing is ever half written to stdout.

Kept free of heavy imports: ``--help`` and ``--version`` go through here too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import NoReturn

from gloo_harden.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_UNUSABLE, InvariantError, TransformerError


def run(work: Callable[[], object]) -> NoReturn:
    """Run ``work`` under the promise above; exit 0 when it returns."""
    try:
        work()
    except TransformerError as exc:
        fail(str(exc), exc.exit_code)
    except BrokenPipeError:
        quiet_broken_pipe()
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERRUPTED)
    except SystemExit:
        raise
    except Exception as exc:  # a bug: still one line and no partial output
        _crash(exc)
    sys.exit(EXIT_OK)


def fail(message: str, code: int) -> NoReturn:
    sys.stderr.write(f"gloo-harden: {message}\n")
    sys.stderr.flush()
    sys.exit(code)


def quiet_broken_pipe() -> NoReturn:
    """The reader went away (``| head``): nothing more to say, and nothing to flush."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    fail("stdout closed before the output was written", EXIT_UNUSABLE)


def _crash(exc: Exception) -> NoReturn:
    """Keep the traceback for the bug report in a file, not on the user's terminal."""
    import tempfile
    import traceback

    handle, path = tempfile.mkstemp(prefix="gloo-harden-crash-", suffix=".txt")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write("".join(traceback.format_exception(exc)))
    message = str(InvariantError(f"{type(exc).__name__}: {exc} (traceback in {path})"))
    fail(message, InvariantError.exit_code)
