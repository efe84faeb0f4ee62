"""Where ``-o`` and ``--results`` write, without ever damaging what a path names.

A path is followed the way ``open`` would follow it, one symbolic link at a time, and what it
finally names decides how it is written:

- one of this process's own open descriptors (``/dev/stdout`` and ``/dev/stderr`` lead to
  ``/proc/self/fd/1`` and ``2``; ``/dev/fd/N``, ``/proc/<pid>/fd/N``): written into that
  descriptor, so a shell's ``>>`` appends and a pipe stays a pipe; ``fd == 1`` is stdout;
- a regular file, or nothing yet (a new path in an existing directory): written atomically, a
  temporary file in the same directory renamed over the path, with the mode the file had (a
  new file follows the umask). Behind a symbolic link it is the link's final target that is
  replaced, never the link;
- a character device (``/dev/null``, ``/dev/full``, a terminal), a FIFO, another process's
  descriptor under ``/proc``: opened and written into, never renamed over;
- a socket: connected to (a stream socket) and written into;
- anything else (a directory, a block device): refused.

Every ``OSError`` a path or a full disk can cause becomes a ``TransformerError``: one line
naming the path, exit 2 (``outputs.exits``).
"""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

import errno
import os
import stat
import sys
from collections.abc import Iterable
from typing import NamedTuple, TextIO

from gloo_harden.errors import TransformerError
from gloo_harden.patterns import lazy

#: ``/proc/self/fd/N`` (and ``thread-self``, ``<pid>``, ``<pid>/task/<tid>``) once its folder
#: is resolved: a descriptor of some process, reached through a magic link
_PROC_FD = lazy(r"/proc/(?:self|thread-self|(\d+))(?:/task/\d+)?/fd/(\d+)")
_LINKS = 40  # Linux's SYMLOOP_MAX: more links than this in one path is a loop


class Target(NamedTuple):
    """What a path names: ``kind`` is ``descriptor`` (``fd``), ``file`` (atomic, at ``path``),
    ``stream`` (a device, FIFO or /proc descriptor, opened) or ``socket``."""

    given: str
    kind: str
    path: str
    fd: int | None = None

    @property
    def is_stdout(self) -> bool:
        return self.kind == "descriptor" and self.fd == 1


def resolve(given: str) -> Target:
    """The target ``given`` names, or a ``TransformerError`` when it cannot take a stream.

    Raises before any work is done (``pipe`` calls it first), so that an unusable ``-o`` is
    the run's only line: a new file's folder is tried then (a file made and removed at once),
    so a folder the user cannot write is found before any work too. ``-`` is stdout."""
    if given == "-":
        return Target(given, "descriptor", given, 1)
    path = os.path.abspath(given)
    for _ in range(_LINKS):
        path = os.path.join(_real_folder(given, path), os.path.basename(path))
        found = _PROC_FD.fullmatch(path)
        if found is not None:
            pid, fd = found.groups()
            if pid is None or int(pid) == os.getpid():
                return Target(given, "descriptor", path, int(fd))
            return _by_kind(given, path)  # another process's descriptor: open it
        try:
            link = os.readlink(path)
        except OSError as exc:
            if exc.errno in (errno.EINVAL, errno.ENOENT):  # not a link, or nothing there yet
                return _by_kind(given, path)
            raise _unusable(given, exc) from None
        path = os.path.join(os.path.dirname(path), link)
    raise TransformerError(f"{given}: too many levels of symbolic links; expected a path "
                           "that leads to a file")


def write(target: Target, parts: Iterable[str], wait: bool = True) -> None:
    """Write ``parts`` (UTF-8, LF) to ``target`` as its kind asks; ``OSError`` → one line.

    ``wait=False`` (a run that is failing says why): a FIFO with no reader is not waited for
    (``ENXIO``, an ``OSError`` like any other)."""
    try:
        if target.kind == "descriptor":
            assert target.fd is not None
            _write_descriptor(target.fd, parts)
        elif target.kind == "stream":
            with _open_stream(target.path, wait) as out:
                out.writelines(parts)
        elif target.kind == "socket":
            _write_socket(target.path, parts)
        else:
            _write_atomically(target, parts)
    except TransformerError:
        raise
    except OSError as exc:
        raise cannot_write(target.given, exc) from None


def cannot_write(given: str, exc: OSError) -> TransformerError:
    """The one line for a write that failed: the path, the system's reason, what would do."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        expected = "room for the output on its file system"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        expected = "a path you can write to"
    else:
        expected = "a path that can take the output"
    return TransformerError(f"{given}: cannot write ({exc.strerror}); expected {expected}")


def _real_folder(given: str, path: str) -> str:
    folder = os.path.dirname(path)
    real = os.path.realpath(folder)
    if not os.path.isdir(real):
        raise TransformerError(f"{given}: directory {folder} does not exist; expected an "
                               "existing directory")
    return real


def _by_kind(given: str, path: str) -> Target:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:  # a new file
        _try_folder(given, os.path.dirname(path))
        return Target(given, "file", path)
    except OSError as exc:
        raise _unusable(given, exc) from None
    if stat.S_ISREG(mode):
        if path.startswith("/proc/"):
            return Target(given, "stream", path)
        _try_folder(given, os.path.dirname(path))
        return Target(given, "file", path)
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return Target(given, "stream", path)
    if stat.S_ISSOCK(mode):
        return Target(given, "socket", path)
    what = "a directory" if stat.S_ISDIR(mode) else \
        "a block device" if stat.S_ISBLK(mode) else "not a file"
    raise TransformerError(f"{given}: is {what}; expected a file, a character device, a FIFO "
                           "or a socket")


def _try_folder(given: str, folder: str) -> None:
    """Make and remove a file in ``folder``, as the atomic write will: permissions, a
    read-only mount or an immutable folder show now, before any work."""
    import tempfile

    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".gloo-harden-")
    except OSError as exc:
        raise cannot_create(given, folder, exc) from None
    os.close(handle)
    os.unlink(temporary)


def cannot_create(given: str, folder: str, exc: OSError) -> TransformerError:
    return TransformerError(f"{given}: cannot create a file in {folder} ({exc.strerror}); "
                            "expected a directory you can write to")


def _unusable(given: str, exc: OSError) -> TransformerError:
    return TransformerError(f"{given}: cannot be opened ({exc.strerror}); expected a path "
                            "gloo-harden can write to")


def _open_stream(path: str, wait: bool) -> TextIO:
    if wait:
        return open(path, "w", encoding="utf-8", newline="\n")
    import fcntl

    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)  # a FIFO without a reader: ENXIO
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    return open(fd, "w", encoding="utf-8", newline="\n")


def _write_descriptor(fd: int, parts: Iterable[str]) -> None:
    if fd == 1:
        for part in parts:
            sys.stdout.write(part)
        sys.stdout.flush()
        return
    if fd == 2:
        sys.stderr.flush()
    for part in parts:
        data = part.encode("utf-8")
        while data:
            data = data[os.write(fd, data):]


def _write_socket(path: str, parts: Iterable[str]) -> None:
    import socket  # only for a socket: its import costs every other run

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(path)
        for part in parts:
            connection.sendall(part.encode("utf-8"))
        connection.shutdown(socket.SHUT_WR)


def _write_atomically(target: Target, parts: Iterable[str]) -> None:
    """A temporary file in the target's directory, renamed over it.

    The file gets the mode the target has, else what the umask gives a new file (``mkstemp``
    alone would make every output 0600, unreadable to a later CI or container step running as
    another user).
    """
    import tempfile

    folder = os.path.dirname(target.path)
    mode = _mode_for(target.path)
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".gloo-harden-")
    except OSError as exc:
        raise cannot_create(target.given, folder, exc) from None
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.writelines(parts)
        os.replace(temporary, target.path)
    except BaseException:
        os.unlink(temporary)
        raise


def _mode_for(path: str) -> int:
    """The permission bits ``path`` has, or a new file's under the current umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0o022)  # read it: the only way is to set it, at once put back
        os.umask(umask)
        return 0o666 & ~umask
