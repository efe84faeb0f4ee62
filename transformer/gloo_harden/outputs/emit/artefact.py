"""What a form returns: the files it writes and what it could not express.

``Artefact.files`` are ``(name, text)`` pairs: a folder form (``kustomize``) names each file
inside the folder; a one-file form gives exactly one, whose name is only its default.
``Unexpressed`` items become one warning result each (tag ``not-expressible``): the hardening
id, the resource, and what to do instead — never dropped silently.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from gloo_harden.resources.results import NOT_EXPRESSIBLE, ResourceRef, Result, Severity
from gloo_harden.yamltext import yamlio


class Unexpressed(NamedTuple):
    """A decision a form cannot carry: which hardening, on which resource, and why."""

    hardening: str
    ref: ResourceRef | None
    why: str  # what the form cannot do and what to use instead

    def result(self, form: str) -> Result:
        return Result(Severity.WARNING, f"emit {form}: not expressible: {self.why}",
                      hardening=self.hardening, resource=self.ref, tag=NOT_EXPRESSIBLE)


class Artefact(NamedTuple):
    files: tuple[tuple[str, str], ...]
    unexpressed: tuple[Unexpressed, ...] = ()


def block(text: str) -> Any:
    """``text`` written as a literal block scalar (``patch: |``), as people write patches."""
    from ruamel.yaml.scalarstring import LiteralScalarString

    return LiteralScalarString(text)


def to_yaml(data: Any) -> str:
    """Block-style YAML of plain ``data``; strings a YAML 1.1 reader would misread (``"on"``,
    ``"0755"``) double-quoted, so every client reads them back as strings."""
    return yamlio.dump(_quoted(data))


def _quoted(data: Any) -> Any:
    if isinstance(data, dict):
        return {_quoted(k): _quoted(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_quoted(v) for v in data]
    return yamlio.quote_if_ambiguous(data)
