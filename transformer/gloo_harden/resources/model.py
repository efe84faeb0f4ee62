"""Resources: the parsed Kubernetes objects of the stream, with their place in it."""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

from typing import Any, NamedTuple

from gloo_harden.patterns import lazy
from gloo_harden.resources.podspec import POD_SPEC_PATHS, pod_annotations
from gloo_harden.resources.results import ResourceRef, show_text
from gloo_harden.yamltext.stream import Document
from gloo_harden.yamltext.yamlio import child_path as child_path  # re-exported

#: Annotation that opts one resource out of hardenings: ``"<id>=<reason>[,<id>=<reason>…]"``.
SKIP_ANNOTATION = "gloo-harden.dev/skip"


class Resource(NamedTuple):
    """One Kubernetes object: a document's root mapping, or an item of a ``kind: List``."""

    document: Document
    position: int  # the document's position in the stream
    tree: Any  # the round-trip mapping of this object
    path: str  # "" for a document root, "items[3]" for a List item
    #: (apiVersion, kind) of an item of a typed list (``kind: DeploymentList``) that does not
    #: write its own, as API clients return them
    listed: tuple[str, str] = ("", "")

    @property
    def api_version(self) -> str:
        return show_text(self.tree.get("apiVersion") or self.listed[0])

    @property
    def kind(self) -> str:
        return show_text(self.tree.get("kind") or self.listed[1])

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def metadata(self) -> Any:
        meta = self.tree.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def name(self) -> str | None:
        name = self.metadata.get("name")
        return None if name is None else show_text(name)

    @property
    def namespace(self) -> str | None:
        namespace = self.metadata.get("namespace")
        return None if namespace is None else show_text(namespace)

    @property
    def labels(self) -> dict[str, str]:
        return _strings(self.metadata.get("labels"))

    @property
    def annotations(self) -> dict[str, str]:
        return _strings(self.metadata.get("annotations"))

    @property
    def origin(self) -> str:
        """How evidence names this object: ``Kind namespace/name`` (``-`` without one)."""
        return f"{self.kind} {self.namespace or '-'}/{self.name}"

    @property
    def located(self) -> str:
        """Where this object was read: ``file[doc N]`` (the file of a KRM item: its path)."""
        return self.document.where

    @property
    def ref(self) -> ResourceRef:
        return ResourceRef(self.api_version, self.kind, self.namespace, self.name)

    def field(self, relative: str) -> str:
        """A field path from the document root, e.g. ``items[0].spec.replicas``."""
        if not self.path:
            return relative
        return f"{self.path}.{relative}" if relative else self.path

    def skip_reasons(self) -> dict[str, str]:
        """Hardening ids this resource opts out of, with the reason given (or "")."""
        reasons: dict[str, str] = {}
        for opt_out in self.opt_outs():
            reasons[opt_out.hardening] = reasons.get(opt_out.hardening) or opt_out.reason
        return reasons

    def opt_outs(self) -> "list[OptOut]":
        """Every entry of ``SKIP_ANNOTATION``: on the object, then on its pod template (where
        Helm users can put it, e.g. the Gloo chart's ``podTemplate.extraAnnotations``)."""
        found = []
        pod = POD_SPEC_PATHS.get(self.kind, ())[:-1]
        for field, values in (("metadata.annotations", self.annotations),
                              (".".join(pod + ("metadata", "annotations")),
                               pod_annotations(self.tree, self.kind) if pod else {})):
            for entry in _entries(values.get(SKIP_ANNOTATION, "")):
                hardening, _, reason = entry.partition("=")
                if hardening.strip():
                    found.append(OptOut(hardening.strip(), reason.strip(), self.field(field)))
        return found


#: Where a new ``<id>[=<reason>]`` entry starts after a comma: an id (no spaces) then ``=``
#: or the end of the entry. Anything else after a comma goes on the reason before it.
_ENTRY = lazy(r"\s*[A-Za-z0-9][A-Za-z0-9_.-]*\s*(?:=|$)")


def _entries(value: str) -> list[str]:
    """The ``<id>=<reason>`` entries of a skip annotation. A reason may hold commas
    (``read-only-root-filesystem=Envoy writes /var/log/envoy, no volume yet (PLAT-311)``): a
    comma starts a new entry only when an id follows it, else it belongs to the reason."""
    entries: list[str] = []
    for part in value.split(","):
        if entries and "=" in entries[-1] and not _ENTRY.match(part):
            entries[-1] += "," + part
        else:
            entries.append(part)
    return entries


def list_items(tree: Any) -> tuple[str, str] | None:
    """For a list of objects, the (apiVersion, kind) its items take when they write none;
    None when ``tree`` is not a list. ``kind: List`` (``kubectl get -o yaml``) gives nothing;
    a typed list (``kind: DeploymentList`` with ``items``, as ``kubectl get --raw`` and API
    clients return it, items usually without ``kind``) gives its item kind: the list kind
    without ``List`` (``../shared/notes/evidence.md`` §f). A KRM ``ResourceList`` is not one."""
    kind = tree.get("kind") if isinstance(tree, dict) else None
    if not isinstance(kind, str) or not kind.endswith("List") or kind == "ResourceList" \
            or not isinstance(tree.get("items"), list):
        return None
    if kind == "List":
        return ("", "")
    return (str(tree.get("apiVersion", "")), kind[:-len("List")])


class OptOut(NamedTuple):
    """One ``<id>=<reason>`` entry of the skip annotation, and the field it was read from."""

    hardening: str
    reason: str
    field: str


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {show_text(k): "" if v is None else show_text(v) for k, v in value.items()}
