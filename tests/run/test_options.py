"""options: the one table of choices; flags and functionConfig (both forms) become one Request
and one pipeline Options, and every mistake is one precise problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import REPO
from gloo_harden.errors import ConfigError, PatchError
from gloo_harden.run import hardenings, options
from gloo_harden.run.options import CONFIG_KEYS, FIELDS, ConfigProblems, Request, resolve

BUILTINS = ", ".join(sorted(hardenings.BUILTIN))
KEYS = ", ".join(CONFIG_KEYS)
PATCH = ("apiVersion: gloo-harden.dev/v1alpha1\nkind: Hardening\nmetadata:\n"
         "  name: always-pull-proxy-image\nsummary: Always pull the proxy image.\n"
         "description: Sets imagePullPolicy Always on the proxy container.\n"
         "scope: proxy-container\nstrategic:\n  imagePullPolicy: Always\n")


def typed(spec: Any) -> dict[str, Any]:
    return {"apiVersion": "gloo-harden.dev/v1alpha1", "kind": "GlooHardening",
            "metadata": {"name": "harden"}, "spec": spec}


def config_map(data: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "function-input"},
            "data": data}


def chosen(config: Any, request: Request = Request()) -> Request:
    return resolve(request, config)[0]


def problems(config: Any) -> list[str]:
    with pytest.raises(ConfigProblems) as caught:
        resolve(Request(), config)
    return [str(p) for p in caught.value.problems]


def patch_folder(tmp_path: Path, name: str = "extra") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "pull-policy.yaml").write_text(PATCH)
    return folder


def test_the_table_names_every_request_field_once() -> None:
    assert sorted(f.name for f in FIELDS) == sorted(set(Request._fields) - {"files"})
    assert len(CONFIG_KEYS) == len(set(CONFIG_KEYS))
    for field in FIELDS:  # a functionConfig can spell only switches, lists and releases
        assert field.key is None or field.kind in (options.Kind.SWITCH, options.Kind.RELEASE) \
            or field.kind.is_list


def test_every_config_key_is_documented() -> None:
    text = (REPO / "image" / "README.md").read_text()  # the function's documentation
    for key in CONFIG_KEYS:
        assert f"| `{key}` |" in text and f"\n  {key}:" in text, key


def test_the_issue_s_fields_are_configurable() -> None:
    assert {"check", "strict", "enable", "disable", "sidecars", "profile",
            "patches"} <= set(CONFIG_KEYS)


@pytest.mark.parametrize("config, request_", [
    (None, Request()),
    (config_map({}), Request()),  # kpt fn eval without arguments
    (config_map(None), Request()),
    (typed(None), Request()),
    (typed({"enable": ["drop-net-bind-service"], "disable": [], "strict": True,
            "sidecars": True, "check": True, "validateAll": True, "failOnUnmatched": True,
            "profile": ["restricted"]}),
     Request(enable=("drop-net-bind-service",), strict=True, sidecars=True, check=True,
             validate_all=True, fail_on_unmatched=True, profile_names=("restricted",))),
    (config_map({"enable": "drop-net-bind-service, read-only-root-filesystem",
                 "disable": "", "strict": "true", "sidecars": "False", "check": "yes",
                 "profile": "restricted"}),
     Request(enable=("drop-net-bind-service", "read-only-root-filesystem"), strict=True,
             check=True, profile_names=("restricted",))),
    (config_map({"strict": True}), Request(strict=True)),  # a Kptfile configMap: {strict: true}
])
def test_accepted_configs(config: Any, request_: Request) -> None:
    assert chosen(config) == request_


def test_config_overrides_flags_field_by_field() -> None:
    flags = Request(disable=("read-only-root-filesystem",), strict=True, quiet=True)
    assert chosen(config_map({"sidecars": "true", "strict": "false"}), flags) == \
        flags._replace(sidecars=True, strict=False)


def test_config_folders_and_profiles_run_after_the_flags(tmp_path: Path) -> None:
    first, second = patch_folder(tmp_path, "first"), tmp_path / "second"
    second.mkdir()
    flags = Request(patch_dirs=(str(first),), profile_names=("restricted",))
    request, run = resolve(flags, typed({"patches": [str(second)], "profile": ["restricted"]}))
    assert request.patch_dirs == (str(first), str(second))
    assert request.profile_names == ("restricted",)  # named twice, applied once
    assert [p.id for p in run.patches][-1] == "always-pull-proxy-image"


@pytest.mark.parametrize("config, expected", [
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
     ["spec.enable[2]: the number 3; expected a non-empty string",
      f'spec.enable[1]: unknown hardening "nope"; expected one of {BUILTINS}']),
    (typed({"strict": "yes", "colour": "red"}),
     ['spec.strict: the string "yes"; expected true or false',
      f"spec.colour: unknown field; expected one of {KEYS}"]),
    (typed(["strict"]), [f"spec: not a mapping; expected fields {KEYS}"]),
    ({**typed({}), "data": {}},
     ["data: unknown field; expected one of apiVersion, kind, metadata, spec"]),
    (typed({"patches": "extra"}), ['spec.patches: the string "extra"; expected a list of '
                                   "directories"]),
    (typed({"profile": "restricted"}), ['spec.profile: the string "restricted"; expected a '
                                        "list of profile names"]),
    (typed({"profile": ["lax"]}), ['spec.profile[0]: unknown profile "lax"; expected one of '
                                   "restricted"]),
    (config_map({"disable": "drop-net-bind"}),
     [f'data.disable: unknown hardening "drop-net-bind"; expected one of {BUILTINS}']),
    (config_map({"strict": "maybe"}), ['data.strict: "maybe" is not a boolean; expected "true" '
                                       'or "false"']),
    (config_map({"dropNetBind": "true"}),
     [f"data.dropNetBind: unknown key; expected one of {KEYS}"]),
    (config_map({"output": "x.yaml"}),  # flags only: nowhere to write inside a function
     [f"data.output: unknown key; expected one of {KEYS}"]),
    (config_map(["a"]), ["data: a list; expected a mapping of strings"]),
    (config_map({"strict": 1}), ["data.strict: the number 1; expected a string"]),
])
def test_each_problem_names_the_field_and_the_accepted_values(config: Any,
                                                              expected: list[str]) -> None:
    assert problems(config) == expected


def test_patches_must_be_existing_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "extra").mkdir()
    monkeypatch.chdir(tmp_path)
    (problem,) = problems(config_map({"patches": "extra,missing"}))
    assert problem.startswith('data.patches: "missing" is not a directory')
    assert "a mounted folder" in problem


def test_options_follow_the_choices() -> None:
    _, run = resolve(Request(disable=("drop-net-bind-service",), strict=True, sidecars=True))
    assert [h.id for h in run.hardenings] == [hid for hid in hardenings.BUILTIN
                                              if hid != "drop-net-bind-service"]
    assert run.strict and run.scope.sidecars


def test_unknown_ids_and_folders_from_flags_are_errors() -> None:
    with pytest.raises(ConfigError, match='hardening "nope": unknown id; expected one of '):
        resolve(Request(enable=("nope",)))
    with pytest.raises(PatchError, match="--patches /no/such: not a directory"):
        resolve(Request(patch_dirs=("/no/such",)))


def test_patch_folders_from_the_config_are_loaded(tmp_path: Path) -> None:
    _, run = resolve(Request(), typed({"patches": [str(patch_folder(tmp_path))]}))
    assert [h.id for h in run.patches] == ["always-pull-proxy-image"]


def test_config_ids_may_name_patches_from_config_folders(tmp_path: Path) -> None:
    folder = str(patch_folder(tmp_path))
    _, run = resolve(Request(), typed({"patches": [folder],
                                       "disable": ["always-pull-proxy-image"]}))
    assert run.patches == () and len(run.hardenings) == len(hardenings.BUILTIN)


def test_profile_patch_ids_choose_profile_patches() -> None:
    _, run = resolve(Request(profile_names=("restricted",)),
                     typed({"enable": ["restricted-seccomp"]}))
    assert run.hardenings == () and [p.id for p in run.patches] == ["restricted-seccomp"]


def test_patch_files_are_loaded_once_per_run(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    real = hardenings.user_patches
    monkeypatch.setattr(hardenings, "user_patches",
                        lambda *a, **k: calls.append(a) or real(*a, **k))
    resolve(Request(patch_dirs=(str(patch_folder(tmp_path)),)),
            config_map({"profile": "restricted", "strict": "true"}))
    assert len(calls) == 1


def test_every_flag_is_in_help_with_the_table_s_text() -> None:
    from click.testing import CliRunner

    from gloo_harden import cli

    shown = CliRunner().invoke(cli.harden_command, ["--help"], terminal_width=200).output
    for field in FIELDS:
        assert field.flags[-1] in shown and field.help.split(" (")[0][:40] in shown


def test_istio_injected_namespaces_from_flags_and_both_config_forms() -> None:
    assert chosen(typed({"istioInjected": ["gloo-system", "all"]})).istio_injected == (
        "gloo-system", "all")
    assert chosen(config_map({"istioInjected": "gloo-system, edge"})).istio_injected == (
        "gloo-system", "edge")
    _, run = resolve(Request(istio_injected=("gloo-system",)))
    assert run.scope.istio_injected == ("gloo-system",)
    assert problems(typed({"istioInjected": ["Gloo_System"]})) == [
        'spec.istioInjected[0]: "Gloo_System" is not a namespace name; expected a DNS label '
        '(lower-case letters, digits, "-") or all']
    with pytest.raises(ConfigError, match='--istio-injected "x.y": not a namespace name'):
        resolve(Request(istio_injected=("x.y",)))
