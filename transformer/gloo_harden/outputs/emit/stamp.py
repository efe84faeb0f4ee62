"""The provenance stamp every emitted artefact carries, and how ``emit --check`` reads it back.

A stamp says which gloo-harden made the artefact, which release its decisions assumed and
which input they were computed from:

    # gloo-harden 0.1.0 emit kustomize; release gloo-1.22.1; input sha256:3f…
    # (do not edit: re-run `gloo-harden emit kustomize …` when the render changes;
    #  `gloo-harden emit --check` fails while it is out of date)

Forms that write YAML objects also carry it as annotations (``ANNOTATIONS``), which tools keep
where they drop comments. The input hash is taken over the input *as data* — every object of
the stream, in order, as JSON with sorted keys (``input_hash``) — so the same render from
another Helm version (which trims blank lines differently) or with other comments has the
same hash, and any change to a value, an object or the order of objects gives another.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

#: annotation keys of the stamp, where a form writes it on an object
VERSION_ANNOTATION = "gloo-harden.dev/version"
RELEASE_ANNOTATION = "gloo-harden.dev/release"
INPUT_ANNOTATION = "gloo-harden.dev/input-hash"
_HASH = re.compile(r"\binput (sha256:[0-9a-f]{64})\b|"
                   + re.escape(INPUT_ANNOTATION) + r":\s*['\"]?(sha256:[0-9a-f]{64})")


class Provenance(NamedTuple):
    """Who computed an artefact, assuming which release, from which input."""

    version: str  # gloo-harden's version
    release: str  # PRODUCT-VERSION the decisions assumed (e.g. kgateway-2.1.2), or "unknown"
    input_hash: str  # "sha256:<64 hex digits>" of the input as data

    def comment(self, form: str) -> str:
        """The stamp as comment lines (each ending in a newline) for a form's files."""
        return (f"# gloo-harden {self.version} emit {form}; release {self.release}; "
                f"input {self.input_hash}\n"
                f"# Generated: do not edit. Re-run `gloo-harden emit {form} …` when the render "
                "changes;\n# `gloo-harden emit --check` fails while this is out of date.\n")

    def annotations(self) -> dict[str, str]:
        return {VERSION_ANNOTATION: self.version, RELEASE_ANNOTATION: self.release,
                INPUT_ANNOTATION: self.input_hash}


def input_hash(objects: Iterable[Any]) -> str:
    """``sha256:…`` of ``objects`` (the input's documents as plain data, in stream order)."""
    digest = hashlib.sha256()
    for obj in objects:
        digest.update(json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str,
                                 ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return "sha256:" + digest.hexdigest()


def stamped_hash(text: str) -> str | None:
    """The input hash a stamped artefact's text names (comment or annotation), if any."""
    match = _HASH.search(text)
    return (match.group(1) or match.group(2)) if match else None


def release_of(product: str | None, version: str | None) -> str:
    """``kgateway-2.1.2``; ``gloo`` when the version is unknown; ``unknown`` without either."""
    if product is None:
        return "unknown"
    return f"{product}-{version}" if version else product
