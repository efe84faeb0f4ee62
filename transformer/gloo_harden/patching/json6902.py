"""RFC 6902 JSON patches (through ``jsonpatch``), applied in place on round-trip trees.

Applying in place keeps the tree's comments and key order; ``jsonpatch``'s default would
deep-copy every document first.
"""

from __future__ import annotations

from typing import Any

from gloo_harden.errors import PatchError
from gloo_harden.patching.values import fresh as _fresh
from gloo_harden.resources.results import show_value

OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")


def validate(operations: Any, where: str) -> list[dict[str, Any]]:
    """Check the shape of a JSON6902 operation list before anything is applied."""
    if not isinstance(operations, list) or not operations:
        raise PatchError(f"{where}: expected a non-empty list of JSON6902 operations")
    for number, operation in enumerate(operations):
        here = f"{where}[{number}]"
        if not isinstance(operation, dict):
            raise PatchError(f"{here}: expected a mapping with op and path")
        op = operation.get("op")
        if op not in OPERATIONS:
            raise PatchError(f"{here}.op: unknown operation {show_value(op)}; expected one of "
                             + ", ".join(sorted(OPERATIONS)))
        if not isinstance(operation.get("path"), str):
            raise PatchError(f"{here}.path: expected a JSON pointer such as /spec/replicas")
        if op in ("add", "replace", "test") and "value" not in operation:
            raise PatchError(f"{here}.value: \"{op}\" needs a value")
        if op in ("move", "copy") and not isinstance(operation.get("from"), str):
            raise PatchError(f"{here}.from: \"{op}\" needs a from pointer")
    return operations


def apply(tree: Any, operations: list[dict[str, Any]], where: str) -> None:
    """Apply ``operations`` to ``tree`` in place; a failing operation is a ``PatchError``."""
    import jsonpatch  # imported here: only runs that use JSON6902 pay for it

    for number, op in enumerate(operations):
        prepared = {**op, "value": _fresh(op["value"])} if "value" in op else dict(op)
        try:
            jsonpatch.apply_patch(tree, [prepared], in_place=True)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            raise PatchError(f"json6902[{number}].path \"{op.get('path')}\": "
                             f"{_why(tree, op, exc)} (at {where or 'the object root'})") from None


def _why(tree: Any, op: dict[str, Any], exc: Exception) -> str:
    """A short reason: the first part of the path that is missing, else jsonpatch's words."""
    node = tree
    walked = ""
    tokens = str(op.get("path", "")).split("/")[1:]
    for token in tokens[:-1] if op.get("op") == "add" else tokens:
        token = token.replace("~1", "/").replace("~0", "~")
        walked += "/" + token
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return f"\"{walked}\" does not exist; expected a path that exists in the target"
    reason = str(exc)
    reason = reason if len(reason) <= 120 else reason[:117] + "..."
    return f"{reason}; expected the operation to apply to the target"
