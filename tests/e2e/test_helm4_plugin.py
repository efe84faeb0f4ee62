"""Helm 4: the ``postrenderer/v1`` plugin in helm-plugin/gloo-harden, installed with
``helm plugin install`` into a private Helm home and run by the real Helm 4 binary; Helm 3 and
its plugins keep working beside it."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import CORPUS, corpus_params, needs_corpus, pinned
from helmtools import (
    BIN_DIR,
    CHART,
    FILENAME_ANNOTATION,
    PLUGIN,
    PORT_80,
    Helm4,
    assert_hardened,
    assert_hook_untouched,
    helm,
    helm4_with_plugin,
    helm_env,
    objects,
    one,
    post_renderer_args,
    recording_shim,
    release_store,
    run_helm,
)

pytestmark = pytest.mark.e2e

#: The only fields of a plugin v1 manifest we use; Helm 4.1+ refuses unknown ones.
PLUGIN_FIELDS = {"apiVersion", "type", "name", "version", "runtime", "runtimeConfig"}


@pytest.fixture
def helm4(tmp_path: Path) -> Helm4:
    return helm4_with_plugin(tmp_path / "helm-home")


def recording(helm4: Helm4, folder: Path) -> Helm4:
    env = dict(helm4.env)
    env["PATH"] = f"{recording_shim(folder).parent}{os.pathsep}{env['PATH']}"
    return Helm4(helm4.binary, env)


def template(helm4: Helm4, *args: str) -> tuple[int, str, str]:
    done = helm4.run("template", "gloo", str(CHART), "-n", "gloo-system",
                     "--post-renderer", "gloo-harden", *args)
    return done.returncode, done.stdout, done.stderr


def documents(text: str) -> list[str]:
    """Raw documents of a stream (split on ``---`` lines), empty ones dropped."""
    return [d for d in re.split(r"^---[ \t]*\n", text, flags=re.M) if d.strip()]


def test_plugin_manifest_is_minimal_plugin_v1() -> None:
    manifest = yaml.safe_load((PLUGIN / "plugin.yaml").read_text())
    assert set(manifest) == PLUGIN_FIELDS
    assert (manifest["apiVersion"], manifest["type"], manifest["runtime"]) == (
        "v1", "postrenderer/v1", "subprocess")
    assert manifest["runtimeConfig"]["platformCommand"][0]["command"] == "gloo-harden"


def test_plugin_hardens_keeps_filenames_and_passes_hooks(helm4: Helm4, tmp_path: Path) -> None:
    # the built-ins the count below was written for (conftest.PINNED)
    code, out, err = template(recording(helm4, tmp_path / "shim"), *post_renderer_args(*pinned()))
    assert code == 0, err
    sent = (tmp_path / "shim" / "in.yaml").read_text()
    answered = (tmp_path / "shim" / "out.yaml").read_text()
    # Helm 4 re-serialises the stream: no "# Source:" lines, a filename annotation instead,
    # and the hook Job is sent too.
    assert "# Source:" not in sent
    assert len(objects(sent)) == len(objects(answered)) == 6
    for before, after in zip(objects(sent), objects(answered), strict=True):
        assert after["metadata"]["annotations"][FILENAME_ANNOTATION] == \
            before["metadata"]["annotations"][FILENAME_ANNOTATION]
    hooks = [d for d in documents(sent) if "helm.sh/hook:" in d]
    assert len(hooks) == 1 and hooks[0] in documents(answered)
    # Helm grouped our answer back under the chart's template names, so none was lost.
    assert "generated-by-postrender" not in out
    assert "# Source: gloo-like/templates/gateway-proxy-deployment.yaml" in out
    final = objects(out)
    assert_hardened(final)
    assert_hook_untouched(final)
    assert "gloo-harden: 5 changes in 3 documents" in (tmp_path / "shim" / "err.txt").read_text()


def test_args_pass_through(helm4: Helm4) -> None:
    code, out, err = template(helm4, "--post-renderer-args", "--quiet",
                              "--post-renderer-args", "--disable=disable-kubernetes-destinations")
    assert code == 0, err
    settings = one(objects(out), "Settings", "default")
    assert "disableKubernetesDestinations" not in settings["spec"]["gloo"]
    pod = one(objects(out), "Deployment", "gateway-proxy")["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False


def test_render_without_proxy_is_not_empty(helm4: Helm4, tmp_path: Path) -> None:
    code, out, err = template(recording(helm4, tmp_path / "shim"),
                              "--set", "gatewayProxy.enabled=false",
                              "--set", "settings.create=false")
    assert code == 0, err
    assert documents((tmp_path / "shim" / "out.yaml").read_text()) == \
        documents((tmp_path / "shim" / "in.yaml").read_text())
    assert_hook_untouched(objects(out))


def test_strict_refusal_fails_helm_and_results_file_keeps_why(helm4: Helm4,
                                                               tmp_path: Path) -> None:
    # Helm 4.2 discards a post-renderer plugin's stderr, so the reason only survives in the
    # --results file (helm-plugin/gloo-harden/README.md says so).
    results = tmp_path / "results.json"
    code, out, err = template(helm4, *PORT_80, "--post-renderer-args", "--strict",
                              "--post-renderer-args", f"--results={results}")
    assert code == 1
    assert out == ""
    assert 'plugin "gloo-harden" exited with error' in err
    errors = [r for r in json.loads(results.read_text()) if r["severity"] == "error"
              and r.get("tag") != "evidence-unseen"]  # the routes no stream shows, too
    assert len(errors) == 1
    assert "containerPort 80 on the host network" in errors[0]["message"]
    assert errors[0]["hardening"] == "drop-net-bind-service"




def canonical(text: str) -> list[str]:
    """Objects as sorted JSON, without Helm 4's filename annotation: order-free comparison."""
    found = []
    for doc in objects(text):
        annotations = doc["metadata"].get("annotations") or {}
        annotations.pop(FILENAME_ANNOTATION, None)
        if "annotations" in doc["metadata"] and not annotations:
            del doc["metadata"]["annotations"]
        found.append(json.dumps(doc, sort_keys=True))
    return sorted(found)


@needs_corpus
@pytest.mark.parametrize("render", [getattr(p, "name", p) for p in corpus_params()])
def test_real_gloo_renders_through_helm4_match_the_pipe(render: str, helm4: Helm4,
                                                        tmp_path: Path) -> None:
    """A chart that renders a real Gloo manifest verbatim: Helm 4's re-serialised stream (no
    "# Source:" lines, filename annotations, hooks included) hardens like the pipe does."""
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: corpus\nversion: 0.1.0\n")
    (chart / "templates" / "all.yaml").write_text('{{ .Files.Get "rendered.yaml" }}\n')
    (chart / "rendered.yaml").write_bytes((CORPUS / render).read_bytes())
    plain = helm4.run("template", "gloo", str(chart))
    assert plain.returncode == 0, plain.stderr
    piped = run_tool_on(helm4, plain.stdout)
    rendered = helm4.run("template", "gloo", str(chart), "--post-renderer", "gloo-harden",
                         "--post-renderer-args", "--quiet")
    assert rendered.returncode == 0, rendered.stderr
    assert canonical(rendered.stdout) == canonical(piped)


def run_tool_on(helm4: Helm4, text: str) -> str:
    done = subprocess.run([str(BIN_DIR / "gloo-harden"), "--quiet"], input=text,
                          capture_output=True, text=True, env=helm4.env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("action", ["install", "upgrade"])
def test_install_and_upgrade_record_the_hardened_manifest(action: str, helm4: Helm4,
                                                          tmp_path: Path) -> None:
    # --skip-crds: Helm 4's printing fake kube client cannot build the chart's crds/ ("failed to
    # install CRD …: resources are empty"); Helm installs CRDs before, not through, the
    # post-renderer, so nothing the plugin sees changes.
    with release_store(tmp_path / "store", upgrade=action == "upgrade") as store:
        done = Helm4(helm4.binary, {**helm4.env, **store}).run(
            action, "gloo", str(CHART), "-n", "gloo-system", "-o", "json", "--skip-crds",
            "--post-renderer", "gloo-harden", "--post-renderer-args", "--quiet")
    assert done.returncode == 0, done.stderr
    release = json.loads(done.stdout)
    assert (release["info"]["status"], release["version"]) == (
        "deployed", 2 if action == "upgrade" else 1)
    assert_hardened(objects(release["manifest"]))
    (hook,) = release["hooks"]  # went through gloo-harden, came back as it was
    assert_hook_untouched(objects(hook["manifest"]))


def test_plugin_sees_gateways_in_hooks(helm4: Helm4, tmp_path: Path) -> None:
    """Helm 4 hands hooks to the plugin: Gloo 1.13's rollout Job is evidence there, and
    nothing is said to be unseen (a Helm 3 post-renderer is told otherwise)."""
    code, _, err = template(recording(helm4, tmp_path), "--set", "rolloutJob.create=true",
                            "--set", "gatewayProxy.image=quay.io/solo-io/gloo-envoy-wrapper:1.13.0")
    assert code == 0, err
    assert "gloo-resource-rollout" in (tmp_path / "in.yaml").read_text()
    said = (tmp_path / "err.txt").read_text()
    assert "gloo-harden:" in said and "decided without" not in said


def helm3_plugin(source: Path, name: str) -> Path:
    """A Helm 3 (legacy format) CLI plugin, as helm-diff or helm-secrets are: ``helm NAME``
    prints a marker."""
    folder = source / name
    folder.mkdir(parents=True)
    (folder / "plugin.yaml").write_text(
        f"name: {name}\nversion: 1.0.0\nusage: a Helm 3 plugin\ndescription: says it ran\n"
        f'command: "echo {name} ran"\n')
    return folder


def test_helm3_and_its_plugins_keep_working_beside_ours(tmp_path: Path) -> None:
    """Real Helm 3 and Helm 4 sharing one plugins folder (``HELM_PLUGINS``, by default the same
    for both) that holds a Helm 3 plugin: ours, installed as the README says, leaves Helm 3 and
    that plugin working, and Helm 4 runs both."""
    home = tmp_path / "home"
    shared = helm_env(home)  # HELM_PLUGINS=home/data/plugins, the folder both versions read
    diff = helm3_plugin(tmp_path / "src", "diffish")
    installed = run_helm(helm(3), "plugin", "install", str(diff), env=shared)
    assert installed.returncode == 0, installed.stderr
    helm4 = helm4_with_plugin(home)
    assert helm4.env["HELM_PLUGINS"].split(os.pathsep)[0] == shared["HELM_PLUGINS"]

    ran = run_helm(helm(3), "diffish", env=shared)  # Helm 3, as the user runs it
    assert (ran.returncode, ran.stdout.strip()) == (0, "diffish ran"), ran.stderr
    assert "failed to load plugins" not in ran.stderr
    listed = run_helm(helm(3), "plugin", "list", env=shared)
    assert listed.returncode == 0 and "diffish" in listed.stdout, listed.stderr
    assert "gloo-harden" not in listed.stdout and listed.stderr == ""

    ran = helm4.run("diffish")  # Helm 4 still sees the shared folder's Helm 3 plugins
    assert (ran.returncode, ran.stdout.strip()) == (0, "diffish ran"), ran.stderr
    code, out, err = template(helm4, "--post-renderer-args", "--quiet")
    assert code == 0, err
    assert_hardened(objects(out))


def test_our_plugin_in_the_shared_folder_would_break_helm3(tmp_path: Path) -> None:
    """Why the README keeps the plugin out of the shared folder: there, Helm 3 cannot parse
    it and loads no plugin at all. If a Helm 3 release learns to skip it, this fails, and the
    README's extra folder can go."""
    shared = helm_env(tmp_path / "home")
    diff = helm3_plugin(tmp_path / "src", "diffish")
    assert run_helm(helm(3), "plugin", "install", str(diff), env=shared).returncode == 0
    installed = run_helm(helm(4), "plugin", "install", str(PLUGIN), env=shared)
    assert installed.returncode == 0, installed.stderr
    ran = run_helm(helm(3), "diffish", env=shared)
    assert ran.returncode != 0
    assert "failed to load plugins" in ran.stderr and 'unknown command "diffish"' in ran.stderr
