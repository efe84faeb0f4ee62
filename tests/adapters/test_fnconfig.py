"""functionConfig parsing: both forms, kpt's defaults, and one precise problem per mistake."""

from __future__ import annotations

from typing import Any

import pytest

from gloo_harden.adapters import fnconfig
from gloo_harden.adapters.fnconfig import Settings
from gloo_harden import hardenings
from gloo_harden.errors import ConfigError
from gloo_harden.pipeline import Options
from gloo_harden.scopes import ScopeOptions

BASE = Options(hardenings.builtin())

IDS = ", ".join(sorted(hardenings.known_ids()))  # built-ins and the profiles' patch ids


def typed(spec: Any) -> dict[str, Any]:
    return {"apiVersion": "gloo-harden.dev/v1alpha1", "kind": "GlooHardening",
            "metadata": {"name": "harden"}, "spec": spec}


def config_map(data: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "function-input"},
            "data": data}


@pytest.mark.parametrize("config, settings", [
    (None, Settings()),
    (config_map({}), Settings()),  # kpt fn eval without arguments
    (config_map(None), Settings()),
    (typed(None), Settings()),
    (typed({"enable": ["drop-net-bind-service"], "disable": [], "strict": True,
            "sidecars": True}),
     Settings(("drop-net-bind-service",), (), True, True)),
    (config_map({"enable": "drop-net-bind-service, read-only-root-filesystem",
                 "disable": "", "strict": "true", "sidecars": "False"}),
     Settings(("drop-net-bind-service", "read-only-root-filesystem"), (), True, False)),
    (config_map({"strict": True}), Settings(strict=True)),  # a Kptfile configMap: {strict: true}
])
def test_accepted_configs(config: Any, settings: Settings) -> None:
    assert fnconfig.parse(config, Settings()) == (settings, [])


def test_config_overrides_flag_defaults_field_by_field() -> None:
    defaults = Settings(disable=("read-only-root-filesystem",), strict=True)
    settings, problems = fnconfig.parse(config_map({"sidecars": "true"}), defaults)
    assert problems == []
    assert settings == Settings(disable=("read-only-root-filesystem",), strict=True, sidecars=True)


@pytest.mark.parametrize("config, problems", [
    ("text", ["functionConfig: not a mapping; expected a GlooHardening or ConfigMap object"]),
    ({"apiVersion": "v1", "kind": "Secret"},
     ['kind: "Secret" (apiVersion "v1") is not supported; expected GlooHardening '
      "(gloo-harden.dev/v1alpha1) or ConfigMap (v1)"]),
    ({"apiVersion": "gloo-harden.dev/v1", "kind": "GlooHardening"},
     ['apiVersion: "gloo-harden.dev/v1" is not supported for kind GlooHardening; expected '
      '"gloo-harden.dev/v1alpha1"']),
    (typed({"enable": "drop-net-bind-service"}),
     ['spec.enable: the string "drop-net-bind-service"; expected a list of hardening ids']),
    (typed({"enable": ["drop-net-bind-service", "nope", 3]}),
     [f'spec.enable[1]: unknown hardening "nope"; expected one of {IDS}',
      "spec.enable[2]: the number 3; expected a non-empty string"]),
    (typed({"strict": "yes", "colour": "red"}),
     ['spec.strict: the string "yes"; expected true or false',
      "spec.colour: unknown field; expected one of disable, enable, patches, sidecars, strict"]),
    (typed(["strict"]), ["spec: not a mapping; expected fields disable, enable, patches, "
                         "sidecars, strict"]),
    ({**typed({}), "data": {}},
     ["data: unknown field; expected one of apiVersion, kind, metadata, spec"]),
    (typed({"patches": "extra"}), ['spec.patches: the string "extra"; expected a list of directories']),
    (config_map({"disable": "drop-net-bind"}),
     [f'data.disable: unknown hardening "drop-net-bind"; expected one of {IDS}']),
    (config_map({"strict": "maybe"}), ['data.strict: "maybe" is not a boolean; expected "true" or "false"']),
    (config_map({"dropNetBind": "true"}),
     ["data.dropNetBind: unknown key; expected one of disable, enable, patches, sidecars, strict"]),
    (config_map(["a"]), ["data: a list; expected a mapping of strings"]),
    (config_map({"strict": 1}), ["data.strict: the number 1; expected a string"]),
])
def test_each_problem_names_the_field_and_the_accepted_values(config: Any,
                                                              problems: list[str]) -> None:
    settings, found = fnconfig.parse(config, Settings())
    assert [str(p) for p in found] == problems


def test_patches_must_be_existing_folders(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "extra").mkdir()
    monkeypatch.chdir(tmp_path)
    settings, problems = fnconfig.parse(config_map({"patches": "extra,missing"}), Settings())
    assert settings.patches == ("extra",)
    (problem,) = problems
    assert problem.field == "data.patches"
    assert problem.message.startswith('"missing" is not a directory')


def test_options_follow_the_settings() -> None:
    options = fnconfig.options(Settings(disable=("drop-net-bind-service",), strict=True,
                                        sidecars=True), BASE)
    assert [h.id for h in options.hardenings] == ["disable-sa-token-automount",
                                                  "read-only-root-filesystem",
                                                  "disable-kubernetes-destinations"]
    assert options.strict and options.scope.sidecars


def test_options_refuse_unknown_ids_from_flags() -> None:
    with pytest.raises(ConfigError):
        fnconfig.options(Settings(enable=("nope",)), BASE)


def test_options_keep_what_the_command_line_set() -> None:
    base = Options(hardenings.builtin(), scope=ScopeOptions(sidecars=False))
    options = fnconfig.options(Settings(sidecars=True), base)
    assert options.scope.sidecars and options.hardenings == base.hardenings
    assert options.patches == base.patches


def test_patch_folders_from_the_config_are_loaded(tmp_path: Any) -> None:
    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "pull-policy.yaml").write_text(
        "apiVersion: gloo-harden.dev/v1alpha1\nkind: Hardening\nmetadata:\n"
        "  name: always-pull-proxy-image\nsummary: Always pull the proxy image.\n"
        "description: Sets imagePullPolicy Always on the proxy container.\n"
        "scope: proxy-container\nstrategic:\n  imagePullPolicy: Always\n")
    options = fnconfig.options(Settings(patches=(str(folder),)), BASE)
    assert [h.id for h in options.patches] == ["always-pull-proxy-image"]


def test_profile_patch_ids_choose_profile_patches() -> None:
    base = Options(hardenings.builtin(), patches=hardenings.user_patches(profile_names=["restricted"]))
    settings, problems = fnconfig.parse(typed({"enable": ["restricted-seccomp"]}), Settings())
    assert problems == []
    chosen = fnconfig.options(settings, base)
    assert chosen.hardenings == () and [p.id for p in chosen.patches] == ["restricted-seccomp"]
