"""``--profile restricted`` reaches the sidecars a GatewayParameters templates, proven on the proxy
the controller creates (the deployer emulator with the real Helm 3, Istio integration on).

With the Istio integration the deployers add ``sds`` and ``istio-proxy`` to every proxy pod, each
with the securityContext of its template (``sdsContainer``, ``istio.istioProxyContainer``)
and nothing of their own (``scopes/gateway_parameters_sidecars.py``). A Gloo Gateway 1.19 and a
kgateway 2.1 platform render with an application team's Gateway and its GatewayParameters (the
sidecars' users given, as the profile needs them for runAsNonRoot): unhardened, the proxy pod
fails Pod Security "restricted" (tests/pss.py) on both sidecars; through ``gloo-harden --profile
restricted`` every container passes, and each drops ALL exactly once. Without a known user the
sidecar fails only runAsNonRoot, and the run says so.
"""

from __future__ import annotations

from typing import Any

import pytest

import pss
from deployer import BY_LABEL, cluster, harden, render, results, sidecar_stream

pytestmark = pytest.mark.e2e

SIDECARS = ("sds", "istio-proxy")
RESTRICTED = ("--profile", "restricted")
LABELS = ("gloo-1.19", "kgw-2.1")


def deployment(rendered: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    (found,) = [d for d in rendered if d["kind"] == "Deployment"]
    return found


def containers(rendered: tuple[dict[str, Any], ...]) -> dict[str, dict[str, Any]]:
    pod = deployment(rendered)["spec"]["template"]["spec"]
    return {c["name"]: c for c in pod["containers"]}


def restricted(rendered: tuple[dict[str, Any], ...]) -> set[tuple[str | None, str]]:
    """(container, control) of every Pod Security "restricted" violation of the proxy pod."""
    return {(v.container, v.control) for v in pss.check(deployment(rendered))}


@pytest.mark.parametrize("label", LABELS)
def test_unhardened_sidecars_fail_restricted(label: str) -> None:
    version = BY_LABEL[label]
    rendered = render(version, cluster(version, sidecar_stream(version)), "web", istio=True)
    assert set(containers(rendered)) >= set(SIDECARS)
    failing = {container for container, _ in restricted(rendered)}
    assert set(SIDECARS) <= failing


@pytest.mark.parametrize("label", LABELS)
def test_restricted_profile_brings_every_container_to_restricted(label: str) -> None:
    version = BY_LABEL[label]
    rendered = render(version, cluster(version, harden(sidecar_stream(version), *RESTRICTED)), "web",
                      istio=True)
    assert set(containers(rendered)) >= set(SIDECARS)
    assert restricted(rendered) == set()
    for name in SIDECARS:
        context = containers(rendered)[name]["securityContext"]
        assert context["capabilities"]["drop"] == ["ALL"], name  # once along the chain
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, name


@pytest.mark.parametrize("label", LABELS)
def test_sidecars_of_unknown_user_fail_only_run_as_non_root_and_are_reported(label: str) -> None:
    version = BY_LABEL[label]
    text = sidecar_stream(version, users=False)
    rendered = render(version, cluster(version, harden(text, *RESTRICTED)), "web", istio=True)
    assert restricted(rendered) == {(name, "runAsNonRoot") for name in SIDECARS}
    said = results(text, *RESTRICTED)
    for name in SIDECARS:
        assert f'kept for sidecar "{name}": no runAsUser' in said, name
