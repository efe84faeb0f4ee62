"""The legacy kustomize plugin mode: ``gloo-harden --kustomize-plugin-config FILE``."""

from __future__ import annotations

from pathlib import Path

import yaml

from conftest import EMPTY_CLUSTER, run_tool

STREAM = """\
apiVersion: v1
automountServiceAccountToken: true
kind: ServiceAccount
metadata:
  annotations:
    kustomize.config.k8s.io/id: |
      kind: ServiceAccount
      name: gateway-proxy
      version: v1
  name: gateway-proxy
---
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    internal.config.kubernetes.io/generatorBehavior: unspecified
  labels:
    gloo: gateway-proxy
  name: gateway-proxy
spec:
  template:
    spec:
      containers:
      - name: gateway-proxy
        ports:
        - containerPort: {port}
        securityContext:
          capabilities:
            add:
            - NET_BIND_SERVICE
          readOnlyRootFilesystem: true
      serviceAccountName: gateway-proxy
"""


def config(tmp_path: Path, spec: str) -> str:
    path = tmp_path / "kust-plugin-config-1"
    path.write_text("apiVersion: gloo-harden.dev/v1alpha1\nkind: GlooHardening\n"
                    f"metadata:\n  name: h\nspec:\n{spec}\n")
    return str(path)


def test_hardens_the_stream_and_keeps_kustomize_annotations(tmp_path: Path) -> None:
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--kustomize-plugin-config", config(tmp_path, "  strict: true"),
                    input=STREAM.format(port=8080))
    assert done.returncode == 0, done.stderr
    account, deployment = yaml.safe_load_all(done.stdout)
    assert account["automountServiceAccountToken"] is False
    assert "kustomize.config.k8s.io/id" in account["metadata"]["annotations"]
    assert deployment["metadata"]["annotations"] == {
        "internal.config.kubernetes.io/generatorBehavior": "unspecified"}
    assert deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"] == {
        "capabilities": {"add": []}, "readOnlyRootFilesystem": True}


def test_config_choices_apply(tmp_path: Path) -> None:
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--kustomize-plugin-config",
                    config(tmp_path, "  enable: [drop-net-bind-service]"),
                    input=STREAM.format(port=8080))
    assert done.returncode == 0
    account, _ = yaml.safe_load_all(done.stdout)
    assert account["automountServiceAccountToken"] is True


def test_strict_refusal_exits_1(tmp_path: Path) -> None:
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--kustomize-plugin-config", config(tmp_path, "  strict: true"),
                    input=STREAM.format(port=80))
    assert done.returncode == 1
    assert b"containerPort 80" in done.stderr


def test_bad_config_is_one_line_exit_2(tmp_path: Path) -> None:
    path = config(tmp_path, "  strict: maybe\n  sidecars: 1")
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--kustomize-plugin-config", path, input=STREAM.format(port=8080))
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode().splitlines() == [
        f'gloo-harden: {path}: 2 problems: (1) spec.strict: the string "maybe"; expected true '
        "or false (2) spec.sidecars: the number 1; expected true or false"]


def test_missing_config_file_is_exit_2(tmp_path: Path) -> None:
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--kustomize-plugin-config", str(tmp_path / "nope"), input="")
    assert done.returncode == 2
    assert b"cannot read" in done.stderr and b"expected the plugin config file" in done.stderr


def test_check_returns_the_stream_unchanged_and_fails_when_work_is_left(tmp_path: Path) -> None:
    stream = STREAM.format(port=8080)
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--kustomize-plugin-config", config(tmp_path, "  check: true"), input=stream)
    assert done.returncode == 1 and done.stdout.decode() == stream
    hardened = run_tool("--evidence", str(EMPTY_CLUSTER), "--kustomize-plugin-config", config(tmp_path, "  strict: false"),
                        input=stream).stdout
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--kustomize-plugin-config", config(tmp_path, "  check: true"), input=hardened)
    assert done.returncode == 0 and done.stdout == hardened


def test_config_profile_and_flags_combine(tmp_path: Path) -> None:
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--disable", "drop-net-bind-service", "--kustomize-plugin-config",
                    config(tmp_path, "  profile: [restricted]"), input=STREAM.format(port=8080))
    assert done.returncode == 0, done.stderr
    _, deployment = yaml.safe_load_all(done.stdout)
    context = deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    assert context["capabilities"]["add"] == ["NET_BIND_SERVICE"]  # --disable from the flags
    assert context["allowPrivilegeEscalation"] is False  # the restricted profile from the config
