"""User patch files (--patches DIR): targets, validation, unmatched patches, undoing built-ins."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import EMPTY_CLUSTER, REPO, empty_cluster, run_tool
from gloo_harden.errors import PatchError
from gloo_harden.patching import targets
from gloo_harden.resources.results import Severity
from gloo_harden.run import hardenings, pipeline

RENDERED = REPO / "examples" / "user-patches" / "rendered.yaml"
HEAD = "apiVersion: gloo-harden.dev/v1alpha1\nkind: Hardening\n"


def _write(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(HEAD + body)
    return path


def _run(folder: Path, text: str | None = None, **options: bool) -> pipeline.Outcome:
    data = (text or RENDERED.read_text()).encode()
    patches = hardenings.user_patches([str(folder)])
    return pipeline.harden([pipeline.Source("in.yaml", data)],
                           pipeline.Options(hardenings.builtin(), patches=patches,
                                            evidence=empty_cluster(), **options))


@pytest.mark.parametrize("selector, labels, expected", [
    ("app=gloo", {"app": "gloo"}, True),
    ("app==gloo,gloo!=x", {"app": "gloo", "gloo": "gateway-proxy"}, True),
    ("gloo in (a, gateway-proxy)", {"gloo": "gateway-proxy"}, True),
    ("gloo notin (gateway-proxy)", {"gloo": "gateway-proxy"}, False),
    ("!skip", {"skip": ""}, False),
    ("skip", {"skip": ""}, True),
    ("a!=b", {}, True),
    ("app=gloo,!skip,gloo in (x,y)", {"app": "gloo", "gloo": "y"}, True),
])
def test_selectors(selector: str, labels: dict[str, str], expected: bool) -> None:
    requirements = targets.parse_selector(selector, "t")
    assert all(r.matches(labels) for r in requirements) is expected


@pytest.mark.parametrize("selector", ["a in (b", "a in ()", "=b", "a=b=c", "a in (b),,c=d!"])
def test_bad_selectors_name_the_field(selector: str) -> None:
    with pytest.raises(PatchError, match=r"^f: target.labelSelector: "):
        targets.parse({"labelSelector": selector}, "f: target")


def test_target_on_a_kind_no_hardening_reads_keeps_comments(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "metadata: {name: sa-label}\ntarget: {kind: ServiceAccount, "
           "name: gateway-.*}\njson6902:\n- {op: add, path: /metadata/labels/x, value: 'on'}\n")
    text = "# top comment\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gateway-proxy" \
           "  # keep\n  labels: {a: b}\n---\napiVersion: rbac.authorization.k8s.io/v1\n" \
           "kind: ClusterRole\nmetadata: {name: r}\n"
    outcome = _run(tmp_path, text)
    assert "# top comment" in outcome.text and "# keep" in outcome.text
    assert "x: 'on'" in outcome.text or 'x: "on"' in outcome.text
    assert outcome.text.endswith("kind: ClusterRole\nmetadata: {name: r}\n")


def test_patches_apply_after_builtins_in_file_name_order(tmp_path: Path) -> None:
    body = "metadata: {{name: {0}}}\nscope: proxy-container\nstrategic: {{image: {0}}}\n"
    _write(tmp_path, "20-b.yaml", body.format("second"))
    _write(tmp_path, "10-a.yaml", body.format("first"))
    outcome = _run(tmp_path)
    assert "image: second" in outcome.text
    ids = [r.hardening for r in outcome.results if r.field]
    assert ids.index("drop-net-bind-service") < ids.index("first") < ids.index("second")


def test_missing_list_element_is_reported_unless_created(tmp_path: Path) -> None:
    body = ("metadata: {{name: sidecar}}\ntarget: {{kind: Deployment}}\n{0}strategic:\n  spec:\n"
            "    template:\n      spec:\n        containers: [{{name: typo, image: x}}]\n")
    _write(tmp_path, "a.yaml", body.format(""))
    outcome = _run(tmp_path)
    assert "typo" not in outcome.text
    assert any(r.severity is Severity.WARNING and "containers[name=typo] not found" in r.message
               for r in outcome.results)
    _write(tmp_path, "a.yaml", body.format("createMissing: true\n"))
    assert "name: typo" in _run(tmp_path).text


def test_unmatched_is_a_warning_or_an_error(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "metadata: {name: none}\ntarget: {kind: Deployment, name: nope}\n"
           "strategic: {spec: {replicas: 2}}\n")
    (warning,) = [r for r in _run(tmp_path).results if r.hardening == "none"]
    assert warning.severity is Severity.WARNING and "matched nothing" in warning.message
    (error,) = [r for r in _run(tmp_path, fail_on_unmatched=True).results if r.hardening == "none"]
    assert error.severity is Severity.ERROR
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--fail-on-unmatched", "--patches", str(tmp_path), str(RENDERED))
    assert done.returncode == 1 and b"matched nothing" in done.stderr


def test_undoing_a_builtin_is_a_warning_naming_both(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "metadata: {name: writable}\nscope: proxy-container\nstrategic:\n"
           "  securityContext: {readOnlyRootFilesystem: false, capabilities: {add: [NET_BIND_SERVICE]}}\n")
    warnings = [r.message for r in _run(tmp_path).results if r.severity is Severity.WARNING
                and r.hardening == "writable"]
    assert any("undoes built-in hardening read-only-root-filesystem" in m for m in warnings)
    assert any("undoes built-in hardening drop-net-bind-service" in m for m in warnings)


def test_a_patch_that_changes_other_fields_is_not_an_undo(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "metadata: {name: fine}\nscope: proxy-container\n"
           "strategic: {securityContext: {runAsUser: 20000}}\n")
    assert not [r for r in _run(tmp_path).results if "undoes" in r.message]


@pytest.mark.parametrize("body, message", [
    ("metadata: {name: a}\nscope: proxy-container\nstrategic: {}\ncolour: red\n",
     'unknown key "colour"'),
    ("metadata: {name: a}\nscope: proxy-kontainer\nstrategic: {}\n",
     'scope: unknown id "proxy-kontainer"'),
    ("metadata: {name: a}\nscope: proxy-pod\nguards: [no-such-guard]\nstrategic: {}\n",
     'guards: unknown id "no-such-guard"'),
    ("metadata: {name: a}\ntarget: {kind: Deployment, labelSelector: 'a in (b'}\nstrategic: {}\n",
     "target.labelSelector: unbalanced parentheses"),
    ("metadata: {name: a}\ntarget: {kind: Deployment, colour: red}\nstrategic: {}\n",
     "target.colour: unknown key"),
    ("metadata: {name: a}\nscope: proxy-pod\ntarget: {kind: Deployment}\nstrategic: {}\n",
     "scope and target are both given"),
    ("metadata: {name: a}\ntarget: {kind: Deployment}\njson6902:\n"
     "- {op: replace, path: /spec/nope/deeper, value: 1}\n",
     'json6902[0].path "/spec/nope/deeper": "/spec/nope" does not exist'),
    ("metadata: {name: drop-net-bind-service}\nscope: proxy-pod\nstrategic: {}\n",
     'metadata.name "drop-net-bind-service" is already used'),
])
def test_invalid_patch_files_exit_2_naming_file_and_field(tmp_path: Path, body: str,
                                                          message: str) -> None:
    path = _write(tmp_path, "bad.yaml", body)
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--patches", str(tmp_path), str(RENDERED))
    assert done.returncode == 2 and done.stdout == b""
    (line,) = done.stderr.decode().splitlines()
    assert str(path) in line and message in line


def test_missing_patches_folder_is_exit_2(tmp_path: Path) -> None:
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--patches", str(tmp_path / "nope"), str(RENDERED))
    assert done.returncode == 2 and b"not a directory" in done.stderr


def test_enable_and_disable_know_patch_ids(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "metadata: {name: mine}\nscope: proxy-container\n"
           "strategic: {image: mine}\n")
    kept = run_tool("--evidence", str(EMPTY_CLUSTER), "--disable", "mine", "--patches", str(tmp_path), str(RENDERED))
    assert kept.returncode == 0 and b"image: mine" not in kept.stdout
    only = run_tool("--evidence", str(EMPTY_CLUSTER), "--enable", "restricted-seccomp", "--profile", "restricted", str(RENDERED))
    assert only.returncode == 0
    assert b"type: RuntimeDefault" in only.stdout and b"NET_BIND_SERVICE" in only.stdout
    unknown = run_tool("--evidence", str(EMPTY_CLUSTER), "--disable", "mine", str(RENDERED))
    assert unknown.returncode == 2 and b'hardening "mine": unknown id' in unknown.stderr
