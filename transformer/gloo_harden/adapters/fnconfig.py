"""functionConfig: what a KRM client or kustomize hands us as configuration, checked strictly.

Two forms are accepted:

- our own kind, ``apiVersion: gloo-harden.dev/v1alpha1``, ``kind: GlooHardening``, with
  ``spec: {enable: [ID…], disable: [ID…], strict: bool, sidecars: bool, patches: [DIR…]}``;
- a ``ConfigMap``, which is what ``kpt fn eval -- key=value`` and a Kptfile ``configMap:`` send:
  every value is a string (``enable: "a,b"``, ``strict: "true"``). kpt's no-argument default,
  an empty ConfigMap named ``function-input``, means "all defaults".

Every problem is reported with the field it is in and the accepted values, so one run shows
all of them.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from gloo_harden import hardenings
from gloo_harden.pipeline import Options

API_VERSION = "gloo-harden.dev/v1alpha1"
KIND = "GlooHardening"
SPEC_FIELDS = ("disable", "enable", "patches", "sidecars", "strict")
_LISTS = ("disable", "enable", "patches")
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0", "")


class Settings(NamedTuple):
    """The choices a configuration can make; command-line flags give the defaults."""

    enable: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    strict: bool = False
    sidecars: bool = False
    patches: tuple[str, ...] = ()


class Problem(NamedTuple):
    """One thing wrong with the configuration: the field and the message."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def parse(config: Any, defaults: Settings) -> tuple[Settings, list[Problem]]:
    """Read ``config`` (a functionConfig object or None) on top of ``defaults``."""
    if config is None:
        return defaults, []
    if not isinstance(config, dict):
        return defaults, [Problem("functionConfig", "not a mapping; expected a GlooHardening "
                                  "or ConfigMap object")]
    kind, api_version = config.get("kind"), config.get("apiVersion")
    if kind == "ConfigMap" and api_version == "v1":
        values, problems = _from_config_map(config.get("data"))
    elif kind == KIND and api_version == API_VERSION:
        values, problems = _from_spec(config)
    elif kind == KIND:
        return defaults, [Problem("apiVersion", f'"{api_version}" is not supported for kind '
                                  f'{KIND}; expected "{API_VERSION}"')]
    else:
        return defaults, [Problem("kind", f'"{kind}" (apiVersion "{api_version}") is not '
                                  f'supported; expected {KIND} ({API_VERSION}) or ConfigMap (v1)')]
    return defaults._replace(**values), problems


def _from_spec(config: dict[Any, Any]) -> tuple[dict[str, Any], list[Problem]]:
    problems = [Problem(str(key), "unknown field; expected one of apiVersion, kind, "
                        "metadata, spec") for key in config
                if key not in ("apiVersion", "kind", "metadata", "spec")]
    spec = config.get("spec")
    if spec is None:
        return {}, problems
    if not isinstance(spec, dict):
        return {}, problems + [Problem("spec", "not a mapping; expected fields "
                                       + ", ".join(SPEC_FIELDS))]
    values: dict[str, Any] = {}
    for key, value in spec.items():
        where = f"spec.{key}"
        if key not in SPEC_FIELDS:
            problems.append(Problem(where, "unknown field; expected one of "
                                    + ", ".join(SPEC_FIELDS)))
        elif key in _LISTS:
            if not isinstance(value, list):
                problems.append(Problem(where, f"{_shape(value)}; expected a list of "
                                        + ("directories" if key == "patches" else "hardening ids")))
            else:
                values[key] = _checked(key, where, [(f"{where}[{i}]", v) for i, v in enumerate(value)],
                                       problems)
        elif isinstance(value, bool):
            values[key] = value
        else:
            problems.append(Problem(where, f"{_shape(value)}; expected true or false"))
    return values, problems


def _from_config_map(data: Any) -> tuple[dict[str, Any], list[Problem]]:
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [Problem("data", f"{_shape(data)}; expected a mapping of strings")]
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key, value in data.items():
        where = f"data.{key}"
        text = str(value).lower() if isinstance(value, bool) else value
        if key not in SPEC_FIELDS:
            problems.append(Problem(where, "unknown key; expected one of "
                                    + ", ".join(SPEC_FIELDS)))
        elif not isinstance(text, str):
            problems.append(Problem(where, f"{_shape(value)}; expected a string"))
        elif key in _LISTS:
            items = [item.strip() for item in text.split(",") if item.strip()]
            values[key] = _checked(key, where, [(where, item) for item in items], problems)
        elif text.strip().lower() in _TRUE + _FALSE:
            values[key] = text.strip().lower() in _TRUE
        else:
            problems.append(Problem(where, f'"{text}" is not a boolean; expected "true" or "false"'))
    return values, problems


def _checked(key: str, where: str, items: list[tuple[str, Any]],
             problems: list[Problem]) -> tuple[str, ...]:
    """The valid entries of a list field; each invalid one becomes a problem."""
    good: list[str] = []
    for path, item in items:
        if not isinstance(item, str) or not item:
            problems.append(Problem(path, f"{_shape(item)}; expected a non-empty string"))
        elif key == "patches" and not os.path.isdir(item):
            problems.append(Problem(path, f'"{item}" is not a directory (relative paths start at '
                                    f"{os.getcwd()}); expected a folder of patch files"))
        elif key != "patches" and item not in hardenings.known_ids():
            problems.append(Problem(path, f'unknown hardening "{item}"; expected one of '
                                    + ", ".join(sorted(hardenings.known_ids()))))
        else:
            good.append(item)
    return tuple(good)


def _shape(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f'the string "{value}"'
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null"


def options(settings: Settings, base: Options) -> Options:
    """``base`` (the command line's options: limits, ``--patches``, profiles) with the choices
    of ``settings``; patch folders named in the configuration run after the command line's."""
    patches = base.patches + (hardenings.user_patches(settings.patches) if settings.patches else ())
    return base._replace(
        hardenings=hardenings.select(settings.enable, settings.disable, patches),
        patches=hardenings.chosen_patches(patches, settings.enable, settings.disable),
        strict=settings.strict, scope=base.scope._replace(sidecars=settings.sidecars))
