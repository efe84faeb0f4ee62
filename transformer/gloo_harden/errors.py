"""Exceptions for input the run cannot use.

Anything about one resource is a ``Result``, never an exception. These are raised only when
the whole run cannot go on. Messages follow ``<where>: <what is wrong>; <what is expected>``.

The exit codes of every command line and adapter are defined here, once: each error type
carries its own (``exit_code``), and ``outputs.report.exit_code`` gives a finished run's.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_REFUSED = 1  # a guard refused under --strict, or --check found work to do
EXIT_UNUSABLE = 2  # input, config or arguments we cannot use
EXIT_INTERNAL = 3  # an invariant broke: a bug
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C


class TransformerError(Exception):
    """Base of every error gloo-harden reports to a user."""

    exit_code = EXIT_UNUSABLE


class InputError(TransformerError):
    """The manifest stream cannot be read or parsed."""


class ConfigError(TransformerError):
    """Options, functionConfig or a hardening id are wrong."""


class PatchError(TransformerError):
    """A patch file is invalid or cannot be applied."""


class InvariantError(TransformerError):
    """gloo-harden broke one of its own promises: a bug, never the user's fault."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(
            f"internal error: {message}; please report it to gloo-harden's maintainers "
            "with the input that caused it"
        )
