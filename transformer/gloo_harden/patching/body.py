"""A hardening's body applied to one node, and the leaf-level differences it makes.

Shared by the run (``apply``) and by the check for user patches that undo a built-in
(``patching/trial``), so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gloo_harden.patching import json6902, strategic
from gloo_harden.patching.hardening import Hardening
from gloo_harden.resources.model import child_path


def patch(item: Hardening, node: Any, type_name: str | None,
          where: str) -> strategic.MergeReport:
    """Apply the body of ``item`` to ``node`` in place; the report says what it did not find."""
    report = strategic.MergeReport()
    if item.strategic is not None:
        strategic.merge(node, item.strategic, type_name, path=where,
                        create_missing=item.create_missing, report=report)
    elif item.json6902 is not None:
        json6902.apply(node, item.json6902, where)
    return report


_ABSENT = object()


def diff(old: Any, new: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """Leaf-level differences between two plain trees, as (path, old, new)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            yield from diff(old.get(key, _ABSENT), new.get(key, _ABSENT), child_path(path, key))
    elif old != new:
        yield path, None if old is _ABSENT else old, None if new is _ABSENT else new
