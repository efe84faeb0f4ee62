"""Per-resource outcomes: every change, skip and refusal is a ``Result``.

The shape follows kyaml's ``framework.Result`` so the KRM adapter can emit it unchanged.
"""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

import enum
from collections.abc import Iterable
from typing import Any, NamedTuple

from gloo_harden.patterns import lazy


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


#: ``Result.tag``: the input is already hardened, and that breaks the gateway
BROKEN = "already-broken"
#: ``Result.tag``: a kind of evidence a decision depends on is nowhere to be seen (not in the
#: stream, not in ``--evidence``, not handed over by the client)
UNSEEN = "evidence-unseen"
#: ``Result.tag``: something applied after gloo-harden (a kgateway overlay) undoes a hardening
UNDONE = "hardening-undone"
#: ``Result.tag``: the target is in the hardened state, but what the hardening takes away
#: stays in effect another way (a root container's default capabilities, ``privileged``)
IN_EFFECT = "still-in-effect"
#: ``Result.tag``: ``gloo-harden emit`` cannot carry a decision in the form asked for
NOT_EXPRESSIBLE = "not-expressible"
#: what each tag means, as ``gloo-harden explain TAG`` prints it
TAGS = {
    BROKEN: "a warning tagged already-broken: the input is already in the hardened state, and "
            "the guard named in the result has evidence that this breaks the gateway (for "
            "example NET_BIND_SERVICE already dropped from a proxy that binds port 80). "
            "Nothing is changed; fix the evidence or the setting. --check fails on it.",
    UNSEEN: "a warning tagged evidence-unseen (an error under --strict): none of the objects "
            "of a kind a decision depends on is in the stream or the --evidence (for example "
            "no VirtualService, or Gateways a Helm 3 post-renderer is never handed). Said once "
            "per kind and render, with the side the guard took; pass --evidence PATH (gloo-harden "
            "explain evidence says what to collect) to decide with them.",
    UNDONE: "a warning tagged hardening-undone (an error under --strict): a kgateway overlay "
            "applied after the merge undoes a hardening (adds capabilities, makes the root "
            "writable, replaces the securityContext, mounts the token). --check fails on it "
            "unless the GatewayParameters opts out with gloo-harden.dev/skip.",
    IN_EFFECT: "a warning tagged still-in-effect: the target is in the hardened state, but what "
               "the hardening takes away stays in effect another way (NET_BIND_SERVICE on a "
               "privileged container, one that adds ALL, or a root one without drop [ALL]). "
               "Drop ALL or opt out. --check fails on it.",
    NOT_EXPRESSIBLE: "a warning tagged not-expressible (gloo-harden emit): the form asked for "
                     "cannot carry one decision (Flux post-renderer patches cannot create "
                     "objects, Helm values cannot set what the chart has no value for, an "
                     "admission policy cannot see a Gateway's ports). The result names the "
                     "hardening and the resource; apply that part with the post-renderer, the "
                     "kustomize Component or the --check gate.",
}


class ResourceRef(NamedTuple):
    """Identifies one Kubernetes object in the stream."""

    api_version: str
    kind: str
    namespace: str | None
    name: str | None

    def __str__(self) -> str:
        parts = [self.api_version, self.kind, self.namespace or "", self.name or ""]
        return "/".join(parts)

    def to_dict(self) -> dict[str, str]:
        out = {"apiVersion": self.api_version, "kind": self.kind}
        if self.namespace:
            out["namespace"] = self.namespace
        if self.name:
            out["name"] = self.name
        return out


class Result(NamedTuple):
    """One outcome: what happened to which field of which resource, and why."""

    severity: Severity
    message: str
    hardening: str | None = None
    resource: ResourceRef | None = None
    field: str | None = None
    file: str | None = None
    document: int | None = None  # the document's number in ``file``, from 1
    current: Any = None
    proposed: Any = None
    line: int | None = None  # the line of ``file`` (from 1) where the document's content starts
    tag: str | None = None  # BROKEN, UNSEEN or UNDONE: what kind of note a warning is
    guard: str | None = None  # the guard whose evidence kept the hardening back (or broken)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape written by ``--results``."""
        out: dict[str, Any] = {"severity": self.severity.value, "message": self.message}
        if self.hardening:
            out["hardening"] = self.hardening
        if self.resource:
            out["resource"] = self.resource.to_dict()
        if self.field:
            out["field"] = self.field
        if self.file is not None:
            out["file"] = self.file
        if self.document is not None:
            out["document"] = self.document
        if self.line is not None:
            out["line"] = self.line
        if self.tag:
            out["tag"] = self.tag
        if self.guard:
            out["guard"] = self.guard
        return out

    def __str__(self) -> str:
        """``file: [severity] resource field: message (hardening)``: every line names its
        file (an object we could not name is shown as ``file[doc N]`` instead)."""
        where = f" {self.resource}" if self.resource else ""
        named = f"{self.file}: " if self.file is not None else ""
        if not where and self.file is not None and self.document is not None:
            where, named = f" {self.file}[doc {self.document}]", ""
        path = f" {self.field}" if self.field else ""
        tag = f" ({self.hardening})" if self.hardening else ""
        return f"{named}[{self.severity.value}]{where}{path}: {self.message}{tag}"


def said_once(results: Iterable[Result]) -> list[Result]:
    """``results`` with each statement made once, at its first place: results that differ only
    in the hardening they name say the same thing (severity, message, resource, field, place,
    tag, guard). That happens where one statement concerns several hardenings: Envoy's
    capabilities and its root filesystem (a kgateway ``omitDefaultSecurityContext``), a scope
    two hardenings share holding nothing in the stream. The first stays, under the hardening
    that runs first; ``--disable`` of that one lets the next one say it. A run's results pass
    here once (``run.pipeline``), so no emitter has to keep its own count."""
    said: set[tuple[Any, ...]] = set()
    out = []
    for r in results:
        key = (r.severity, r.message, r.resource, r.field, r.file, r.document, r.line, r.tag,
               r.guard)
        if key not in said:
            said.add(key)
            out.append(r)
    return out


def show_value(value: Any) -> str:
    """A field value as results print it, in YAML flow style: ``absent`` (no value), ``true``,
    ``[a, b]``, ``{readOnlyRootFilesystem: true}``, ``8080``, ``"80"`` (a string that would
    read as something else is quoted, JSON style)."""
    return "absent" if value is None else _flow(value)


def show_text(value: Any) -> str:
    """A value from the input inside a message's own words (a name, a label, a directive): a
    string as it is, anything else as ``show_value`` writes it (``null``, ``8080``, ``[a]``),
    never a Python repr (``None``, ``['a']``)."""
    return value if isinstance(value, str) else show_value(value)


#: A string YAML writes plain, in flow context, and reads back as the same string (a few
#: more need quotes in YAML 1.1: ``yamlio.is_ambiguous``).
_PLAIN = lazy(r"[A-Za-z_./][A-Za-z0-9_./-]*(?: [A-Za-z0-9_./-]+)*")


def _flow(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_flow, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    text = str(value)
    from gloo_harden.yamltext.yamlio import is_ambiguous

    if _PLAIN.fullmatch(text) and not is_ambiguous(text):
        return text
    import json

    return json.dumps(text, ensure_ascii=False)
