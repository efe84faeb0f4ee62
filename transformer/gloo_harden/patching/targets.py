"""Kustomize-style targets for user patches: which whole resources a patch applies to.

```yaml
target:
  group: apps               # "" is the core group; a field left out matches anything
  version: v1
  kind: Deployment
  name: gateway-proxy.*     # name, namespace, kind, group and version are anchored regexes,
  namespace: gloo-system    # as in kustomize
  labelSelector: "gloo=gateway-proxy,app in (gloo),!skip"
  annotationSelector: "team!=payments"
```

Selectors use the Kubernetes label-selector syntax: ``k=v``, ``k==v``, ``k!=v``,
``k in (a,b)``, ``k notin (a,b)``, ``k`` (exists) and ``!k`` (does not exist), joined by commas.
"""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

import re
from typing import Any, NamedTuple

from gloo_harden.errors import PatchError
from gloo_harden.patterns import lazy
from gloo_harden.resources.model import Resource

FIELDS = ("group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector")
_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_SET = lazy(rf"^({_KEY})\s+(in|notin)\s*\(([^()]*)\)$")
_COMPARE = lazy(rf"^({_KEY})\s*(==|=|!=)\s*(\S*)$")


class Requirement(NamedTuple):
    """One term of a selector: ``key op values``."""

    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "exists":
            return present
        if self.op == "!exists":
            return not present
        if self.op in ("=", "in"):
            return present and value in self.values
        return not present or value not in self.values  # "!=", "notin"


class Selector(NamedTuple):
    """A parsed ``target``: every field given must match."""

    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    labels: tuple[Requirement, ...] = ()
    annotations: tuple[Requirement, ...] = ()

    def matches(self, resource: Resource) -> bool:
        version = resource.api_version.rpartition("/")[2]
        actual = {"group": resource.group, "version": version, "kind": resource.kind,
                  "name": resource.name or "", "namespace": resource.namespace or ""}
        if any(not pattern.fullmatch(actual[field]) for field, pattern in self.patterns):
            return False
        return all(r.matches(resource.labels) for r in self.labels) and \
            all(r.matches(resource.annotations) for r in self.annotations)

    def describe(self) -> str:
        parts = [f"{field}={pattern.pattern}" for field, pattern in self.patterns]
        parts += [f"labels {_show(self.labels)}"] if self.labels else []
        parts += [f"annotations {_show(self.annotations)}"] if self.annotations else []
        return ", ".join(parts) or "every resource"


def parse(data: Any, where: str) -> Selector:
    """Validate and compile a ``target`` mapping; errors name ``where`` and the field."""
    if not isinstance(data, dict) or not data:
        raise PatchError(f"{where}: expected a mapping with some of {', '.join(FIELDS)}")
    unknown = sorted(str(k) for k in data if k not in FIELDS)
    if unknown:
        raise PatchError(f"{where}.{unknown[0]}: unknown key; expected one of "
                         + ", ".join(sorted(FIELDS)))
    patterns = []
    for field in FIELDS[:5]:
        if field in data:
            patterns.append((field, _regex(data[field], f"{where}.{field}")))
    return Selector(tuple(patterns),
                    parse_selector(data.get("labelSelector"), f"{where}.labelSelector"),
                    parse_selector(data.get("annotationSelector"), f"{where}.annotationSelector"))


def parse_selector(text: Any, where: str) -> tuple[Requirement, ...]:
    """Parse ``a=b,c!=d,e in (x,y),!f,g``; an empty or missing selector matches everything."""
    if text is None:
        return ()
    if not isinstance(text, str):
        raise PatchError(f"{where}: expected a selector string such as \"gloo=gateway-proxy\"")
    return tuple(_term(term.strip(), where) for term in _split(text, where) if term.strip())


def _term(term: str, where: str) -> Requirement:
    if match := _SET.match(term):
        values = tuple(v.strip() for v in match.group(4).split(","))
        if not all(values) or not all(re.fullmatch(_VALUE, v) for v in values):
            raise PatchError(f"{where}: invalid value list in \"{term}\"; expected "
                             "\"key in (a,b)\" with non-empty values")
        return Requirement(match.group(1), match.group(3), values)
    if match := _COMPARE.match(term):
        value = match.group(4)
        if not re.fullmatch(_VALUE, value):
            raise PatchError(f"{where}: invalid value \"{value}\" in \"{term}\"; expected "
                             "letters, digits, '-', '_' or '.'")
        return Requirement(match.group(1), "!=" if match.group(3) == "!=" else "=", (value,))
    if re.fullmatch(_KEY, term):
        return Requirement(term, "exists")
    if term.startswith("!") and re.fullmatch(_KEY, term[1:].strip()):
        return Requirement(term[1:].strip(), "!exists")
    raise PatchError(f"{where}: cannot parse \"{term}\"; expected key=value, key!=value, "
                     "key in (a,b), key notin (a,b), key or !key")


def _split(text: str, where: str) -> list[str]:
    """Split on the commas that are not inside ``( )``."""
    terms, depth, start = [], 0, 0
    for at, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth not in (0, 1):
            raise PatchError(f"{where}: unbalanced parentheses in \"{text}\"")
        if char == "," and depth == 0:
            terms.append(text[start:at])
            start = at + 1
    if depth:
        raise PatchError(f"{where}: unbalanced parentheses in \"{text}\"")
    return terms + [text[start:]]


def _regex(value: Any, where: str) -> re.Pattern[str]:
    if not isinstance(value, str):
        raise PatchError(f"{where}: expected a string (a name or an anchored regex)")
    try:
        return re.compile(value)
    except re.error as exc:
        raise PatchError(f"{where}: invalid regex \"{value}\" ({exc}); expected a Go/Python "
                         "regular expression such as \"gateway-.*\"") from None


def _show(requirements: tuple[Requirement, ...]) -> str:
    return ",".join(f"{r.key} {r.op} {'|'.join(r.values)}".strip() for r in requirements)


def select(resources: list[Resource], selector: Selector) -> list[Any]:
    """The ``scopes.Target`` of every resource the selector matches, in stream order."""
    from gloo_harden.patching.schema import KIND_TYPES
    from gloo_harden.scopes import Target

    return [Target("target", r, r.tree, r.field(""), KIND_TYPES.get(r.kind, "CustomResource"),
                   f"{r.kind} {r.name or '-'}")
            for r in resources if selector.matches(r)]
