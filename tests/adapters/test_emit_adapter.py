"""``gloo-harden emit``: the same run as a normal one, then the artefact, its stamp, the
not-expressible lines, ``-o`` and ``--check`` (the installed script, as a user runs it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import pinned, run_tool

RENDER = Path(__file__).parents[1] / "data" / "emit" / "gloo-render.yaml"
STAMP = re.compile(r"^# gloo-harden \S+ emit (\w+); release gloo-1\.22\.1; "
                   r"input sha256:[0-9a-f]{64}$", re.MULTILINE)


def _emit(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    done = run_tool("emit", *args, cwd=cwd)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def _render(tmp_path: Path, text: str | None = None) -> Path:
    path = tmp_path / "render.yaml"
    path.write_text(RENDER.read_text() if text is None else text)
    return path


def test_results_and_summary_are_a_normal_runs(tmp_path: Path) -> None:
    render = _render(tmp_path)
    normal = run_tool(str(render)).stderr.decode().splitlines()
    code, _, stderr = _emit("flux", str(render))
    assert code == 0
    assert stderr.splitlines() == normal  # nothing the form cannot carry here


def test_kustomize_writes_a_stamped_component_in_a_new_folder(tmp_path: Path) -> None:
    render = _render(tmp_path)
    out = tmp_path / "deep" / "hardening"
    code, stdout, _ = _emit("kustomize", str(render), "-o", str(out))
    assert (code, stdout) == (0, "")
    names = sorted(p.name for p in out.iterdir())
    assert names == ["kustomization.yaml", "patch-deployment-gloo-system-gateway-proxy.yaml",
                     "patch-serviceaccount-gloo-system-gateway-proxy.yaml",
                     "patch-settings-gloo-system-default.yaml"]
    for name in names:
        assert STAMP.match((out / name).read_text()), name
    component = yaml.safe_load((out / "kustomization.yaml").read_text())
    assert component["kind"] == "Component"
    assert component["metadata"]["annotations"]["gloo-harden.dev/release"] == "gloo-1.22.1"
    assert re.fullmatch(r"sha256:[0-9a-f]{64}",
                        component["metadata"]["annotations"]["gloo-harden.dev/input-hash"])


def test_flux_is_one_postrenderer_with_one_patch_per_target(tmp_path: Path) -> None:
    code, stdout, _ = _emit("flux", str(_render(tmp_path)))
    assert code == 0 and STAMP.match(stdout)
    (renderer,) = yaml.safe_load(stdout)["postRenderers"]
    patches = renderer["kustomize"]["patches"]
    targets = [(p["target"]["kind"], p["target"]["name"]) for p in patches]
    assert targets == [("ServiceAccount", "gateway-proxy"), ("Settings", "default"),
                       ("Deployment", "gateway-proxy")]
    for patch in patches:  # one document per patch
        assert len(list(yaml.safe_load_all(patch["patch"]))) == 1


def test_a_guard_keeps_its_change_out_of_every_form(tmp_path: Path) -> None:
    render = _render(tmp_path, RENDER.read_text().replace("targetPort: 8080", "targetPort: 80"))
    _, flux, stderr = _emit("flux", str(render))
    assert "kept for container" in stderr and "NET_BIND_SERVICE" not in flux.split("\n", 3)[3]
    _, values, _ = _emit("values", str(render))
    assert "disableNetBind" not in values


def test_disable_and_skip_annotation_are_honoured(tmp_path: Path) -> None:
    render = _render(tmp_path)
    _, flux, _ = _emit("flux", str(render), "--disable", "disable-kubernetes-destinations")
    assert "Settings" not in flux
    annotated = RENDER.read_text().replace(
        "    gloo: settings\n",
        '    gloo: settings\n  annotations:\n    gloo-harden.dev/skip: '
        '"disable-kubernetes-destinations=we route to Services"\n')
    _, flux, stderr = _emit("flux", str(_render(tmp_path, annotated)))
    assert "Settings" not in flux and "skipped for Settings by annotation" in stderr


def test_values_overlay_and_what_no_value_can_do(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    # the built-ins the overlay and the one line were written for (conftest.PINNED)
    code, stdout, stderr = _emit("values", str(_render(tmp_path)), *pinned(), "--results",
                                 str(results))
    assert code == 0 and STAMP.match(stdout)
    assert yaml.safe_load(stdout) == {
        "gatewayProxies": {"gatewayProxy": {"podTemplate": {"disableNetBind": True}}},
        "gateway": {"proxyServiceAccount": {"disableAutomount": True}},
        "settings": {"disableKubernetesDestinations": True}}
    named = [r for r in json.loads(results.read_text()) if r.get("tag") == "not-expressible"]
    assert [(r["hardening"], r["resource"]["kind"]) for r in named] == [
        ("disable-sa-token-automount", "Deployment")]
    (line,) = [line for line in stderr.splitlines() if "not expressible" in line]
    assert line.startswith(f"{tmp_path / 'render.yaml'}: [warning] apps/v1/Deployment/"
                           "gloo-system/gateway-proxy: emit values: not expressible: ")
    assert line.endswith("(disable-sa-token-automount)")


def test_results_as_sarif(tmp_path: Path) -> None:
    results = tmp_path / "results.sarif"
    code, _, _ = _emit("values", str(_render(tmp_path)), "--results", str(results),
                       "--results-format", "sarif")
    log = json.loads(results.read_text())
    assert code == 0 and log["version"] == "2.1.0"
    assert any("not expressible" in r["message"]["text"] for r in log["runs"][0]["results"])


def test_check_passes_until_the_render_changes(tmp_path: Path) -> None:
    render = _render(tmp_path)
    out = tmp_path / "hardening"
    assert _emit("kustomize", str(render), "-o", str(out))[0] == 0
    code, stdout, stderr = _emit("kustomize", str(render), "-o", str(out), "--check")
    assert (code, stdout) == (0, "") and f"{out}: up to date" in stderr
    # the image moves on: same decisions, but the stamp no longer names the render
    render.write_text(RENDER.read_text().replace("wrapper:1.22.1", "wrapper:1.22.2"))
    code, _, stderr = _emit("kustomize", str(render), "-o", str(out), "--check")
    assert code == 1
    assert "the render changed since it was emitted" in stderr
    assert "the emitted changes are the same" in stderr
    # a values change that flips a guard: the Deployment's patch would be another
    render.write_text(RENDER.read_text().replace("targetPort: 8080", "targetPort: 80"))
    code, _, stderr = _emit("kustomize", str(render), "-o", str(out), "--check")
    assert code == 1
    assert "the emitted changes differ" in stderr
    assert "patch-deployment-gloo-system-gateway-proxy.yaml" in stderr
    assert sorted(p.name for p in out.iterdir())[0] == "kustomization.yaml"  # nothing written


def test_check_of_a_one_file_form(tmp_path: Path) -> None:
    render = _render(tmp_path)
    out = tmp_path / "flux" / "postrenderers.yaml"
    assert _emit("flux", str(render), "-o", str(out))[0] == 0
    assert _emit("flux", str(render), "-o", str(out), "--check")[0] == 0
    code, _, stderr = _emit("flux", str(render), "-o", str(out), "--check", "--disable",
                            "disable-sa-token-automount")
    assert code == 1 and "the decisions changed" in stderr


def test_emit_again_removes_patches_it_no_longer_emits(tmp_path: Path) -> None:
    render = _render(tmp_path)
    out = tmp_path / "hardening"
    _emit("kustomize", str(render), "-o", str(out))
    (out / "mine.yaml").write_text("kept: true\n")  # not ours: left alone
    _emit("kustomize", str(render), "-o", str(out), "--disable", "disable-kubernetes-destinations")
    names = sorted(p.name for p in out.iterdir())
    assert "patch-settings-gloo-system-default.yaml" not in names and "mine.yaml" in names


def test_a_refusal_writes_no_artefact(tmp_path: Path) -> None:
    render = _render(tmp_path, RENDER.read_text().replace("targetPort: 8080", "targetPort: 80"))
    out = tmp_path / "hardening"
    code, _, stderr = _emit("kustomize", str(render), "-o", str(out), "--strict")
    assert code == 1 and "[error]" in stderr and not out.exists()


@pytest.mark.parametrize(("args", "message"), [
    (("kustomize", "{render}"), "emit kustomize: writes a folder; expected -o DIR"),
    (("flux", "{render}", "--check"), "emit flux --check: nothing to compare with; expected -o"),
    (("flux", "{render}", "--check", "-o", "{tmp}/none.yaml"), "none.yaml: does not exist;"),
    (("flux",), "emit flux: no FILE given;"),
    (("kustomize", "{render}", "-o", "{render}"), "render.yaml: is not a directory;"),
    (("values", "{render}", "-o", "{tmp}"), ": is a directory; expected -o FILE"),
    (("kyverno", "{render}"), 'emit: "kyverno" is not a form; expected one of kustomize, flux, '
                              "values, policy"),
    ((), "emit: no KIND given; expected one of kustomize, flux, values, policy"),
    (("flux", "{render}", "--disable", "nope"), 'hardening "nope": unknown id'),
])
def test_user_errors_are_one_line_exit_2(tmp_path: Path, args: tuple[str, ...],
                                         message: str) -> None:
    render = _render(tmp_path)
    filled = [a.format(render=render, tmp=tmp_path) for a in args]
    code, stdout, stderr = _emit(*filled)
    assert (code, stdout) == (2, "")
    assert len(stderr.splitlines()) == 1 and message in stderr, stderr


def test_help_names_every_form_and_shows_each_in_an_example() -> None:
    from gloo_harden.outputs.emit import FORMS

    done = run_tool("emit", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.decode().split())  # click wraps the paragraph
    kinds = text.split("KIND: ", 1)[1].split(". ", 1)[0]
    for name in FORMS:
        assert f"{name} (" in kinds, name
        assert f"gloo-harden emit {name} render.yaml" in text, name
