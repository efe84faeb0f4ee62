"""Run apimachinery's strategic merge through ``kubectl patch --local`` and ours, side by side.

One kubectl call patches every object of a batch with the same patch (``-o json`` prints one
JSON object per input object), so property tests cost one process per generated patch.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from gloo_harden.errors import PatchError
from gloo_harden.patching import strategic
from gloo_harden.patching.schema import KIND_TYPES
from gloo_harden.yamltext import yamlio


def kubectl() -> str:
    """The kubectl binary; missing is a failure when CI requires clients, else a skip."""
    found = shutil.which("kubectl")
    if found:
        return found
    if os.environ.get("GLOO_HARDEN_REQUIRE_CLIENTS") == "1":
        pytest.fail("kubectl is required (GLOO_HARDEN_REQUIRE_CLIENTS=1) but not on PATH")
    pytest.skip("kubectl is not on PATH")


def theirs(objects: list[dict[str, Any]], patch: dict[str, Any]) -> list[Any] | str:
    """kubectl's result for every object, or its error message."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder, "in.json")
        source.write_text("\n".join(json.dumps(o) for o in objects))
        done = subprocess.run(
            [kubectl(), "patch", "--local", "-f", str(source), "--type", "strategic",
             "-p", json.dumps(patch), "-o", "json"],
            capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        return done.stderr.strip() or f"exit {done.returncode}"
    return _json_stream(done.stdout)


def ours(obj: dict[str, Any], patch: dict[str, Any], create_missing: bool = True) -> Any:
    """Our merge of ``patch`` into a round-trip copy of ``obj``, as plain data."""
    tree = yamlio.load(json.dumps(obj), "test")
    strategic.merge(tree, yamlio.load(json.dumps(patch), "patch"),
                    KIND_TYPES.get(obj["kind"]), create_missing=create_missing)
    return yamlio.to_plain(tree)


def ours_or_error(obj: dict[str, Any], patch: dict[str, Any]) -> Any:
    try:
        return ours(obj, patch)
    except PatchError as exc:
        return f"error: {exc}"


def _json_stream(text: str) -> list[Any]:
    decoder = json.JSONDecoder()
    items, at = [], 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            return items
        item, at = decoder.raw_decode(text, at)
        items.append(item)


def without_delete_directives(value: Any) -> Any:
    """kubectl's result minus what our deliberate difference (b) never writes: maps made only of
    ``$deleteFromPrimitiveList`` directives, which kubectl copies into maps the original lacks."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if str(key).startswith("$deleteFromPrimitiveList/"):
                continue
            if isinstance(item, dict) and item and _only_deletions(item):
                continue
            out[key] = without_delete_directives(item)
        return out
    if isinstance(value, list):
        return [without_delete_directives(v) for v in value]
    return value


def _only_deletions(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(
        str(k).startswith("$deleteFromPrimitiveList/") or _only_deletions(v)
        for k, v in value.items())
