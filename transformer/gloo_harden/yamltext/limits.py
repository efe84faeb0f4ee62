"""Resource limits: how much input one run accepts before it refuses, and how that is enforced.

A post-renderer sits in front of every install, so hostile or broken input must cost bounded
memory and time and end in one clear line. Four limits, each with a flag to raise it:

* ``max_input_bytes``: all inputs together. Adapters read in chunks and stop at the limit, so a
  1 GB line is never held in memory (``read_limited``).
* ``max_documents``: documents after splitting.
* ``max_depth``: nesting of mappings and sequences in a *parsed* document. ruamel's composer,
  constructor and representer, and our own tree walks, recurse once or more per level; a
  limit well below Python's recursion limit keeps every one of them safe.
* ``max_aliases``: YAML alias expansions in a parsed document, counted the way a consumer that
  follows aliases (``to_plain``, JSON, kubectl) would meet them, nested ones included. This is
  what stops "billion laughs": nine aliases of nine aliases are few in the text and 9⁹ when
  expanded. Counted in linear time while composing, before anything is expanded.

Documents no scope or guard needs are copied through as bytes and never parsed, so only the
first two limits (and the byte checks in ``stream.decode``) apply to them; they cost linear time
whatever they hold. The active limits are a context variable so the one YAML factory can read
them without every caller passing them down.
"""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

import contextlib
import contextvars
from collections.abc import Iterator
from typing import IO, NamedTuple

from gloo_harden.errors import InputError
from gloo_harden.patterns import lazy

_UNITS = {"": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3,
          "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}
_SIZE = lazy(r"^\s*([0-9]+)\s*([a-zA-Z]*)\s*$")
_CHUNK = 1 << 20


class Limits(NamedTuple):
    """Upper bounds for one run; the defaults are far above any real Gloo render."""

    max_input_bytes: int = 256 * 1024**2
    max_documents: int = 100_000
    max_aliases: int = 1_000
    max_depth: int = 200


DEFAULT = Limits()
_ACTIVE: contextvars.ContextVar[Limits] = contextvars.ContextVar("gloo_harden_limits",
                                                                 default=DEFAULT)


class LimitExceeded(InputError):
    """Input larger than a limit allows; the message names the flag that raises it."""


def active() -> Limits:
    return _ACTIVE.get()


def activate(limits: Limits) -> Limits:
    """Make ``limits`` the active ones from now on (an adapter, once per process)."""
    _ACTIVE.set(limits)
    return limits


@contextlib.contextmanager
def using(limits: Limits) -> Iterator[Limits]:
    """Make ``limits`` the active ones for the duration of a run."""
    token = _ACTIVE.set(limits)
    try:
        yield limits
    finally:
        _ACTIVE.reset(token)


def parse_size(text: str) -> int:
    """``"256MiB"`` → 268435456; plain digits are bytes. Raises ValueError on anything else."""
    match = _SIZE.match(text)
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(f'"{text}" is not a size; expected bytes such as 1000000, 64MiB or 1GB')
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def read_limited(stream: IO[bytes], name: str, budget: int) -> bytes:
    """Read ``stream`` in chunks, refusing as soon as more than ``budget`` bytes arrive."""
    chunks: list[bytes] = []
    total = 0
    # A terminal's end of input (Ctrl-D) is not sticky: the buffered read returns short once,
    # and reading again would wait for a second Ctrl-D.
    terminal = stream.isatty()
    while True:
        asked = min(_CHUNK, budget - total + 1)
        chunk = stream.read(asked)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > budget:
            raise too_large(name)
        chunks.append(chunk)
        if terminal and len(chunk) < asked:
            return b"".join(chunks)


def too_large(name: str) -> LimitExceeded:
    limit = active().max_input_bytes
    return LimitExceeded(f"{name}: input exceeds {limit} bytes; expected at most {limit} bytes "
                         "in all inputs together (raise it with --max-input-bytes)")


def check_documents(count: int, where: str) -> None:
    limit = active().max_documents
    if count > limit:
        raise LimitExceeded(f"{where}: more than {limit} documents; expected at most {limit} "
                            "(raise it with --max-documents)")
