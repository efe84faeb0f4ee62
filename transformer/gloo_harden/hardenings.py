"""The built-in hardenings: patch files in ``patches/``, applied in the order listed here.

Adding one is a patch file plus its golden tests, and one line below.
"""

from __future__ import annotations

import functools
from pathlib import Path

from gloo_harden.errors import ConfigError
from gloo_harden.guards import GUARDS
from gloo_harden.patching import hardening
from gloo_harden.patching.hardening import Hardening
from gloo_harden.scopes import SCOPES

BUILTIN = (
    "drop-net-bind-service",
    "disable-sa-token-automount",
    "read-only-root-filesystem",
    "disable-kubernetes-destinations",
)


def patches_dir() -> Path:
    """Where the built-in patch files are: inside the installed wheel, else the source tree."""
    packaged = Path(__file__).parent / "_patches"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "patches"


@functools.lru_cache(maxsize=1)
def builtin() -> tuple[Hardening, ...]:
    folder = patches_dir()
    return tuple(hardening.load(folder / f"{hid}.yaml", set(SCOPES), set(GUARDS)) for hid in BUILTIN)


def select(enable: tuple[str, ...], disable: tuple[str, ...]) -> tuple[Hardening, ...]:
    """The hardenings to run: all built-ins, or only ``enable``, minus ``disable``."""
    for hid in enable + disable:
        if hid not in BUILTIN:
            raise ConfigError(f"hardening \"{hid}\": unknown id; expected one of "
                              + ", ".join(sorted(BUILTIN)))
    chosen = [h for h in builtin() if (not enable or h.id in enable) and h.id not in disable]
    return tuple(chosen)
