"""The one-line promise of every command line: a user's error exits 2 with one line, a bug
exits 3 with its traceback kept in a file, and nothing is ever half written to stdout.

Kept free of heavy imports: ``--help`` and ``--version`` go through here too.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from gloo_harden.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_UNUSABLE, InvariantError, TransformerError

#: called once with (message, exit code) when a run fails: ``--results FILE`` then still
#: describes this run (``adapters.pipe.ResultsFile``)
_on_failure: list[Callable[[str, int], None]] = []


def run(work: Callable[[], object]) -> NoReturn:
    """Run ``work`` under the promise above; exit 0 when it returns.

    Exit 2 is a condition the user can change: arguments, input, and every ``OSError`` (a
    file, a folder, a device or a disk that cannot be used; the I/O edges name the path and
    what would do, this is the last word for one they did not expect). Exit 130 is Ctrl-C.
    Exit 3 is left to our bugs alone.
    """
    try:
        work()
    except TransformerError as exc:
        fail(str(exc), exc.exit_code)
    except BrokenPipeError:
        quiet_broken_pipe()
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERRUPTED)
    except OSError as exc:
        fail(_os_error(exc), EXIT_UNUSABLE)
    except SystemExit:
        raise
    except Exception as exc:  # a bug: still one line and no partial output
        _crash(exc)
    sys.exit(EXIT_OK)


def leave(done: SystemExit) -> NoReturn:
    """End the process as ``done`` would, without the interpreter's teardown: the atexit
    callbacks run and stdout and stderr are flushed, then the process exits with ``done``'s
    code at once. What a run leaves (modules, documents, results) is not freed object by
    object: that teardown and its last full collection were 7% of a small render's
    instructions. Anything unusual (a code that is not a number, a flush that fails) ends
    the way ``done`` always did."""
    code = done.code if done.code is not None else EXIT_OK
    if not isinstance(code, int):
        raise done
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - the interpreter's own exit says what went wrong
        raise done from None
    os._exit(code)


def on_failure(callback: Callable[[str, int], None]) -> None:
    """Call ``callback(message, code)`` if this run fails (once, before the line is printed);
    what it raises is ignored: the failure itself is what the user must see."""
    _on_failure.append(callback)


def fail(message: str, code: int) -> NoReturn:
    while _on_failure:
        callback = _on_failure.pop()
        # best effort ("whenever it can be written"): a second Ctrl-C stops it, and the run
        # still ends as it must
        with contextlib.suppress(Exception, KeyboardInterrupt):
            callback(message, code)
    try:
        sys.stderr.write(f"gloo-harden: {message}\n")
        sys.stderr.flush()
    except OSError:  # stderr itself is a full disk: the exit code is all that is left to say
        pass
    sys.exit(code)


def quiet_broken_pipe() -> NoReturn:
    """The reader went away (``| head``): nothing more to say, and nothing to flush."""
    _drop_stdout()
    fail("stdout closed before the output was written", EXIT_UNUSABLE)


def stdout_failed(exc: OSError) -> NoReturn:
    """stdout cannot take the output (a full disk behind ``> file``, ``> /dev/full``): one
    line, exit 2, and nothing left buffered to fail again at exit."""
    if isinstance(exc, BrokenPipeError):
        quiet_broken_pipe()
    _drop_stdout()
    fail(f"stdout: cannot write ({exc.strerror}); expected room for the output where stdout "
         "leads", EXIT_UNUSABLE)


def _drop_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _os_error(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else "gloo-harden"
    return (f"{where}: {exc.strerror or exc}; expected the files, folders and devices of this "
            "run to be usable")


def _crash(exc: Exception) -> NoReturn:
    """Keep the traceback for the bug report in a file, not on the user's terminal."""
    import tempfile
    import traceback

    try:
        handle, path = tempfile.mkstemp(prefix="gloo-harden-crash-", suffix=".txt")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write("".join(traceback.format_exception(exc)))
        kept = f"traceback in {path}"
    except OSError as error:  # no temporary folder to write to: the line still says what broke
        kept = f"traceback not kept: {error.strerror}"
    message = str(InvariantError(f"{type(exc).__name__}: {exc} ({kept})"))
    fail(message, InvariantError.exit_code)
