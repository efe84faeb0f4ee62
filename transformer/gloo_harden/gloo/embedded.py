"""Gloo custom resources the chart hides inside other objects.

Since 1.12 the default Gateways (which carry ``bindPort``) are not documents of their own:
1.12–1.13 apply them from a heredoc in the ``gloo-resource-rollout`` Job's shell script, and
1.14+ keep them in ConfigMap ``gloo-custom-resource-config`` under ``data.custom-resources``.
"""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

import functools
import re
from typing import Any, NamedTuple

from gloo_harden.errors import InputError
from gloo_harden.patterns import lazy
from gloo_harden.resources.model import Resource
from gloo_harden.resources.podspec import containers, items, mapping, pod_spec
from gloo_harden.resources.results import show_text
from gloo_harden.yamltext import limits, yamlio

CUSTOM_RESOURCE_CONFIGMAP = "gloo-custom-resource-config"
_HEREDOC = lazy(r"<<-?\s*['\"]?(\w+)['\"]?[^\n]*\n(.*?)\n[ \t]*\1[ \t]*$", re.S | re.M)


class Embedded(NamedTuple):
    """One object found inside another, with a description of where."""

    origin: str
    data: dict[str, Any]
    resource: Resource | None = None  # the object it was found in


def find(resources: list[Resource]) -> tuple[list[Embedded], list[str]]:
    """All embedded objects, and a note for each embedded text that could not be parsed."""
    found: list[Embedded] = []
    unparsed: list[str] = []
    for resource in resources:
        for origin, text in _texts(resource):
            try:
                documents = _parse(text, origin, limits.active())
            except InputError:
                unparsed.append(origin)
                continue
            found.extend(Embedded(origin, d, resource) for d in documents)
    return found, unparsed


@functools.lru_cache(maxsize=1024)
def _parse(text: str, origin: str, _limits: limits.Limits) -> tuple[dict[str, Any], ...]:
    """The objects in one embedded text, as plain data (read-only for callers).

    Cached (per text, origin and parse limits): guards call ``find`` once per target, so
    without it a stream with many proxies re-parses every embedded text once per proxy
    (quadratic in the stream size).
    """
    return tuple(d for d in yamlio.load_all_plain(text, origin)
                 if isinstance(d, dict) and d.get("kind"))


def _texts(resource: Resource) -> list[tuple[str, str]]:
    where = f"{resource.kind} {resource.namespace or '-'}/{resource.name}"
    if resource.kind == "ConfigMap" and resource.name == CUSTOM_RESOURCE_CONFIGMAP:
        text = mapping(resource.tree.get("data")).get("custom-resources")
        return [(f"{where} data.custom-resources", str(text))] if text else []
    if resource.kind == "Job":
        located = pod_spec(resource.tree, resource.kind)
        scripts = []
        for container in containers(located[0]) if located else []:
            for part in items(container.get("command")) + items(container.get("args")):
                for match in _HEREDOC.finditer(str(part)):
                    body = _dedent(match.group(2))
                    name = show_text(container.get("name"))
                    scripts.append((f"{where} container {name} script", body))
        return scripts
    return []


def _dedent(text: str) -> str:
    import textwrap  # only for a rollout Job's heredoc (Gloo 1.12-1.13)

    return textwrap.dedent(text)
