"""``emit kustomize``: a kustomize Component that makes exactly the changes gloo-harden decided.

Written into a folder (``-o DIR``)::

    kustomization.yaml           apiVersion kustomize.config.k8s.io/v1alpha1, kind Component;
                                 the stamp as comments and metadata.annotations; resources: the
                                 added objects; patches: one entry per changed object
    patch-<kind>-<ns>-<name>.yaml    strategic merge (workloads, ServiceAccounts) or JSON 6902
                                 (custom resources), see ``patches.py``
    add-<kind>-<ns>-<name>.yaml      an object gloo-harden adds (kgateway 2.0/2.1 class objects)

Used from the Kustomization that holds the render (``components: [path/to/DIR]``, last, after
every overlay that can change ports or labels: the guards decided on the render as it was
handed over), or from Flux ``Kustomization.spec.components`` / Argo CD
``kustomize.components`` (``../shared/notes/reach.md`` §a, §d). Every patch has a target that
selects exactly its object (group, version, kind, name, namespace).
"""

from __future__ import annotations

import re
from typing import Any

from gloo_harden.outputs.emit import patches
from gloo_harden.outputs.emit.artefact import Artefact, Unexpressed, to_yaml
from gloo_harden.outputs.emit.decisions import Change, Decisions

NAME = "kustomize"
SUMMARY = "a kustomize Component (kustomization.yaml and patch files) in -o DIR"
DIRECTORY = True
DEFAULT_FILE = "kustomization.yaml"


def emit(decisions: Decisions) -> Artefact:
    stamp = decisions.provenance.comment(NAME)
    files: list[tuple[str, str]] = []
    used: set[str] = set()
    entries: list[dict[str, Any]] = []
    resources: list[str] = []
    unexpressed = []
    for change in decisions.changes:
        if change.ambiguous:
            unexpressed.append(ambiguous(change))
            continue
        name = file_name("patch", change.after, used)
        body, kind = patch_of(change)
        files.append((name, stamp + f"# {kind} patch by {', '.join(change.hardenings)}\n"
                      + to_yaml(body)))
        entries.append({"path": name, "target": patches.target(change.after)})
    for addition in decisions.additions:
        name = file_name("add", addition.obj, used)
        files.append((name, stamp + f"# added by {addition.hardening}\n" + to_yaml(addition.obj)))
        resources.append(name)
    component: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component",
        "metadata": {"name": "gloo-harden",
                     "annotations": decisions.provenance.annotations()}}
    if resources:
        component["resources"] = resources
    if entries:
        component["patches"] = entries
    files.insert(0, (DEFAULT_FILE, stamp + to_yaml(component)))
    return Artefact(tuple(files), tuple(unexpressed))


def patch_of(change: Change) -> tuple[Any, str]:
    """The patch of one change and its kind (``strategic merge`` or ``JSON 6902``)."""
    if patches.is_strategic(change.ref.api_version, change.ref.kind):
        return patches.strategic(change.before, change.after), "strategic merge"
    return patches.json6902(change.before, change.after), "JSON 6902"


def ambiguous(change: Change) -> Unexpressed:
    return Unexpressed(change.hardenings[0] if change.hardenings else "", change.ref,
                       "the input holds more than one object with this apiVersion, kind, "
                       "namespace and name, so no patch target selects this one alone; "
                       "run gloo-harden on the render instead")


def file_name(prefix: str, obj: dict[str, Any], used: set[str]) -> str:
    """``patch-deployment-gloo-system-gateway-proxy.yaml``: lower case, characters other than
    letters, digits, ``.`` and ``-`` as ``-``; a number added when two objects would share it."""
    meta = obj.get("metadata") or {}
    parts = [prefix, str(obj.get("kind", "")), str(meta.get("namespace") or ""),
             str(meta.get("name") or "")]
    stem = re.sub(r"[^a-z0-9.]+", "-", "-".join(p for p in parts if p).lower()).strip("-.")
    name, n = f"{stem}.yaml", 2
    while name in used:
        name, n = f"{stem}-{n}.yaml", n + 1
    used.add(name)
    return name
