"""Copying patch values into a round-trip tree, the way kubectl's strategic merge does.

Split from ``strategic`` so that module stays about merging; ``json6902`` uses ``fresh`` too.
"""

from __future__ import annotations

import copy
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from gloo_harden.yamltext.yamlio import quote_if_ambiguous

PATCH = "$patch"
DELETE_FROM = "$deleteFromPrimitiveList/"


def carries_patch(value: Any) -> bool:
    return isinstance(value, dict) and PATCH in value


def absent_copy(value: Any, drop_nulls: bool) -> Any:
    """A value for a key the original lacks: as given, minus nulls and ``$patch`` maps (kubectl).

    Unlike kubectl we also drop ``$deleteFromPrimitiveList`` keys, and maps left empty by that
    alone: deleting from a list that does not exist changes nothing.
    """
    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            if (item is None and drop_nulls) or carries_patch(item) \
                    or str(key).startswith(DELETE_FROM):
                continue
            copied = absent_copy(item, drop_nulls)
            if not (isinstance(item, dict) and item and not copied and only_deletions(item)):
                out[key] = copied
        return out
    if isinstance(value, list):
        return as_seq(None, [absent_copy(v, drop_nulls) for v in value if not carries_patch(v)])
    return fresh(value)


def only_deletions(value: Any) -> bool:
    """A map made of ``$deleteFromPrimitiveList`` directives only (at any depth)."""
    return isinstance(value, dict) and bool(value) and all(
        str(k).startswith(DELETE_FROM) or only_deletions(v) for k, v in value.items())


def as_seq(like: Any, items: list[Any]) -> Any:
    """``items`` in the sequence ``like`` (kept, so its comments and style survive) or a new one."""
    if isinstance(like, CommentedSeq):
        if list(like) != items or any(a is not b for a, b in zip(like, items, strict=True)):
            like[:] = items
        return like
    seq = CommentedSeq()
    seq.extend(items)
    return seq


def fresh(value: Any) -> Any:
    """A private copy of a patch value, with strings YAML 1.1 would misread quoted.

    ``$deleteFromPrimitiveList`` keys, and maps made of nothing else, are left out: kubectl
    would write them into the object literally (difference (b) in the module docstring).
    """
    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            if not str(key).startswith(DELETE_FROM) and not only_deletions(item):
                out[key] = fresh(item)
        return out
    if isinstance(value, list):
        seq = CommentedSeq()
        seq.extend(fresh(v) for v in value)
        return seq
    return quote_if_ambiguous(copy.copy(value))
