"""``no-class-level-capabilities``: an empty ``capabilities.add`` is written into a
GatewayParameters only where what it replaces is known and holds nothing but NET_BIND_SERVICE.

Both deployers merge a Gateway's GatewayParameters over its class-level ones with
``deepMergeSlices`` (an empty list replaces, any other is appended), so ``add: []`` on a
per-Gateway GatewayParameters whose class-level one adds NET_ADMIN takes NET_ADMIN away. Each
case runs ``clear-default-capabilities`` (absent ``add`` -> ``[]``) and
``drop-net-bind-service`` (``[NET_BIND_SERVICE]`` -> ``[]``) alone, for Gloo Gateway and for
kgateway 2.0, 2.1 and 2.3.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import run_tool

CLEAR, DROP = "clear-default-capabilities", "drop-net-bind-service"
GLOO = ("gateway.gloo.solo.io", "gloo-gateway", "solo.io/gloo-gateway", "gloo-1.19.0")
KGW = {release: ("gateway.kgateway.dev", "kgateway", "kgateway.dev/kgateway", release)
       for release in ("kgateway-2.0.5", "kgateway-2.1.2", "kgateway-2.3.0")}
GROUPS = [pytest.param(GLOO, id="gloo"), *(pytest.param(v, id=k) for k, v in KGW.items())]
UNSET = object()


def _docs(flavour: tuple[str, str, str, str], class_add: Any = UNSET, team_add: Any = UNSET,
          omit: bool = False) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(platform: the class and its class-level parameters, or the kgateway 2.3 controller
    naming them; team: a Gateway and its own parameters)."""
    group, name, controller, release = flavour
    class_context: dict[str, Any] = {"runAsUser": 10101}
    if class_add is not UNSET:
        class_context["capabilities"] = {"add": class_add}
    class_parameters = {"apiVersion": f"{group}/v1alpha1", "kind": "GatewayParameters",
                        "metadata": {"name": name, "namespace": "platform"},
                        "spec": {"kube": {"envoyContainer": {"securityContext": class_context}}}}
    ref = {"group": group, "kind": "GatewayParameters", "name": name, "namespace": "platform"}
    gateway_class = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                     "metadata": {"name": name},
                     "spec": {"controllerName": controller, "parametersRef": ref}}
    platform = [gateway_class, class_parameters]
    if release >= "kgateway-2.2":  # the controller names the class-level parameters (env)
        env = {"name": "KGW_GATEWAY_CLASS_PARAMETERS_REFS",
               "value": f'{{"{name}": {{"name": "{name}", "namespace": "platform"}}}}'}
        platform[0] = {"apiVersion": "apps/v1", "kind": "Deployment",
                       "metadata": {"name": "kgateway", "namespace": "platform",
                                    "labels": {"app.kubernetes.io/name": "kgateway"}},
                       "spec": {"template": {"spec": {"containers": [
                           {"name": "controller", "env": [env]}]}}}}
    team_context: dict[str, Any] = {"runAsUser": 10101}
    if team_add is not UNSET:
        team_context["capabilities"] = {"add": team_add}
    kube: dict[str, Any] = {"envoyContainer": {"securityContext": team_context}}
    if omit:
        kube["omitDefaultSecurityContext"] = True
    gateway: dict[str, Any] = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                               "metadata": {"name": "web", "namespace": "apps"},
                               "spec": {"gatewayClassName": name, "listeners": [
                                   {"name": "http", "port": 8080, "protocol": "HTTP"}]}}
    if group == GLOO[0]:
        gateway["metadata"]["annotations"] = {
            "gateway.gloo.solo.io/gateway-parameters-name": "team"}
    else:
        gateway["spec"]["infrastructure"] = {"parametersRef": {
            "group": group, "kind": "GatewayParameters", "name": "team"}}
    team = [gateway, {"apiVersion": f"{group}/v1alpha1", "kind": "GatewayParameters",
                      "metadata": {"name": "team", "namespace": "apps"}, "spec": {"kube": kube}}]
    return platform, team


def _run(flavour: tuple[str, str, str, str], hardening: str, docs: list[dict[str, Any]],
         *args: str) -> tuple[list[Any], str]:
    """The team's ``add`` after a run of ``hardening`` alone, and what the run said."""
    done = run_tool("--enable", hardening, "--assume-version", flavour[3], *args,
                    input=yaml.safe_dump_all(docs, sort_keys=False))
    assert done.returncode == 0, done.stderr.decode()
    (team,) = [d for d in yaml.safe_load_all(done.stdout) if d and d["kind"] ==
               "GatewayParameters" and d["metadata"]["name"] == "team"]
    context = team["spec"]["kube"]["envoyContainer"]["securityContext"]
    return context.get("capabilities", {}).get("add", "unset"), done.stderr.decode()


KEPT_NET_ADMIN = ("Gateway apps/web merges these parameters over GatewayParameters "
                  "platform/{name} (stdin[doc 2]), which add [NET_ADMIN]: an empty "
                  "capabilities.add here would replace that list")


@pytest.mark.parametrize("flavour", GROUPS)
@pytest.mark.parametrize(("hardening", "team_add", "written"), [
    (CLEAR, UNSET, []), (DROP, ["NET_BIND_SERVICE"], [])])
@pytest.mark.parametrize(("class_add", "safe"), [
    (["NET_ADMIN"], False), (["NET_ADMIN", "NET_BIND_SERVICE"], False),
    (["NET_BIND_SERVICE"], True), (UNSET, True), ([], True)],
    ids=["net-admin", "net-admin-and-net-bind", "only-net-bind", "no-add", "empty"])
def test_written_only_over_nothing_but_net_bind_service(
        flavour: tuple[str, str, str, str], hardening: str, team_add: Any, written: Any,
        class_add: Any, safe: bool) -> None:
    platform, team = _docs(flavour, class_add, team_add)
    add, said = _run(flavour, hardening, platform + team)
    if safe:
        assert add == written, said
        assert "kept for" not in said
        return
    assert add == ("unset" if team_add is UNSET else team_add)
    assert KEPT_NET_ADMIN.format(name=flavour[1]) in said
    assert "the proxy would lose [NET_ADMIN]; left out, the proxy keeps them" in said
    kgateway_default = "on kgateway 2.0/2.1 the deployer's default NET_BIND_SERVICE stays too"
    assert (kgateway_default in said) == (flavour[3] in ("kgateway-2.0.5", "kgateway-2.1.2"))


@pytest.mark.parametrize("flavour", GROUPS)
@pytest.mark.parametrize(("class_add", "written"), [(["NET_ADMIN"], False),
                                                     (["NET_BIND_SERVICE"], True)])
def test_a_class_outside_the_stream_is_not_guessed_and_evidence_decides(
        flavour: tuple[str, str, str, str], class_add: Any, written: bool,
        tmp_path: Path) -> None:
    """The team's own stream (its Gateway and parameters) shows no class: kept, and the run
    says what is missing and how to hand it in; ``--evidence`` with the platform's objects
    decides."""
    platform, team = _docs(flavour, class_add)
    add, said = _run(flavour, CLEAR, team)
    assert add == "unset"
    missing = ("the kgateway controller Deployment (env KGW_GATEWAY_CLASS_PARAMETERS_REFS)"
               if flavour[3] == "kgateway-2.3.0" else f"GatewayClass {flavour[1]}")
    assert (f"cannot be seen: {missing} (of Gateway apps/web) not in the stream or the "
            "evidence; pass --evidence PATH with the Gateways, their GatewayClass and its "
            "GatewayParameters") in said
    (tmp_path / "platform.yaml").write_text(yaml.safe_dump_all(platform, sort_keys=False))
    add, said = _run(flavour, CLEAR, team, "--evidence", str(tmp_path))
    assert add == ([] if written else "unset"), said
    assert ("which add [NET_ADMIN]" in said) != written


@pytest.mark.parametrize("flavour", GROUPS)
def test_parameters_no_gateway_or_class_uses_are_kept(flavour: tuple[str, str, str, str]
                                                       ) -> None:
    _, team = _docs(flavour)
    add, said = _run(flavour, CLEAR, team[1:])
    assert add == "unset"
    assert ("cannot be seen: a Gateway or GatewayClass that uses GatewayParameters apps/team "
            "not in the stream or the evidence") in said


@pytest.mark.parametrize("flavour", GROUPS)
def test_class_level_parameters_themselves_are_written(flavour: tuple[str, str, str, str]
                                                        ) -> None:
    """Class-level parameters merge over nothing (Gloo) or the deployer's default only
    (kgateway): ``add: []`` there replaces at most its NET_BIND_SERVICE."""
    platform, team = _docs(flavour)
    done = run_tool("--enable", CLEAR, "--assume-version", flavour[3],
                    input=yaml.safe_dump_all(platform + team, sort_keys=False))
    (central,) = [d for d in yaml.safe_load_all(done.stdout) if d and d["kind"] ==
                  "GatewayParameters" and d["metadata"]["name"] == flavour[1]]
    assert central["spec"]["kube"]["envoyContainer"]["securityContext"]["capabilities"] == {
        "add": []}


@pytest.mark.parametrize(("release", "written"), [
    ("kgateway-2.0.5", False), ("kgateway-2.1.2", True), ("kgateway-2.3.0", False)])
def test_omit_default_security_context(release: str, written: bool) -> None:
    """A Gateway's parameters with ``omitDefaultSecurityContext: true``: 2.1 drops the class's
    parameters (nothing to replace), 2.3 keeps the class's fields (#13811), 2.0 does not know
    the field."""
    flavour = KGW[release]
    platform, team = _docs(flavour, ["NET_ADMIN"], omit=True)
    add, said = _run(flavour, CLEAR, platform + team)
    assert add == ([] if written else "unset"), said
    assert ("which add [NET_ADMIN]" in said) != written


def test_a_class_opting_out_of_drop_net_bind_service_keeps_its_net_bind_service() -> None:
    """Class-level parameters that keep NET_BIND_SERVICE on purpose (opted out of
    drop-net-bind-service) are not emptied from below either."""
    flavour = GLOO
    platform, team = _docs(flavour, ["NET_BIND_SERVICE"])
    platform[1]["metadata"]["annotations"] = {
        "gloo-harden.dev/skip": "drop-net-bind-service=binds 80 on the host"}
    add, said = _run(flavour, CLEAR, platform + team)
    assert add == "unset"
    assert "which add [NET_BIND_SERVICE]" in said


@pytest.mark.parametrize(("class_name", "kept"), [("platform", True), ("kgateway", False)])
def test_kgateway_2_3_reads_a_class_it_does_not_apply_from_the_class(class_name: str,
                                                                     kept: bool) -> None:
    """From 2.2 the controller applies its own classes (kgateway, kgateway-waypoint) with the
    parametersRef its env names, over any written one; any other class keeps its own (the
    real 2.2.0 controller used a class ``platform``'s, tests/e2e/test_kgateway_controller.py)."""
    flavour = ("gateway.kgateway.dev", class_name, "kgateway.dev/kgateway", "kgateway-2.3.0")
    platform, team = _docs(flavour[:3] + ("kgateway-2.1.2",), ["NET_ADMIN"])  # class, no env
    controller = _docs(flavour, ["NET_ADMIN"])[0][0]
    controller["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "KGW_XDS_SERVICE_NAME", "value": "kgateway"}]  # a controller naming nothing
    add, said = _run(flavour, CLEAR, [controller, *platform, *team])
    assert add == ("unset" if kept else []), said
    assert ("which add [NET_ADMIN]" in said) == kept
