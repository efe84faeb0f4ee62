"""Kubernetes strategic merge patch on round-trip trees, after apimachinery's ``strategicpatch``.

Supported: recursive map merge, ``null`` to delete a key, ``$patch: replace|delete|merge`` on maps
and list elements, ``$deleteFromPrimitiveList/<field>``, ``$retainKeys``,
``$setElementOrder/<field>``, lists merged by their merge key (see ``schema``) and primitive lists
with ``patchStrategy: merge``. Every other list is replaced.

Differences on purpose: ``$deleteFromPrimitiveList`` works on every primitive list (kubectl
honours it only on lists with ``patchStrategy: merge`` and otherwise writes the directive into
the object as a literal key, e.g. under ``capabilities``, which the API server then rejects); and
a patch element whose merge key names no existing element is not
created silently (that is how a typo in a container name becomes a new, broken container). It is
reported through ``MergeReport.missing`` unless ``create_missing`` is set.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from gloo_harden.errors import PatchError
from gloo_harden.model import child_path
from gloo_harden.patching.schema import field_info
from gloo_harden.yamlio import quote_if_ambiguous

PATCH = "$patch"
RETAIN_KEYS = "$retainKeys"
DELETE_FROM = "$deleteFromPrimitiveList/"
SET_ORDER = "$setElementOrder/"


@dataclass
class MergeReport:
    """What a merge could not do on its own: list elements the patch named but did not find."""

    missing: list[str] = field(default_factory=list)


def merge(
    original: Any,
    patch: Any,
    type_name: str | None,
    *,
    path: str = "",
    create_missing: bool = False,
    report: MergeReport | None = None,
) -> None:
    """Merge ``patch`` into the mapping ``original`` in place."""
    if not isinstance(patch, dict) or not isinstance(original, dict):
        raise PatchError(f"{path or '<root>'}: a strategic merge patch must be a mapping")
    _Merger(create_missing, report or MergeReport()).map(original, patch, type_name, path)


@dataclass
class _Merger:
    create_missing: bool
    report: MergeReport

    def map(self, original: Any, patch: Any, type_name: str | None, path: str) -> None:
        directive = patch.get(PATCH)
        if directive not in (None, "merge", "replace", "delete"):
            raise PatchError(f"{path or '<root>'}.$patch: unknown directive \"{directive}\"; "
                             "expected one of delete, merge, replace")
        if directive == "replace":
            original.clear()
            for key, value in patch.items():
                if key != PATCH:
                    original[key] = _fresh(value)
            return
        if RETAIN_KEYS in patch:
            keep = set(map(str, patch[RETAIN_KEYS] or []))
            for key in [k for k in original if k not in keep]:
                del original[key]
        orders: dict[str, Any] = {}
        for key, value in patch.items():
            key = str(key)
            if key in (PATCH, RETAIN_KEYS):
                continue
            if key.startswith(DELETE_FROM):
                self.delete_from_list(original, key[len(DELETE_FROM):], value, path)
            elif key.startswith(SET_ORDER):
                orders[key[len(SET_ORDER):]] = value
            else:
                self.field(original, key, value, type_name, path)
        for key, order in orders.items():
            _reorder(original.get(key), order, field_info(type_name, key).merge_key)

    def field(self, original: Any, key: str, value: Any, type_name: str | None, path: str) -> None:
        here = child_path(path, key)
        info = field_info(type_name, key)
        if value is None:
            original.pop(key, None)
        elif isinstance(value, dict) and value.get(PATCH) == "delete":
            original.pop(key, None)
        elif isinstance(value, dict) and isinstance(original.get(key), dict):
            self.map(original[key], value, info.type, here)
        elif isinstance(value, dict):
            fresh = CommentedMap()
            self.map(fresh, value, info.type, here)
            if fresh or not all(str(k).startswith("$") for k in value):
                original[key] = fresh  # a patch of directives alone creates nothing
        elif isinstance(value, list) and isinstance(original.get(key), list) and info.strategy == "merge":
            self.list(original[key], value, info.type, info.merge_key, here)
        else:
            original[key] = _fresh(_strip_directives(value))

    def list(self, original: Any, patch: list[Any], type_name: str | None,
             merge_key: str | None, path: str) -> None:
        if any(isinstance(v, dict) and v.get(PATCH) == "replace" for v in patch):
            original[:] = [_fresh(_strip_directives(v)) for v in patch
                           if not (isinstance(v, dict) and v.get(PATCH) == "replace")]
            return
        if merge_key is None:  # a primitive list merged as a set
            for value in patch:
                if value not in original:
                    original.append(_fresh(value))
            return
        for element in patch:
            if not isinstance(element, dict) or merge_key not in element:
                raise PatchError(f"{path}: every element needs its merge key \"{merge_key}\"")
            wanted = element[merge_key]
            matches = [i for i, item in enumerate(original)
                       if isinstance(item, dict) and item.get(merge_key) == wanted]
            if element.get(PATCH) == "delete":
                for i in reversed(matches):
                    del original[i]
            elif matches:
                index = matches[0]
                self.map(original[index], element, type_name, f"{path}[{merge_key}={wanted}]")
            elif self.create_missing:
                fresh = CommentedMap()
                self.map(fresh, element, type_name, path)
                original.append(fresh)
            else:
                self.report.missing.append(f"{path}[{merge_key}={wanted}]")

    def delete_from_list(self, original: Any, key: str, values: Any, path: str) -> None:
        if not isinstance(values, list):
            raise PatchError(f"{child_path(path, DELETE_FROM + key)}: expected a list of values")
        current = original.get(key)
        if isinstance(current, list):
            current[:] = [item for item in current if item not in values]


def _reorder(items: Any, order: Any, merge_key: str | None) -> None:
    """Apply ``$setElementOrder``: listed elements first in the given order, the rest after."""
    if not isinstance(items, list) or not isinstance(order, list):
        return
    wanted = [o.get(merge_key) if merge_key and isinstance(o, dict) else o for o in order]

    def position(item: Any) -> int:
        value = item.get(merge_key) if merge_key and isinstance(item, dict) else item
        return wanted.index(value) if value in wanted else len(wanted)

    items[:] = sorted(items, key=position)


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_directives(v) for k, v in value.items() if not str(k).startswith("$")}
    if isinstance(value, list):
        return [_strip_directives(v) for v in value]
    return value


def _fresh(value: Any) -> Any:
    """A private copy of a patch value, with strings YAML 1.1 would misread quoted."""
    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            out[key] = _fresh(item)
        return out
    if isinstance(value, list):
        seq = CommentedSeq()
        seq.extend(_fresh(v) for v in value)
        return seq
    return quote_if_ambiguous(copy.copy(value))
