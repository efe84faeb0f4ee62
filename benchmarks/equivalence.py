"""Do two tools' outputs carry the same edits? Read every stream as YAML 1.1 data (as Kubernetes
reads it), key resources by apiVersion/kind/namespace/name and list every leaf that differs from
the input. Comments, quoting, key order and document order do not count; data does.

The reader is ruamel.yaml's safe loader (C parser when ruamel.yaml.clib is there), a dependency of
gloo-harden itself: the benchmark needs gloo-harden installed next to its Python anyway, so it
runs after a plain ``pip install .`` (PyYAML is only a test dependency).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

Key = tuple[str, str, str, str]
Edit = tuple[Key, str, str]


def load(path: Path) -> dict[Key, Any]:
    """The resources of a stream, by key; ``kind: List`` is not expected in these inputs."""
    import warnings

    from ruamel.yaml import YAML
    from ruamel.yaml.error import MantissaNoDotYAML1_1Warning

    reader = YAML(typ="safe")
    reader.version = (1, 1)  # yes/on are booleans, 0755 is octal: what the API server stores
    resources: dict[Key, Any] = {}
    with path.open(encoding="utf-8") as handle, warnings.catch_warnings():
        warnings.simplefilter("ignore", MantissaNoDotYAML1_1Warning)
        for doc in reader.load_all(handle):
            if not isinstance(doc, dict):
                continue
            meta = doc.get("metadata") or {}
            key = (str(doc.get("apiVersion")), str(doc.get("kind")),
                   str(meta.get("namespace") or ""), str(meta.get("name")))
            if key in resources:
                raise ValueError(f"{path}: {key} appears twice; expected unique resources")
            resources[key] = doc
    return resources


def edits(before: dict[Key, Any], after: dict[Key, Any]) -> set[Edit]:
    """Every leaf that differs, as (resource, path, new value); a lost or new resource too."""
    found: set[Edit] = set()
    for key in before.keys() | after.keys():
        if key not in after or key not in before:
            found.add((key, "<resource>", "removed" if key not in after else "added"))
            continue
        found.update((key, path, new) for path, new in _diff(before[key], after[key], ""))
    return found


def _diff(old: Any, new: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old.keys() | new.keys():
            yield from _diff(old.get(key, _ABSENT), new.get(key, _ABSENT), f"{path}.{key}")
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from _diff(a, b, f"{path}[{i}]")
    elif old != new or isinstance(old, bool) is not isinstance(new, bool):
        # 1.048576e+08 and 104857600 are the same number (kustomize rewrites floats); True and 1 are not
        yield path, "<absent>" if new is _ABSENT else repr(new)


_ABSENT = object()


def compare(source: Path, ours: Path, theirs: Path) -> tuple[int, list[str]]:
    """(number of edits both made, problems); problems is empty when the edits are the same."""
    before = load(source)
    mine, other = edits(before, load(ours)), edits(before, load(theirs))
    problems = [f"only in {ours.name}: {e}" for e in sorted(mine - other, key=repr)[:5]]
    problems += [f"only in {theirs.name}: {e}" for e in sorted(other - mine, key=repr)[:5]]
    if not mine:
        problems.append(f"{ours.name}: no edits at all; expected the hardenings to apply")
    return len(mine & other), problems
