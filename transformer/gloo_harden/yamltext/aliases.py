"""Shared YAML nodes: give a target its own copy before a change, so the change lands only there.

Anchors, aliases and ``<<:`` merge keys let one node serve several places of a document: after
``- &envoy {…}`` and ``- {<<: *envoy, name: sds}``, the ``sds`` container reads every key it does
not set from the Envoy container's node, and a ``securityContext: *proxysc`` alias *is* the other
container's securityContext. Patching such a node in place would change every place that shares
it. So before a target is patched, the first node on its path that something else shares, or
else each shared node inside it, is replaced by a fresh copy (merge keys resolved, anchors
dropped); the other places keep the original node. A resource that is itself an alias of
another (``items: [&a {…}, *a]``) cannot be given its own copy without becoming a different
object, and is refused instead.

Only round-trip trees can share nodes (the C reader declines texts with anchors), and only texts
with an ``&`` have anchors, so no other document pays for this.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq, merge_attrib

from gloo_harden.patterns import lazy
from gloo_harden.yamltext.yamlio import child_path


class SharedResource(Exception):
    """The object itself is the same YAML node as another place of the document."""

    def __init__(self, others: list[str]) -> None:
        super().__init__(", ".join(others))
        self.others = others


def may_share(text: str) -> bool:
    """Whether a document's text can hold shared nodes at all (an anchor is needed)."""
    return "&" in text


def own_copy(tree: Any, path: str, root: str) -> tuple[Any, list[tuple[str, list[str]]]]:
    """Make the node at ``path`` of ``tree`` share nothing with any other place.

    Returns the node now at ``path`` and what was copied: (path copied, the other places that
    shared its node); nothing when it shared nothing. ``root`` is the path of the target's
    object (``""`` or ``items[N]``): a shared node at or above it raises ``SharedResource``.
    """
    places = _places(tree)
    node, here = tree, ""
    for key in _keys(path):
        parent, node, here = node, node[key], _join(here, key)
        others = _others(places, node, here)
        if others:
            if len(here) <= len(root):
                raise SharedResource(others)
            parent[key] = node = fresh(node)
            return _at(node, path[len(here):]), [(here, others)]
    copies: list[tuple[str, list[str]]] = []
    _unshare_inside(node, here, places, copies)
    return node, copies


def outside(tree: Any, path: str) -> Any:
    """The plain data of ``tree`` with the node at ``path`` left out: what a change there must
    leave as it is."""
    from gloo_harden.yamltext.yamlio import to_plain

    plain = to_plain(tree)
    keys = _keys(path)
    if not keys:
        return None
    parent = plain
    for key in keys[:-1]:
        parent = parent[key]
    parent[keys[-1]] = None
    return plain


def _unshare_inside(node: Any, here: str, places: dict[int, list[str]],
                    copies: list[tuple[str, list[str]]]) -> None:
    for key, child in _children(node):
        if not isinstance(child, (dict, list)):
            continue
        where = _join(here, key)
        shared = _others(places, child, where)
        if shared:
            node[key] = fresh(child)
            copies.append((where, shared))
        else:
            _unshare_inside(child, where, places, copies)


def fresh(node: Any) -> Any:
    """A deep copy of ``node`` that shares nothing: merge keys resolved into own keys, no
    anchors; flow style kept, so ``{drop: [ALL]}`` stays on one line."""
    copy: CommentedMap | CommentedSeq
    if isinstance(node, dict):
        copy = CommentedMap((key, fresh(value)) for key, value in node.items())
    elif isinstance(node, list):
        copy = CommentedSeq(fresh(value) for value in node)
    else:
        return node
    if getattr(node, "fa", None) is not None and node.fa.flow_style():
        copy.fa.set_flow_style()
    return copy


def _places(tree: Any) -> dict[int, list[str]]:
    """id of every map and list → the paths it is reachable at (merge sources as ``path.<<``)."""
    places: dict[int, list[str]] = {}
    _visit(tree, "", places)
    return places


def _visit(node: Any, path: str, places: dict[int, list[str]]) -> None:
    # a module function, not a closure: a closure that calls itself is a reference cycle,
    # left for the cyclic collector a run never starts (``__main__``)
    seen = id(node) in places
    places.setdefault(id(node), []).append(path)
    if seen:
        return
    for source in _merged_from(node):
        _visit(source, _join(path, "<<"), places)
    for key, child in _children(node):
        if isinstance(child, (dict, list)):
            _visit(child, _join(path, key), places)


def _merged_from(node: Any) -> list[Any]:
    """The maps a ``<<:`` merge key of ``node`` reads (ruamel keeps them as a list of maps, or
    of (position, map) pairs in older versions)."""
    merged = getattr(node, merge_attrib, None) if isinstance(node, dict) else None
    return [m[1] if isinstance(m, tuple) else m for m in merged or []]


def _others(places: dict[int, list[str]], node: Any, here: str) -> list[str]:
    found = places.get(id(node), [])
    return [p for p in found if p != here] if len(found) > 1 else []


def _children(node: Any) -> list[tuple[Any, Any]]:
    if isinstance(node, dict):
        return list(node.items())
    if isinstance(node, list):
        return list(enumerate(node))
    return []


def _join(path: str, key: Any) -> str:
    return child_path(path, key if isinstance(key, int) else str(key))


def _keys(path: str) -> list[Any]:
    """``a.b[2].c`` → ``["a", "b", 2, "c"]``."""
    return [int(index) if index else key for index, key in _KEY.findall(path)]


_KEY = lazy(r"\[(\d+)\]|([^.\[\]]+)")


def _at(node: Any, rest: str) -> Any:
    for key in _keys(rest):
        node = node[key]
    return node
