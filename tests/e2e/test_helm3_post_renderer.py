"""Helm 3: ``helm template --post-renderer gloo-harden [--post-renderer-args …]`` with the real
Helm 3 binary and the console script found on PATH."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import EMPTY_CLUSTER, pinned
from helmtools import (
    BIN_DIR,
    CHART,
    PORT_80,
    assert_hardened,
    assert_hook_untouched,
    helm,
    helm_env,
    objects,
    one,
    post_renderer_args,
    recording_shim,
    release_store,
    run_helm,
)

pytestmark = pytest.mark.e2e


def template(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    done = run_helm(helm(3), "template", "gloo", str(CHART), "-n", "gloo-system", *args, env=env)
    return done.returncode, done.stdout, done.stderr


def recording_env(folder: Path) -> dict[str, str]:
    env = helm_env()
    env["PATH"] = f"{recording_shim(folder).parent}{os.pathsep}{env['PATH']}"
    return env


def test_post_renderer_on_path_hardens_and_leaves_hooks_alone(tmp_path: Path) -> None:
    # the built-ins the count below was written for (conftest.PINNED)
    code, out, err = template("--post-renderer", "gloo-harden", *post_renderer_args(*pinned()),
                              env=recording_env(tmp_path))
    assert code == 0, err
    docs = objects(out)
    assert_hardened(docs)
    # Helm 3 never sends hooks to a post-renderer; it prints them as the chart rendered them.
    assert_hook_untouched(docs)
    assert "certgen" not in (tmp_path / "in.yaml").read_text()
    # What we answered Helm on stdout is only objects; the results went to stderr.
    assert len(objects((tmp_path / "out.yaml").read_text())) == 5
    assert "gloo-harden: 5 changes in 3 documents" in (tmp_path / "err.txt").read_text()
    assert "gloo-harden:" not in out


def test_post_renderer_by_path_and_args_pass_through(tmp_path: Path) -> None:
    code, out, err = template("--post-renderer", str(BIN_DIR / "gloo-harden"),
                              "--post-renderer-args", "--quiet",
                              "--post-renderer-args", "--disable",
                              "--post-renderer-args", "read-only-root-filesystem")
    assert code == 0, err
    container = one(objects(out), "Deployment", "gateway-proxy")[
        "spec"]["template"]["spec"]["containers"][0]
    assert "readOnlyRootFilesystem" not in container["securityContext"]
    assert container["securityContext"]["capabilities"]["add"] == []


def test_quiet_keeps_info_results_off_stderr(tmp_path: Path) -> None:
    # with the cluster's evidence (no route yet) nothing is unseen, so not a word
    code, _, err = template("--post-renderer", "gloo-harden", "--post-renderer-args", "--quiet",
                            "--post-renderer-args", "--evidence",
                            "--post-renderer-args", str(EMPTY_CLUSTER),
                            env=recording_env(tmp_path))
    assert code == 0, err
    assert (tmp_path / "err.txt").read_text() == ""


def test_without_evidence_the_routes_are_said_unseen(tmp_path: Path) -> None:
    code, _, err = template("--post-renderer", "gloo-harden", "--post-renderer-args", "--quiet",
                            env=recording_env(tmp_path))
    assert code == 0, err
    (said,) = (tmp_path / "err.txt").read_text().splitlines()
    assert said.startswith("stdin: [warning]: no VirtualService (gateway.solo.io), RouteTable "
                           "(gateway.solo.io) or UpstreamGroup (gloo.solo.io) in the stream")


def test_port_80_keeps_net_bind_service_without_strict() -> None:
    code, out, err = template(*PORT_80, "--post-renderer", "gloo-harden")
    assert code == 0, err
    pod = one(objects(out), "Deployment", "gateway-proxy")["spec"]["template"]["spec"]
    assert pod["hostNetwork"] is True
    assert pod["containers"][0]["securityContext"]["capabilities"]["add"] == ["NET_BIND_SERVICE"]
    assert pod["automountServiceAccountToken"] is False


def test_strict_refusal_fails_helm_with_our_message() -> None:
    code, out, err = template(*PORT_80, "--post-renderer", "gloo-harden",
                              "--post-renderer-args", "--strict",
                              "--post-renderer-args", "--quiet")
    assert code == 1
    assert out == ""
    assert "error while running post render" in err
    assert ('[error] apps/v1/Deployment/gloo-system/gateway-proxy spec.template.spec.'
            'containers[0]: kept for container "gateway-proxy": containerPort 80 on the host '
            'network') in err
    assert "(drop-net-bind-service)" in err and "refused (--strict)" in err


def test_unknown_hardening_is_a_usage_error_helm_reports() -> None:
    code, _, err = template("--post-renderer", "gloo-harden",
                            "--post-renderer-args", "--disable=no-such-hardening")
    assert code == 1
    assert "exit status 2" in err
    assert "no-such-hardening" in err


@pytest.mark.parametrize("action", ["install", "upgrade"])
def test_install_and_upgrade_record_the_hardened_manifest(action: str, tmp_path: Path) -> None:
    with release_store(tmp_path, upgrade=action == "upgrade") as store:
        done = run_helm(helm(3), action, "gloo", str(CHART), "-n", "gloo-system", "-o", "json",
                        "--post-renderer", "gloo-harden", "--post-renderer-args", "--quiet",
                        env=helm_env(extra=store))
    assert done.returncode == 0, done.stderr
    release = json.loads(done.stdout)
    assert release["info"]["status"] == "deployed"
    assert release["version"] == (2 if action == "upgrade" else 1)
    assert_hardened(objects(release["manifest"]))
    (hook,) = release["hooks"]  # never sent to the post-renderer by Helm 3
    assert_hook_untouched(objects(hook["manifest"]))


def test_strict_refusal_fails_upgrade_with_our_message(tmp_path: Path) -> None:
    with release_store(tmp_path, upgrade=True) as store:
        done = run_helm(helm(3), "upgrade", "gloo", str(CHART), "-n", "gloo-system", *PORT_80,
                        "--post-renderer", "gloo-harden", "--post-renderer-args", "--strict",
                        env=helm_env(extra=store))
    assert done.returncode == 1
    assert "UPGRADE FAILED" in done.stderr
    assert 'kept for container "gateway-proxy": containerPort 80 on the host network' in done.stderr


#: Gloo 1.13's shape: the default Gateways are applied by the gloo-resource-rollout hook Job.
GLOO_1_13 = ("--set", "rolloutJob.create=true",
             "--set", "gatewayProxy.image=quay.io/solo-io/gloo-envoy-wrapper:1.13.0")
UNSEEN = ("stdin: [warning]: no Gateway (gateway.solo.io) in the stream or the evidence, so the "
          "bindPort of the gateway proxies (Gloo 1.13 applies its Gateways from the "
          "gloo-resource-rollout Job, a Helm hook, and Helm 3 hands a post-renderer no hooks) "
          "cannot be seen; drop-net-bind-service is kept back where it could matter")


def test_gateways_in_a_hook_keep_the_capability_under_a_post_renderer(tmp_path: Path) -> None:
    code, out, err = template(*GLOO_1_13, "--post-renderer", "gloo-harden",
                              env=recording_env(tmp_path))
    assert code == 0, err
    assert "gloo-resource-rollout" not in (tmp_path / "in.yaml").read_text()  # never sent
    said = (tmp_path / "err.txt").read_text()
    assert UNSEEN in said, said
    container = one(objects(out), "Deployment", "gateway-proxy")[
        "spec"]["template"]["spec"]["containers"][0]
    assert container["securityContext"]["capabilities"]["add"] == ["NET_BIND_SERVICE"]


@pytest.mark.parametrize("port, kept", [(8080, False), (80, True)])
def test_the_clusters_gateways_as_evidence_decide(tmp_path: Path, port: int, kept: bool) -> None:
    """kubectl get gateways.gateway.solo.io -A -o yaml, handed over with --evidence through
    --post-renderer-args: the decision follows the cluster's bindPort."""
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "gateways.gateway.solo.io.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: gateway.solo.io/v1\n  kind: Gateway\n"
        "  metadata: {name: gateway-proxy, namespace: gloo-system}\n"
        f"  spec: {{bindPort: {port}, httpGateway: {{}}, proxyNames: [gateway-proxy]}}\n")
    code, out, err = template(*GLOO_1_13, "--post-renderer", "gloo-harden",
                              "--post-renderer-args", "--evidence",
                              "--post-renderer-args", str(evidence),
                              env=recording_env(tmp_path / "shim"))
    assert code == 0, err
    said = (tmp_path / "shim" / "err.txt").read_text()
    assert "no Gateway (gateway.solo.io)" not in said
    container = one(objects(out), "Deployment", "gateway-proxy")[
        "spec"]["template"]["spec"]["containers"][0]
    assert container["securityContext"]["capabilities"]["add"] == (
        ["NET_BIND_SERVICE"] if kept else [])
    if kept:
        assert "Gateway gateway-proxy bindPort 80 (Gateway gloo-system/gateway-proxy)" in said
    assert "kind: List" not in out  # evidence is never written


def test_the_pipe_sees_the_hook_and_misses_nothing() -> None:
    code, out, err = template(*GLOO_1_13)
    assert code == 0, err
    assert "gloo-resource-rollout" in out
    done = subprocess.run(["gloo-harden"], input=out, env=helm_env(), capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "no Gateway (gateway.solo.io)" not in done.stderr


def test_a_chart_without_hooked_gateways_misses_nothing(tmp_path: Path) -> None:
    code, _, err = template("--post-renderer", "gloo-harden", env=recording_env(tmp_path))
    assert code == 0, err
    assert "no Gateway (gateway.solo.io)" not in (tmp_path / "err.txt").read_text()
