"""The hardenings: built-ins (``patches/``, in the order listed here), opt-in profiles
(``patches/profiles/<name>/``) and users' patch folders (``--patches DIR``).

Adding a built-in is a patch file plus its golden tests, and one line in ``builtins.BUILTIN``
(CONTRIBUTING.md has the checklist). A run applies the built-ins, then the profiles' patches,
then the users', each folder in file-name order.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gloo_harden.errors import ConfigError, PatchError
from gloo_harden.guards import GUARDS
from gloo_harden.patching import hardening
from gloo_harden.patching.hardening import Hardening
from gloo_harden.run.builtins import BUILTIN
from gloo_harden.scopes import SCOPES

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["BUILTIN", "builtin", "profile", "profiles", "user_patches", "find", "known_ids"]


def patches_dir() -> Path:
    """Where the built-in patch files are: inside the installed wheel, else the source tree."""
    from pathlib import Path

    return Path(_builtin_dir())


def _builtin_dir() -> str:
    # os.path, not pathlib: every run loads the built-ins, and pathlib costs 5 ms to import
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # gloo_harden/
    packaged = os.path.join(here, "_patches")
    if os.path.isdir(packaged):
        return packaged
    return os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(here))), "patches")


@functools.lru_cache(maxsize=1)
def builtin() -> tuple[Hardening, ...]:
    folder = _builtin_dir()
    # a built-in's review: topics are gateway_review.TOPICS (tests/run/test_gateway_review.py)
    return tuple(hardening.load(os.path.join(folder, f"{hid}.yaml"), set(SCOPES), set(GUARDS))
                 for hid in BUILTIN)


def chosen_patches(items: tuple[Hardening, ...], enable: tuple[str, ...],
                   disable: tuple[str, ...]) -> tuple[Hardening, ...]:
    """``items`` that are enabled (all, when ``enable`` is empty) and not disabled."""
    return tuple(h for h in items if (not enable or h.id in enable) and h.id not in disable)


def profiles_dir() -> Path:
    return patches_dir() / "profiles"


def profiles() -> tuple[str, ...]:
    """The names of the opt-in profiles, sorted."""
    folder = profiles_dir()
    return tuple(sorted(p.name for p in folder.iterdir() if p.is_dir())) if folder.is_dir() else ()


@functools.lru_cache(maxsize=8)
def profile(name: str) -> tuple[Hardening, ...]:
    """The patches of one profile, in file-name order."""
    if name not in profiles():
        raise ConfigError(f"profile \"{name}\": unknown profile; expected one of "
                          + ", ".join(profiles()))
    return _load_folder(profiles_dir() / name, hardening.PROFILE)


def user_patches(folders: Sequence[str] = (), profile_names: Sequence[str] = (),
                 documents: Sequence[tuple[str, Any]] = ()) -> tuple[Hardening, ...]:
    """Profiles' patches, then every ``*.yaml`` of each folder, then inline documents (KRM).

    Every file is validated before anything is applied; ids must be unique, also against the
    built-ins.
    """
    loaded: list[Hardening] = [h for name in profile_names for h in profile(name)]
    for folder in folders:
        from pathlib import Path

        path = Path(folder)
        if not path.is_dir():
            raise PatchError(f"--patches {folder}: not a directory; expected a folder of "
                             "Hardening *.yaml files")
        loaded += _load_folder(path, hardening.USER)
    loaded += [hardening.parse(data, where, set(SCOPES), set(GUARDS), hardening.USER)
               for where, data in documents]
    _check_unique(loaded)
    return tuple(loaded)


def _load_folder(folder: Path, origin: str) -> tuple[Hardening, ...]:
    try:
        files = sorted(p for p in folder.iterdir() if p.suffix == ".yaml" and p.is_file())
    except OSError as exc:
        raise PatchError(f"{folder}: cannot list ({exc.strerror}); expected a readable folder "
                         "of Hardening *.yaml files") from None
    return tuple(hardening.load(p, set(SCOPES), set(GUARDS), origin) for p in files)


def _check_unique(loaded: list[Hardening]) -> None:
    seen = {h.id: h.source for h in builtin()}
    for item in loaded:
        if item.id in seen:
            raise PatchError(f"{item.source}: metadata.name \"{item.id}\" is already used by "
                             f"{seen[item.id]}; expected a unique id")
        seen[item.id] = item.source


def known_ids() -> tuple[str, ...]:
    """Ids valid in ``enable``/``disable`` without loading user folders: built-ins, profiles."""
    return BUILTIN + tuple(h.id for name in profiles() for h in profile(name))


def find(hid: str, folders: Sequence[str] = ()) -> Hardening:
    """A built-in hardening, a profile's patch or a patch of the ``--patches`` ``folders``, by
    id."""
    known = {h.id: h for h in builtin()}
    known.update({h.id: h for name in profiles() for h in profile(name)})
    known.update({h.id: h for h in user_patches(folders)} if folders else {})
    if hid not in known:
        raise ConfigError(f"hardening \"{hid}\": unknown id; expected one of "
                          + ", ".join(sorted(known) + [f"{p} (a profile)" for p in profiles()]))
    return known[hid]


def describe_profile(name: str) -> str:
    """What ``explain <profile>`` prints: the profile's README line and its patches."""
    readme = profiles_dir() / name / "README.md"
    text = readme.read_text(encoding="utf-8").strip() if readme.is_file() else f"profile {name}"
    lines = [text, "", f"patches (applied in this order with --profile {name}):"]
    lines += [f"  {h.id:38} {h.summary}" for h in profile(name)]
    return "\n".join(lines)
