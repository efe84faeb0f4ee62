"""The decision record: what one run of gloo-harden decided, as data every emitted form reads.

``record(documents, outcome, options)`` pairs each object the run changed with the object as
it was read, lists the objects it added and the changes a guard kept back, and stamps the lot
with its ``Provenance`` (``stamp.py``). A form (``kustomize.py``, ``flux.py``, ``values.py``)
is a pure function of this record: it never runs the pipeline again, so every form expresses
the same decisions — guards, opt-out annotations, ``--disable``/``--profile`` included.

Objects are plain data (dicts, lists, scalars as YAML 1.2 reads them); an object of a
``kind: List`` document is its item. Objects are matched by ``ResourceRef`` (apiVersion,
kind, namespace, name); a changed object whose ref the input holds twice cannot be told
apart and is left to the forms to name as not expressible (``Change.ambiguous``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from gloo_harden.outputs.emit.stamp import Provenance
from gloo_harden.resources.results import ResourceRef, Result, Severity
from gloo_harden.yamltext import yamlio

if TYPE_CHECKING:
    from gloo_harden.run.pipeline import Outcome
    from gloo_harden.yamltext.stream import Document


class Edit(NamedTuple):
    """One field a hardening changed: ``field`` is the path from the object's root
    (``spec.template.spec.containers[0].securityContext.capabilities.add``)."""

    hardening: str
    field: str
    old: Any  # None: the field was absent
    new: Any  # None: the field was removed


class Change(NamedTuple):
    """An object the run changed: as read, as written, and the edits that made the one the
    other."""

    ref: ResourceRef
    before: dict[str, Any]
    after: dict[str, Any]
    edits: tuple[Edit, ...]
    ambiguous: bool = False  # the input holds another object with the same ref

    @property
    def hardenings(self) -> tuple[str, ...]:
        """The ids of the hardenings that changed it, in the order they ran."""
        return tuple(dict.fromkeys(e.hardening for e in self.edits))


class Addition(NamedTuple):
    """An object the run added (a patch file's ``objects:``), as written."""

    ref: ResourceRef
    obj: dict[str, Any]
    hardening: str


class Kept(NamedTuple):
    """A change a guard (or ``--strict``) kept back: the result that says so."""

    hardening: str
    ref: ResourceRef | None
    guard: str
    message: str


class Decisions(NamedTuple):
    """Everything one run decided, in stream order."""

    provenance: Provenance
    changes: tuple[Change, ...]
    additions: tuple[Addition, ...]
    kept: tuple[Kept, ...]
    results: tuple[Result, ...]  # every result of the run, as a normal run reports them
    changed_documents: int = 0  # documents the run changed or added (its summary's count)
    enabled: tuple[str, ...] = ()  # ids of the hardenings the run had enabled (empty: unknown)
    inputs: tuple[dict[str, Any], ...] = ()  # every object as read, changed or not (stream order)

    def edits_of(self, hardening: str) -> Iterator[tuple[Change, Edit]]:
        """Every edit ``hardening`` made, with the object it made it on."""
        for change in self.changes:
            for edit in change.edits:
                if edit.hardening == hardening:
                    yield change, edit


def record(objects: list[dict[str, Any]], outcome: Outcome,
           provenance: Provenance, enabled: tuple[str, ...] = ()) -> Decisions:
    """The decisions of ``outcome``, a run over an input whose objects are ``objects``
    (``objects_of`` the input as read, split again: the run itself lets go of its trees)."""
    before = _by_ref(iter(objects))
    written: list[dict[str, Any]] = []
    for position in outcome.changed:
        body = outcome.pieces[position][2]
        written += _objects(_plain(body, f"output[doc {position + 1}]"))
    edits = _edits(outcome.results)
    added_by = {r.resource: r.hardening for r in outcome.results
                if r.resource is not None and r.hardening and r.field == "metadata.name"
                and r.severity is Severity.INFO and r.current is None}
    changes, additions = [], []
    for obj in written:
        ref = _ref(obj)
        found = before.get(ref)
        if found is None:
            additions.append(Addition(ref, obj, added_by.get(ref) or "unknown"))
        elif found[0] != obj:
            changes.append(Change(ref, found[0], obj, tuple(edits.get(ref, ())),
                                  ambiguous=len(found) > 1))
    kept = [Kept(r.hardening or "", r.resource, r.guard or "", r.message)
            for r in outcome.results
            if r.guard and r.tag is None and r.severity is not Severity.INFO]
    return Decisions(provenance, tuple(changes), tuple(additions), tuple(kept),
                     tuple(outcome.results), len(outcome.changed), enabled, tuple(objects))


def objects_of(documents: list[Document]) -> Iterator[dict[str, Any]]:
    """Every Kubernetes object of ``documents`` as plain data (a List's items one by one)."""
    return _objects_of(documents)


def _objects_of(documents: list[Document]) -> Iterator[dict[str, Any]]:
    for document in documents:
        if document.is_blank:
            continue
        yield from _objects(_plain(document.text, document.where))


def _plain(text: str, where: str) -> Any:
    """``text`` as plain data, by the C parser where it may read it (ten times faster than
    the round-trip parser; the same errors and limits otherwise: ``load_for_reading``)."""
    tree, round_trip = yamlio.load_for_reading(text, where)
    return yamlio.to_plain(tree) if round_trip else tree


def _objects(tree: Any) -> list[dict[str, Any]]:
    if not isinstance(tree, dict) or not tree.get("apiVersion") or not tree.get("kind"):
        return []
    if tree.get("kind") == "List" and isinstance(tree.get("items"), list):
        return [item for item in tree["items"] if isinstance(item, dict)]
    return [tree]


def _by_ref(objects: Iterator[dict[str, Any]]) -> dict[ResourceRef, list[dict[str, Any]]]:
    found: dict[ResourceRef, list[dict[str, Any]]] = {}
    for obj in objects:
        found.setdefault(_ref(obj), []).append(obj)
    return found


def ref_of(obj: dict[str, Any]) -> ResourceRef:
    """The ``ResourceRef`` of a plain object."""
    return _ref(obj)


def _ref(obj: dict[str, Any]) -> ResourceRef:
    meta: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    namespace, name = meta.get("namespace"), meta.get("name")
    return ResourceRef(str(obj.get("apiVersion", "")), str(obj.get("kind", "")),
                       None if namespace is None else str(namespace),
                       None if name is None else str(name))


def _edits(results: list[Result]) -> dict[ResourceRef, list[Edit]]:
    """The change results (an info result with a field and a value), by resource; a List
    item's field is made relative to the item (``items[2].spec`` → ``spec``)."""
    found: dict[ResourceRef, list[Edit]] = {}
    for r in results:
        if r.severity is not Severity.INFO or not r.field or not r.hardening \
                or r.resource is None or (r.current is None and r.proposed is None):
            continue
        field = r.field
        if field.startswith("items[") and "]." in field:
            field = field.split("].", 1)[1]
        found.setdefault(r.resource, []).append(Edit(r.hardening, field, r.current, r.proposed))
    return found
