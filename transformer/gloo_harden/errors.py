"""Exceptions for input the run cannot use.

Anything about one resource is a ``Result``, never an exception. These are raised only when
the whole run cannot go on; adapters map each type to an exit code in one place.
Messages follow ``<where>: <what is wrong>; <what is expected>``.
"""

from __future__ import annotations


class TransformerError(Exception):
    """Base of every error gloo-harden reports to a user."""

    exit_code = 2


class InputError(TransformerError):
    """The manifest stream cannot be read or parsed."""


class ConfigError(TransformerError):
    """Options, functionConfig or a hardening id are wrong."""


class PatchError(TransformerError):
    """A patch file is invalid or cannot be applied."""


class InvariantError(TransformerError):
    """gloo-harden broke one of its own promises: a bug, never the user's fault."""

    exit_code = 3

    def __init__(self, message: str) -> None:
        super().__init__(
            f"internal error: {message}; please report it at "
            "https://github.com/gloo-harden/gloo-harden/issues with the input that caused it"
        )
