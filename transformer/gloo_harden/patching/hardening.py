"""A hardening is a patch file: id, docs, scope, guards and a strategic-merge or JSON6902 body.

```yaml
apiVersion: gloo-harden.dev/v1alpha1
kind: Hardening
metadata:
  name: read-only-root-filesystem
summary: One line.
description: |
  What it does, why, when it is skipped, an example.
scope: proxy-container          # one scope id or a list of them
guards: []                      # guard ids, all must pass
strategic:                      # or json6902: [ {op, path, value}, ... ]
  securityContext:
    readOnlyRootFilesystem: true
```

A built-in may instead list ``objects:``, templates of objects it adds once per target of its
scope (``additions``), where the stream cannot carry the hardening by editing what is there.
A built-in may also say ``review: [topic, …]``: the topics of ``run.gateway_review``'s
statements (what a Gateway API controller's merge can undo) that are said in its name, and
``needsRelease: true``: its work depends on the release, so a stream that shows none is a
warning while it runs (an info line otherwise).

User patches (``--patches DIR``) may name a kustomize-style ``target:`` instead of ``scope:``
(see ``targets``); the patch then applies to each whole resource the target selects.
``createMissing: true`` lets a strategic patch create list elements it names but does not
find (kubectl's behaviour); by default they are reported.
"""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

import os
from typing import Any, NamedTuple

from gloo_harden.errors import PatchError
from gloo_harden.patching import json6902, targets
from gloo_harden.patching.targets import Selector
from gloo_harden.yamltext import yamlio

API_VERSION = "gloo-harden.dev/v1alpha1"
KIND = "Hardening"
_KEYS = {"apiVersion", "kind", "metadata", "summary", "description", "scope", "guards",
         "strategic", "json6902", "objects", "target", "createMissing", "review",
         "needsRelease"}
#: Where a hardening comes from: built in, an opt-in profile, or a user's patch folder.
BUILTIN, PROFILE, USER = "builtin", "profile", "user"


class Hardening(NamedTuple):
    """One loaded patch file."""

    id: str
    summary: str
    description: str
    scopes: tuple[str, ...]
    guards: tuple[str, ...]
    strategic: Any
    json6902: Any
    source: str
    target: Selector | None = None
    create_missing: bool = False
    origin: str = BUILTIN
    objects: Any = None  # built-ins only: templates of objects to add per target
    review: tuple[str, ...] = ()  # built-ins only: gateway_review topics said in its name
    needs_release: bool = False  # built-ins only: its work depends on the release

    @property
    def is_builtin(self) -> bool:
        return self.origin == BUILTIN


def load(path: str | os.PathLike[str], scope_ids: set[str], guard_ids: set[str],
         origin: str = BUILTIN) -> Hardening:
    """Read and validate one patch file; every problem names the file and the field."""
    where = str(path)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise PatchError(f"{where}: cannot read ({exc.strerror}); "
                         "expected a readable file") from None
    data = yamlio.to_plain(yamlio.load_for_reading(text, where)[0])  # its values are copied
    if not isinstance(data, dict):
        raise PatchError(f"{where}: expected a {KIND} mapping")
    return parse(data, where, scope_ids, guard_ids, origin)


def parse(data: Any, where: str, scope_ids: set[str], guard_ids: set[str],
          origin: str = BUILTIN) -> Hardening:
    unknown = sorted(str(k) for k in data if k not in _KEYS)
    if unknown:
        raise PatchError(f"{where}: unknown key \"{unknown[0]}\"; expected one of "
                         + ", ".join(sorted(_KEYS)))
    if data.get("apiVersion") != API_VERSION or data.get("kind") != KIND:
        raise PatchError(f"{where}: apiVersion/kind must be {API_VERSION}/{KIND}")
    meta = data.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str) or not name:
        raise PatchError(f"{where}: metadata.name is required; expected the hardening id")
    selector, scopes = _where(data, where, scope_ids, origin)
    create = data.get("createMissing", False)
    if not isinstance(create, bool):
        raise PatchError(f"{where}: createMissing: expected true or false")
    guards = _names(data.get("guards"), f"{where}: guards", guard_ids, required=False)
    strategic, operations, objects = (data.get("strategic"), data.get("json6902"),
                                      data.get("objects"))
    if [strategic, operations, objects].count(None) != 2:
        raise PatchError(f"{where}: exactly one of strategic, json6902 or objects is required")
    if objects is not None and (origin != BUILTIN or not isinstance(objects, list) or not all(
            isinstance(o, dict) and o.get("apiVersion") and o.get("kind") for o in objects)):
        raise PatchError(f"{where}: objects: expected a list of objects with apiVersion and "
                         "kind (built-in hardenings only)")
    review, needs_release = _built_in_facts(data, where, origin)
    if strategic is not None and not isinstance(strategic, dict):
        raise PatchError(f"{where}: strategic must be a mapping")
    if operations is not None:
        json6902.validate(operations, f"{where}: json6902")
    return Hardening(
        id=name,
        summary=str(data.get("summary", "")).strip(),
        description=str(data.get("description", "")).strip(),
        scopes=scopes,
        guards=guards,
        strategic=strategic,
        json6902=operations,
        source=where,
        target=selector,
        create_missing=create,
        origin=origin,
        objects=objects,
        review=review,
        needs_release=needs_release,
    )


def _built_in_facts(data: Any, where: str, origin: str) -> tuple[tuple[str, ...], bool]:
    """``review`` (topic names, checked by ``run.hardenings``) and ``needsRelease``."""
    review, needs = data.get("review", []), data.get("needsRelease", False)
    if origin != BUILTIN and ("review" in data or "needsRelease" in data):
        raise PatchError(f"{where}: review and needsRelease are for built-in hardenings only")
    if not isinstance(review, list) or not all(isinstance(t, str) for t in review):
        raise PatchError(f"{where}: review: expected a list of topic names")
    if not isinstance(needs, bool):
        raise PatchError(f"{where}: needsRelease: expected true or false")
    return tuple(review), needs


def _where(data: Any, where: str, scope_ids: set[str],
           origin: str) -> tuple[Selector | None, tuple[str, ...]]:
    """The patch's ``target`` (user and profile patches only) or its scopes."""
    if "target" not in data:
        return None, _names(data.get("scope"), f"{where}: scope", scope_ids, required=True)
    if origin == BUILTIN:
        raise PatchError(f"{where}: target: built-in hardenings use a scope; expected scope")
    if "scope" in data:
        raise PatchError(f"{where}: scope and target are both given; expected one of them")
    return targets.parse(data["target"], f"{where}: target"), ()


def _names(value: Any, where: str, known: set[str], required: bool) -> tuple[str, ...]:
    if value is None and not required:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names and required:
        raise PatchError(f"{where}: expected one id or a list of ids"
                         + (" (or a target:, in a user patch)" if "scope" in where else ""))
    for name in names:
        if name not in known:
            raise PatchError(f"{where}: unknown id \"{name}\"; expected one of "
                             + ", ".join(sorted(known)))
    return tuple(str(n) for n in names)
