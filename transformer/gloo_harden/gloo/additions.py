"""Objects a hardening adds to the stream (a patch file's ``objects:``), one set per target.

A built-in hardening whose scope finds a place where the stream cannot carry a hardening by
editing what is there (the kgateway 2.0/2.1 chart renders no GatewayParameters) adds objects
instead. Each object is the patch file's template with ``{{ .Release.Namespace }}`` replaced by
the target's namespace and the target's labels (the chart's: ``helm.sh/chart``,
``app.kubernetes.io/*``) under its own, and is written as Helm writes a template: a
``# Source:`` line naming the patch file, then block-style YAML. Added documents go after the
stream's last one. A second run finds what the first added and adds nothing (the scope's job).
"""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

import copy
from typing import Any, NamedTuple

from gloo_harden.resources.results import ResourceRef
from gloo_harden.yamltext import yamlio
from gloo_harden.yamltext.stream import Document

#: ``Document.source`` of added documents (results name it as their file)
SOURCE = "gloo-harden"
NAMESPACE = "{{ .Release.Namespace }}"


class Addition(NamedTuple):
    """One object to add: its text (a whole document) and what it is."""

    text: str
    ref: ResourceRef
    #: the document of the object it is added for (a KRM function puts the addition in that
    #: item's file: ``adapters.krm``)
    beside: Document | None = None


def objects(hardening_id: str, templates: list[Any], namespace: str | None,
            labels: dict[str, str]) -> list[Addition]:
    """The objects of ``templates`` for a target in ``namespace`` with ``labels``."""
    added = []
    for template in templates:
        obj = _filled(copy.deepcopy(template), namespace or "default")
        meta = obj.setdefault("metadata", {})
        meta["labels"] = {**labels, **(meta.get("labels") or {})}
        text = f"# Source: {SOURCE}/patches/{hardening_id}.yaml\n" + yamlio.dump(obj)
        added.append(Addition(text, ResourceRef(str(obj.get("apiVersion", "")),
                                                str(obj.get("kind", "")), meta.get("namespace"),
                                                meta.get("name"))))
    return added


def _filled(node: Any, namespace: str) -> Any:
    if isinstance(node, dict):
        return {k: _filled(v, namespace) for k, v in node.items()}
    if isinstance(node, list):
        return [_filled(v, namespace) for v in node]
    return namespace if node == NAMESPACE else node


def show(ref: ResourceRef) -> str:
    """``namespace/name``, or ``name`` for a cluster-scoped object."""
    return f"{ref.namespace}/{ref.name}" if ref.namespace else str(ref.name)
