"""``kpt fn eval --exec gloo-harden``: a package directory in place, and stdin to stdout.

Each test runs the real kpt on a git-tracked copy of a small Gloo-like package and reads the
files kpt wrote, the ``--results-dir`` file and kpt's exit code.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import EMPTY_CLUSTER, PINNED
from gloo_harden.run.options import CONFIG_KEYS
from krmtools import (
    HARDENING_LINES,
    HOST_NETWORK,
    PACKAGE,
    assert_hardened,
    changed_lines,
    client,
    commit,
    diff,
    files,
    find,
    objects,
    package,
    results_file,
    run,
)

pytestmark = pytest.mark.e2e

#: the built-ins the package's expected lines and results were written for (functionConfig data)
ENABLE = "enable=" + ",".join(PINNED)


def kpt_eval(pkg: Path | str, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return run(client("kpt"), "fn", "eval", pkg, "--exec", "gloo-harden", *args, stdin=stdin)


def normalised(tmp_path: Path, source: Path = PACKAGE, *extra: Path) -> Path:
    """A package copy (plus ``extra`` files) after a no-op kpt run, committed.

    kpt re-spaces inline comments (``name: x   # c`` → ``name: x # c``) whatever the function
    does; with this baseline the next diff is what gloo-harden changed.
    """
    pkg = package(source, tmp_path / "pkg", *extra)
    done = run(client("kpt"), "fn", "eval", pkg, "--exec", "cat")
    assert done.returncode == 0, done.stderr
    assert all("#" in line for line in changed_lines(diff(pkg)))  # comment spacing only
    commit(pkg)
    return pkg


def test_eval_directory_changes_only_the_hardening(tmp_path: Path) -> None:
    pkg = normalised(tmp_path)
    before = files(pkg)
    # the cluster's evidence (functionConfig data evidence=PATH): no route, no Gloo Gateway
    done = kpt_eval(pkg, "--results-dir", str(tmp_path / "results"), "--",
                    f"evidence={EMPTY_CLUSTER}", ENABLE)
    assert done.returncode == 0, done.stderr
    lines = changed_lines(diff(pkg))
    assert [line for line in lines if not HARDENING_LINES.match(line)] == []
    assert len(lines) == 8
    after = files(pkg)
    assert_hardened(objects("---\n".join(after.values())))
    # Comments survive exactly once: kpt restores them by id, we never emit them.
    for name, text in after.items():
        comments = [line.strip() for line in text.splitlines() if "#" in line]
        assert comments == [line.strip() for line in before[name].splitlines() if "#" in line]
        assert "config.kubernetes.io" not in text and "local-config" not in text
    (item,) = results_file(tmp_path / "results")["items"]
    assert item["exitCode"] == 0
    tags = sorted(r["tags"]["gloo-harden.dev/hardening"] for r in item["results"])
    assert tags == ["disable-kubernetes-destinations", "disable-sa-token-automount",
                    "disable-sa-token-automount", "drop-net-bind-service",
                    "read-only-root-filesystem"]
    account = [r for r in item["results"] if r["resourceRef"]["kind"] == "ServiceAccount"]
    assert account[0]["file"] == {"path": "gateway-proxy.yaml", "index": 1}
    assert account[0]["field"]["path"] == "automountServiceAccountToken"
    assert "[info] v1/ServiceAccount/gloo-system/gateway-proxy" in done.stderr


def test_eval_twice_leaves_the_second_diff_empty(tmp_path: Path) -> None:
    pkg = package(PACKAGE, tmp_path / "pkg")
    assert kpt_eval(pkg).returncode == 0
    commit(pkg)
    again = kpt_eval(pkg, "--results-dir", str(tmp_path / "results"))
    assert again.returncode == 0, again.stderr
    assert diff(pkg) == ""
    (item,) = results_file(tmp_path / "results")["items"]
    assert not [r for r in item.get("results") or [] if r.get("field")]


def test_eval_with_key_value_arguments(tmp_path: Path) -> None:
    pkg = package(PACKAGE, tmp_path / "pkg")
    done = kpt_eval(pkg, "--", "disable=disable-kubernetes-destinations,read-only-root-filesystem",
                    "strict=true")
    assert done.returncode == 0, done.stderr
    docs = objects("---\n".join(files(pkg).values()))
    envoy = find(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert envoy["securityContext"]["capabilities"]["add"] == []
    assert "readOnlyRootFilesystem" not in envoy["securityContext"]
    assert find(docs, "Settings")["spec"]["gloo"]["disableKubernetesDestinations"] is False


def test_eval_with_typed_fn_config_inside_the_package(tmp_path: Path) -> None:
    (tmp_path / "harden.yaml").write_text(
        "apiVersion: gloo-harden.dev/v1alpha1\nkind: GlooHardening\nmetadata:\n  name: harden\n"
        "  annotations:\n    config.kubernetes.io/local-config: \"true\"\n"
        "spec:\n  disable: [disable-kubernetes-destinations]   # routes still use kube\n"
        "  strict: true\n")
    pkg = normalised(tmp_path, PACKAGE, tmp_path / "harden.yaml")
    config = pkg / "harden.yaml"
    done = kpt_eval(pkg, "--fn-config", str(config))
    assert done.returncode == 0, done.stderr
    # kpt also sends the config file as an item: it passes through untouched.
    assert "harden.yaml" not in diff(pkg)
    docs = objects("---\n".join(v for k, v in files(pkg).items() if k != "harden.yaml"))
    assert_hardened(docs, settings=False)


@pytest.mark.parametrize("args, field", [
    (["--", "enable=drop-net-bind"], "data.enable"),
    (["--", "strict=maybe"], "data.strict"),
    (["--", "colour=red"], "data.colour"),
])
def test_eval_bad_key_value_config_fails_and_writes_nothing(tmp_path: Path, args: list[str],
                                                            field: str) -> None:
    pkg = package(PACKAGE, tmp_path / "pkg")
    done = kpt_eval(pkg, "--results-dir", str(tmp_path / "results"), *args)
    assert done.returncode == 1
    assert diff(pkg) == ""
    (item,) = results_file(tmp_path / "results")["items"]
    (result,) = item["results"]
    assert result["severity"] == "error" and result["field"]["path"] == field
    assert result["resourceRef"] == {"apiVersion": "v1", "kind": "ConfigMap",
                                     "name": "function-input"}
    assert "expected" in result["message"]


def test_eval_bad_typed_config_names_each_field(tmp_path: Path) -> None:
    pkg = package(PACKAGE, tmp_path / "pkg")
    config = tmp_path / "harden.yaml"
    config.write_text("apiVersion: gloo-harden.dev/v1alpha1\nkind: GlooHardening\n"
                      "metadata: {name: harden}\nspec:\n  strict: \"yes\"\n  colour: red\n"
                      "  enable: [read-only-root-filesystem, nope]\n")
    done = kpt_eval(pkg, "--fn-config", str(config), "--results-dir", str(tmp_path / "results"))
    assert done.returncode == 1
    assert diff(pkg) == ""
    (item,) = results_file(tmp_path / "results")["items"]
    by_field = {r["field"]["path"]: r["message"] for r in item["results"]}
    assert set(by_field) == {"spec.strict", "spec.colour", "spec.enable[1]"}
    assert by_field["spec.colour"].endswith("expected one of " + ", ".join(CONFIG_KEYS))
    assert "drop-net-bind-service" in by_field["spec.enable[1]"]


def test_eval_strict_refusal_fails_and_leaves_the_package(tmp_path: Path) -> None:
    pkg = package(HOST_NETWORK, tmp_path / "pkg")
    done = kpt_eval(pkg, "--results-dir", str(tmp_path / "results"), "--", "strict=true",
                    f"evidence={EMPTY_CLUSTER}")
    assert done.returncode == 1
    assert diff(pkg) == ""
    listing = results_file(tmp_path / "results")
    assert listing["exitCode"] == 1
    (item,) = listing["items"]
    assert item["exitCode"] == 1
    (error,) = [r for r in item["results"] if r["severity"] == "error"]
    assert error["tags"] == {"gloo-harden.dev/hardening": "drop-net-bind-service"}
    assert "containerPort 80 on the host network" in error["message"]
    assert error["file"]["path"] == "gateway-proxy.yaml"


def test_eval_guard_keeps_net_bind_service_without_strict(tmp_path: Path) -> None:
    pkg = package(HOST_NETWORK, tmp_path / "pkg")
    done = kpt_eval(pkg)
    assert done.returncode == 0, done.stderr
    assert "NET_BIND_SERVICE" in (pkg / "gateway-proxy.yaml").read_text()
    assert "[warning] apps/v1/Deployment/gloo-system/gateway-proxy" in done.stderr
    assert "readOnlyRootFilesystem: true" in (pkg / "gateway-proxy.yaml").read_text()
    # kpt prints our results, then our stderr: each warning once, with its hardening id
    warnings = [line for line in done.stderr.splitlines() if "containerPort 80" in line]
    assert len(warnings) == 1 and "(drop-net-bind-service)" in warnings[0], done.stderr


def test_eval_keeps_explicit_tags_anchors_and_merge_keys(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(PACKAGE, source)
    proxy = source / "gateway-proxy.yaml"
    text = proxy.read_text()
    tagged = text.replace("  replicas: 2\n", '  replicas: !!int "2"\n', 1)
    tagged = tagged.replace("    matchLabels:\n      gloo: gateway-proxy\n",
                            "    matchLabels: &selector\n      gloo: gateway-proxy\n", 1)
    tagged = tagged.replace("      labels:\n        gloo: gateway-proxy\n",
                            "      labels:\n        !!merge <<: *selector\n", 1)
    assert tagged.count("!!") == 2 and "&selector" in tagged, "fixture changed"
    proxy.write_text(tagged)
    pkg = normalised(tmp_path, source)
    proxy = pkg / "gateway-proxy.yaml"
    done = kpt_eval(pkg, "--", ENABLE)
    assert done.returncode == 0, done.stderr
    lines = changed_lines(diff(pkg))
    assert lines and [line for line in lines if not HARDENING_LINES.match(line)] == []
    after = proxy.read_text()
    assert '  replicas: !!int "2"\n' in after and "        !!merge <<: *selector\n" in after


def test_eval_stdin_to_stdout_unwrapped() -> None:
    stream = "".join(f"---\n{text}" for text in files(PACKAGE).values())
    done = kpt_eval("-", "-o", "unwrap", stdin=stream)
    assert done.returncode == 0, done.stderr
    assert_hardened(objects(done.stdout))
    assert "kind: ResourceList" not in done.stdout and "config.kubernetes.io" not in done.stdout
    # Each "# Source" comment once, as in the input.
    sources = [line for line in done.stdout.splitlines() if line.startswith("# Source")]
    assert sources == [line for line in stream.splitlines() if line.startswith("# Source")]
    assert 'value: "on" # must stay a string' in done.stdout


PULL_ALWAYS = """\
apiVersion: gloo-harden.dev/v1alpha1
kind: Hardening
metadata:
  name: always-pull-proxy-image
summary: Always pull the proxy image.
description: Sets imagePullPolicy Always on the proxy container.
scope: proxy-container
strategic:
  imagePullPolicy: Always
"""


def test_eval_applies_patch_folders_named_in_the_config(tmp_path: Path) -> None:
    folder = tmp_path / "extra-patches"
    folder.mkdir()
    (folder / "pull-always.yaml").write_text(PULL_ALWAYS)
    pkg = package(PACKAGE, tmp_path / "pkg")
    done = kpt_eval(pkg, "--results-dir", str(tmp_path / "results"), "--", f"patches={folder}")
    assert done.returncode == 0, done.stderr
    assert "imagePullPolicy: Always" in (pkg / "gateway-proxy.yaml").read_text()
    (item,) = results_file(tmp_path / "results")["items"]
    assert "always-pull-proxy-image" in [r.get("tags", {}).get("gloo-harden.dev/hardening")
                                         for r in item["results"]]


def test_eval_missing_patch_folder_is_a_config_error(tmp_path: Path) -> None:
    pkg = package(PACKAGE, tmp_path / "pkg")
    done = kpt_eval(pkg, "--", f"patches={tmp_path / 'nope'}")
    assert done.returncode == 1
    assert diff(pkg) == ""
    assert "data.patches" in done.stderr and "is not a directory" in done.stderr
