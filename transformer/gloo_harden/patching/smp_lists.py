"""List helpers of the strategic merge: equality as Go sees it, and apimachinery's element order.

After a merge, apimachinery does not simply append: it puts the elements the patch names in the
patch's order and weaves the untouched ("server-only") elements back in by their original order
(``normalizeElementOrder`` and ``mergeSortedSlice`` in ``strategicpatch/patch.go``). A new
element therefore lands *before* the existing ones it is not ordered against, which is what
``kubectl patch`` prints; these functions reproduce that exactly.
"""

from __future__ import annotations

from typing import Any

from gloo_harden.errors import PatchError


def same(a: Any, b: Any) -> bool:
    """Equality of decoded JSON values as Go compares them.

    ``true`` is not ``1`` and ``"80"`` is not ``80``.
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and str(a) == str(b)
    return bool(a == b)


def kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "string" if isinstance(value, str) else "null"


def element_kind(original: list[Any], patch: list[Any], path: str) -> str:
    """The one kind every element shares (``sliceElementType``); mixed kinds are an error."""
    kinds = {kind_of(v) for v in [*original, *patch]}
    if len(kinds) != 1 or "list" in kinds:
        raise PatchError(f"{path}: list element types are not identical "
                         f"({', '.join(sorted(kinds))}); expected one kind of element")
    return kinds.pop()


def index(items: list[Any], item: Any, merge_key: str | None) -> int:
    """Position of ``item`` in ``items`` by merge key (maps) or value (primitives); -1 if absent."""
    for position, candidate in enumerate(items):
        if merge_key is None:
            if same(candidate, item):
                return position
        elif isinstance(candidate, dict) and isinstance(item, dict) \
                and merge_key in candidate and same(candidate[merge_key], item.get(merge_key)):
            return position
    return -1


def dedupe(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if not any(same(item, seen) for seen in out):
            out.append(item)
    return out


def partition(merged: list[Any], by: list[Any],
              merge_key: str | None) -> tuple[list[Any], list[Any]]:
    """Split ``merged`` into elements named in ``by`` and the rest, keeping their order."""
    named = [v for v in merged if index(by, v, merge_key) >= 0]
    rest = [v for v in merged if index(by, v, merge_key) < 0]
    return named, rest


def normalize(named: list[Any], server_only: list[Any], patch_order: list[Any],
              server_order: list[Any], merge_key: str | None) -> list[Any]:
    """``normalizeElementOrder``: sort both parts, then weave server-only items into the patch's."""
    named = sorted(named, key=lambda v: index(patch_order, v, merge_key))
    server_only = sorted(server_only, key=lambda v: index(server_order, v, merge_key))
    woven: list[Any] = []
    left, right = 0, 0
    while left < len(server_only) or right < len(named):
        if right >= len(named):
            woven.append(server_only[left])
            left += 1
        elif left >= len(server_only):
            woven.append(named[right])
            right += 1
        else:
            li = index(server_order, server_only[left], merge_key)
            ri = index(server_order, named[right], merge_key)
            if li >= 0 and ri >= 0 and li < ri:
                woven.append(server_only[left])
                left += 1
            else:
                woven.append(named[right])
                right += 1
    return woven


def check_order_list(patch: list[Any], order: list[Any], merge_key: str | None, path: str) -> None:
    """``validatePatchWithSetOrderList``: the patch's elements must follow the order list."""
    elements = [v for v in patch if not (isinstance(v, dict) and "$patch" in v)]
    at, seen = 0, 0
    while at < len(elements) and seen < len(order):
        wanted = order[seen]
        element = elements[at]
        if merge_key is None:
            equal = same(element, wanted)
        else:
            equal = (isinstance(element, dict) and isinstance(wanted, dict)
                     and same(element.get(merge_key), wanted.get(merge_key)))
        at += 1 if equal else 0
        seen += 1
    if at < len(elements):
        raise PatchError(f"{path}: the order of the patch list does not match its "
                         "$setElementOrder list; expected the patch elements in that order")
