"""Issue 11's promise, proven on the proxy the controller creates (rendered by the deployer
emulator with the real Helm 3): for Gloo Gateway 1.17/1.19, kgateway 2.0, 2.1 and 2.3, Gateways
with listeners on 80/443 and on 8080, with and without an application team's per-Gateway
GatewayParameters that re-adds NET_BIND_SERVICE and sets readOnlyRootFilesystem: false.

The platform streams are the corpus chart renders; the Gateways and the team's parameters are
built in ``deployer.py``. Every check is first shown to fail on the unhardened streams and on a
proxy broken by hand.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from deployer import (
    BY_LABEL,
    GATEWAYS,
    TEAM_PARAMETERS,
    VERSIONS,
    Proxy,
    Version,
    application_stream,
    cluster,
    harden,
    join,
    platform_stream,
    proxy,
    render,
    results,
    team_parameters,
    violations,
)
from helmtools import REPO, objects

pytestmark = pytest.mark.e2e

NBS = "NET_BIND_SERVICE added"
WRITABLE = "root filesystem not read-only"
#: What the unhardened streams render (notes §1a, §2b): every default but kgateway ≥2.2's adds
#: NET_BIND_SERVICE; the team's parameters add it everywhere and make the root writable.
UNHARDENED = {
    ("gloo-1.17", False): [NBS], ("gloo-1.17", True): [NBS, WRITABLE],
    ("gloo-1.19", False): [NBS], ("gloo-1.19", True): [NBS, WRITABLE],
    ("gloo-1.22", False): [NBS], ("gloo-1.22", True): [NBS, WRITABLE],
    ("kgw-2.0", False): [NBS], ("kgw-2.0", True): [NBS, WRITABLE],
    ("kgw-2.1", False): [NBS], ("kgw-2.1", True): [NBS, WRITABLE],
    ("kgw-2.3", False): [], ("kgw-2.3", True): [NBS, WRITABLE],
}


def cases(pairs: list[tuple[str, bool]]) -> list[Any]:
    return [pytest.param(BY_LABEL[label], team, name,
                         id=f"{label}-{'team-params' if team else 'class-only'}-{name}")
            for label, team in pairs for name, _ in GATEWAYS]


#: Streams gloo-harden brings to the promise: every pair of UNHARDENED (kgateway 2.0/2.1
#: class-only through the class-level GatewayParameters add-kgateway-class-parameters adds).
HARDENED = list(UNHARDENED)


def unhardened(version: Version, team: bool) -> str:
    return cluster(version, platform_stream(version), application_stream(version, team))


def hardened(version: Version, team: bool) -> str:
    """Platform render and application objects in one stream, through ``gloo-harden``."""
    return cluster(version, harden(join(platform_stream(version),
                                        application_stream(version, team))))


@pytest.mark.parametrize(("version", "team", "name"), cases(list(UNHARDENED)))
def test_unhardened_streams_break_the_promise(version: Version, team: bool, name: str) -> None:
    rendered = render(version, unhardened(version, team), name)
    assert violations(version, rendered, name) == UNHARDENED[version.label, team]


@pytest.mark.parametrize(("version", "team", "name"), cases(HARDENED))
def test_hardened_streams_keep_the_promise(version: Version, team: bool, name: str) -> None:
    rendered = render(version, hardened(version, team), name)
    assert violations(version, rendered, name) == []
    web = proxy(version, rendered)
    if name == "web" and version.binds_real_ports:  # Envoy binds 80 and 443 through the sysctl
        assert {80, 443} <= set(web.container_ports)
        assert web.sysctls == {"net.ipv4.ip_unprivileged_port_start": "0"}


@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: v.label)
def test_team_parameters_applied_outside_the_stream_undo_the_hardening(version: Version) -> None:
    """The promise cannot hold for what never goes through gloo-harden: an application team that
    applies its own per-Gateway GatewayParameters after the platform's hardened render gets
    NET_BIND_SERVICE back and a writable root (lists append, a set scalar wins)."""
    platform = harden(platform_stream(version))
    for name, _ in GATEWAYS:
        rendered = render(version, cluster(version, platform, application_stream(version, True)),
                          name)
        assert violations(version, rendered, name)[:2] == [NBS, WRITABLE]


@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: v.label)
def test_team_objects_hardened_in_their_own_pipeline_keep_the_promise(version: Version,
                                                                      tmp_path: Path) -> None:
    """What we tell that team to do: run gloo-harden over its own Gateways and parameters (the
    stream shows no release, so the version is given; nor the class-level parameters theirs
    are merged over, so the platform's output is handed in as evidence) and apply the
    result."""
    platform = harden(platform_stream(version))
    evidence = tmp_path / "platform.yaml"
    evidence.write_text(platform)
    team = harden(application_stream(version, True), "--assume-version", version.release,
                  "--evidence", str(evidence))
    for name, _ in GATEWAYS:
        rendered = render(version, cluster(version, platform, team), name)
        assert violations(version, rendered, name) == []


#: One way to break each part of the promise by hand, and what ``violations`` must then say.
Break = Callable[[Proxy], None]
BREAKS: dict[str, Break] = {
    NBS: lambda p: p.envoy["securityContext"]["capabilities"].setdefault(
        "add", []).append("NET_BIND_SERVICE"),
    WRITABLE: lambda p: p.envoy["securityContext"].pop("readOnlyRootFilesystem"),
    "ServiceAccount automounts its token":
        lambda p: p.service_account.update(automountServiceAccountToken=True),
    "pod automounts its token": lambda p: p.pod.update(automountServiceAccountToken=True),
    "binds 80 with neither the net.ipv4.ip_unprivileged_port_start sysctl nor NET_BIND_SERVICE":
        lambda p: p.pod.pop("securityContext"),
    "ServiceAccount is not the Gateway's (xDS identity)":
        lambda p: (p.pod.update(serviceAccountName="shared"),
                   p.service_account["metadata"].update(name="shared")),
    "no projected xds-token (audience kgateway) mounted in Envoy":
        lambda p: p.pod.update(volumes=[v for v in p.pod["volumes"] if v["name"] != "xds-token"]),
}


@pytest.mark.parametrize("expected", sorted(BREAKS))
def test_each_check_fails_on_a_proxy_broken_by_hand(expected: str) -> None:
    version = BY_LABEL["kgw-2.3"]  # its default proxy keeps the whole promise (above)
    rendered = copy.deepcopy(render(version, unhardened(version, False), "web"))
    assert violations(version, rendered, "web") == []
    BREAKS[expected](proxy(version, rendered))
    assert violations(version, rendered, "web") == [expected]


@pytest.mark.parametrize("version", [v for v in VERSIONS if not v.binds_real_ports],
                         ids=lambda v: v.label)
def test_mapped_generations_never_bind_low_ports(version: Version) -> None:
    """Gloo and kgateway 2.0 map listener ports below 1024 to +8000: no sysctl, none needed."""
    web = proxy(version, render(version, unhardened(version, False), "web"))
    assert min(web.container_ports) >= 1024 and web.sysctls == {}


EXAMPLE = REPO / "examples" / "kgateway"


@pytest.mark.parametrize("team_hardened", [True, False], ids=["team-hardened", "team-as-written"])
def test_kgateway_example_proxy(team_hardened: bool, tmp_path: Path) -> None:
    """examples/kgateway, hardened as its run.sh does, renders a proxy that keeps the promise;
    the shop team's parameters applied as written undo it."""
    version = BY_LABEL["kgw-2.1"]
    platform = harden((EXAMPLE / "kgateway-rendered.yaml").read_text())
    team = join(*(p.read_text() for p in sorted((EXAMPLE / "team").glob("*.yaml"))))
    if team_hardened:  # the class and its parameters handed in as run.sh does
        evidence = tmp_path / "platform.yaml"
        evidence.write_text(platform)
        team = harden(team, "--assume-version", version.release, "--evidence", str(evidence))
    rendered = render(version, cluster(version, platform, team), "shop")
    assert violations(version, rendered, "shop") == ([] if team_hardened else [NBS, WRITABLE])
    assert proxy(version, rendered).sysctls == {"net.ipv4.ip_unprivileged_port_start": "0"}


@pytest.mark.parametrize("label", ["kgw-2.1", "kgw-2.3"])
def test_omitted_default_security_context_keeps_what_port_80_needs(label: str) -> None:
    """A team's parameters with omitDefaultSecurityContext: true take the deployer's sysctl away
    (kgateway ≥2.1): its Gateway on 80 binds only with NET_BIND_SERVICE, so the guard keeps it
    and says why; the rest is hardened. Dropping it would leave Envoy unable to bind 80."""
    version = BY_LABEL[label]
    omitting = team_parameters(version)
    omitting["spec"]["kube"]["omitDefaultSecurityContext"] = True
    stream = join(platform_stream(version), application_stream(version, True).replace(
        yaml.safe_dump(team_parameters(version), sort_keys=False),
        yaml.safe_dump(omitting, sort_keys=False)))
    assert "omitDefaultSecurityContext" in stream
    assert violations(version, render(version, cluster(version, stream), "web"), "web") == [WRITABLE]
    rendered = render(version, cluster(version, harden(stream)), "web")
    assert violations(version, rendered, "web") == []
    assert proxy(version, rendered).added_capabilities == ["NET_BIND_SERVICE"]
    assert ("kept for envoyContainer: omitDefaultSecurityContext: true (no "
            "net.ipv4.ip_unprivileged_port_start sysctl) for Gateway apps/web listener port 80"
            in results(stream))


RESTRICTED = ("--profile", "restricted")


@pytest.mark.parametrize(("version", "team", "name"), cases(HARDENED))
def test_restricted_proxies_drop_all_exactly_once(version: Version, team: bool, name: str) -> None:
    """``--profile restricted`` writes ``drop: [ALL]`` where the merge chain first needs it,
    once: both deployers append lists (Gloo ``merge.go`` deepMergeSlices, kgateway the same; the
    real kgateway 2.2.0 controller renders a drop written at two levels as ``[ALL, ALL]``), so
    Gloo's per-Gateway parameters get none when the class-level ones drop ALL, and kgateway's
    none over the deployer's default."""
    stream = join(platform_stream(version), application_stream(version, team))
    rendered = render(version, cluster(version, harden(stream, *RESTRICTED)), name)
    assert violations(version, rendered, name) == []
    assert proxy(version, rendered).dropped_capabilities == ["ALL"]


@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: v.label)
def test_a_drop_written_at_both_levels_is_appended(version: Version) -> None:
    """The check above can fail: the team's parameters given drop: [ALL] by hand, over the
    hardened class-level ones (Gloo) or the deployer's default (kgateway), render [ALL, ALL]."""
    stream = join(platform_stream(version), application_stream(version, True))
    text = harden(stream, *RESTRICTED)
    docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    (team,) = [d for d in docs if d["kind"] == "GatewayParameters"
               and d["metadata"]["name"] == "team-params"]
    context = team["spec"]["kube"]["envoyContainer"]["securityContext"]
    assert "drop" not in context.get("capabilities", {})
    context.setdefault("capabilities", {})["drop"] = ["ALL"]
    rendered = render(version, cluster(version, yaml.safe_dump_all(docs, sort_keys=False)), "web")
    assert proxy(version, rendered).dropped_capabilities == ["ALL", "ALL"]


@pytest.mark.parametrize("label", ["kgw-2.1", "kgw-2.3"])
def test_restricted_omitted_default_security_context_drops_all_once(label: str) -> None:
    """Parameters with omitDefaultSecurityContext: true lose the deployer's default, drop ALL
    included: the restricted profile writes it there, and the proxy drops ALL once."""
    version = BY_LABEL[label]
    omitting = team_parameters(version)
    omitting["spec"]["kube"]["omitDefaultSecurityContext"] = True
    stream = join(platform_stream(version), application_stream(version, True).replace(
        yaml.safe_dump(team_parameters(version), sort_keys=False),
        yaml.safe_dump(omitting, sort_keys=False)))
    for name, _ in GATEWAYS:
        rendered = render(version, cluster(version, harden(stream, *RESTRICTED)), name)
        assert proxy(version, rendered).dropped_capabilities == ["ALL"], name


def _class_adds(version: Version, platform: str, add: list[str]) -> str:
    """``platform`` whose class-level GatewayParameters add ``add``: Gloo's chart parameters
    edited; for kgateway 2.0/2.1 a GatewayClass kgateway naming parameters of its own (so
    add-kgateway-class-parameters adds none)."""
    docs = objects(platform)
    if not version.kgateway:
        (central,) = [d for d in docs if d["kind"] == "GatewayParameters"]
        context = central["spec"]["kube"]["envoyContainer"]["securityContext"]
        context.setdefault("capabilities", {})["add"] = add
        return yaml.safe_dump_all(docs, sort_keys=False)
    extra = [{"apiVersion": "gateway.kgateway.dev/v1alpha1", "kind": "GatewayParameters",
              "metadata": {"name": "central", "namespace": "kgateway-system"},
              "spec": {"kube": {"envoyContainer": {"securityContext": {
                  "capabilities": {"add": add}}}}}},
             {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
              "metadata": {"name": version.gateway_class},
              "spec": {"controllerName": "kgateway.dev/kgateway", "parametersRef": {
                  "group": "gateway.kgateway.dev", "kind": "GatewayParameters",
                  "name": "central", "namespace": "kgateway-system"}}}]
    return join(platform, yaml.safe_dump_all(extra, sort_keys=False))


def _plain_team(version: Version, add: list[str] | None) -> str:
    """The application team's Gateways and parameters that only set the user (``add`` absent),
    or add ``add``."""
    team = team_parameters(version)
    context = team["spec"]["kube"]["envoyContainer"]["securityContext"]
    context.update(readOnlyRootFilesystem=True, runAsUser=10101)
    if add is None:
        del context["capabilities"]
    else:
        context["capabilities"]["add"] = add
    return application_stream(version, True).replace(
        yaml.safe_dump(team_parameters(version), sort_keys=False),
        yaml.safe_dump(team, sort_keys=False))


#: Gloo, and the kgateway generations whose class parameters come from the stream's class
CLASS_IN_STREAM = [v for v in VERSIONS if not v.class_from_env]


@pytest.mark.parametrize("team_add", [None, ["NET_BIND_SERVICE"]], ids=["no-add", "add-nbs"])
@pytest.mark.parametrize("version", CLASS_IN_STREAM, ids=lambda v: v.label)
def test_class_level_capabilities_survive_hardening(version: Version,
                                                    team_add: list[str] | None) -> None:
    """The class-level GatewayParameters add NET_ADMIN (and NET_BIND_SERVICE); a team's
    per-Gateway parameters leave ``add`` out or add only NET_BIND_SERVICE. Hardened, the
    proxy keeps NET_ADMIN: no empty list is written over it (deepMergeSlices: it would replace
    the class's list). Without the guard clear-default-capabilities / drop-net-bind-service
    wrote ``add: []`` there and the proxy lost NET_ADMIN (shown by hand below). The class's own
    NET_BIND_SERVICE is removed where it is written, so with ``add`` left out Gloo's proxy has
    none; the team's own ``[NET_BIND_SERVICE]`` stays (emptied, it would replace the class's
    list); kgateway 2.0/2.1 append the class's list to the default's NET_BIND_SERVICE, which no
    GatewayParameters but an empty list can take away, and the run says so."""
    platform = _class_adds(version, platform_stream(version), ["NET_ADMIN", "NET_BIND_SERVICE"])
    stream = join(platform, _plain_team(version, team_add))
    text = harden(stream)
    rendered = render(version, cluster(version, text), "web")
    default = ["NET_BIND_SERVICE"] if version.kgateway else []
    team = [] if team_add is None else team_add  # kept: emptied, it would replace the class's
    assert proxy(version, rendered).added_capabilities == default + ["NET_ADMIN"] + team
    said = results(stream)
    assert "GatewayParameters/apps/team-params" in said
    assert ("Gateway apps/web and Gateway apps/internal merge these parameters over "
            "GatewayParameters ") in said and "which add [NET_ADMIN]" in said
    assert ("the deployer's default NET_BIND_SERVICE stays too" in said) == version.kgateway
    # the empty list the hardenings wrote before: the proxy loses NET_ADMIN
    docs = objects(text)
    (team,) = [d for d in docs if d["kind"] == "GatewayParameters"
               and d["metadata"]["name"] == TEAM_PARAMETERS]
    team["spec"]["kube"]["envoyContainer"]["securityContext"]["capabilities"] = {"add": []}
    broken = render(version, cluster(version, yaml.safe_dump_all(docs, sort_keys=False)), "web")
    assert proxy(version, broken).added_capabilities == []


@pytest.mark.parametrize("version", CLASS_IN_STREAM, ids=lambda v: v.label)
def test_class_level_net_bind_service_only_is_still_cleared(version: Version) -> None:
    """Class-level parameters that add only NET_BIND_SERVICE: the team's parameters get
    ``add: []`` (it replaces nothing else) and the proxy adds no capability at all."""
    platform = _class_adds(version, platform_stream(version), ["NET_BIND_SERVICE"])
    stream = join(platform, _plain_team(version, None))
    rendered = render(version, cluster(version, harden(stream)), "web")
    assert proxy(version, rendered).added_capabilities == []
    assert violations(version, rendered, "web") == []
