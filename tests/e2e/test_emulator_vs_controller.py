"""The deployer emulator checked against the real thing: the emulator's kgateway scenarios
(``../shared/tools/deployer-emulator/scenarios``, as its run_scenarios.sh combines them) rendered
for kgateway 2.2 by the emulator (family kgw-2.3, which stands in for 2.2) and by the real kgateway
v2.2.0 controller, compared on the security-relevant fields (kgwreal.security_fields).

They agree everywhere but in one place, named here: with a per-Gateway
``omitDefaultSecurityContext: true`` the 2.2.0 deployer wipes the class-level Envoy securityContext
too, while 2.3 keeps it (#13811) and the emulator renders 2.3's behaviour. The emulator stays the
judge only where no controller can be built (kgateway 2.0, 2.1, 2.3, Gloo Gateway): see README.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from controlplane import ControlPlane
from deployer import EMULATOR, render
from kgwreal import CONTROLLER_NAME, KGW_2_2, apply, security_fields

pytestmark = pytest.mark.e2e

SCENARIOS = EMULATOR / "scenarios"
ENVOY = "c[kgateway-proxy].securityContext"
#: label -> (scenario files, Gateway) — run_scenarios.sh's kgateway cases
CASES = {
    "default": (("gw-port80.yaml",), "gw"),
    "class-add-empty": (("kgw-class-gwp-add-empty.yaml", "gw-port80.yaml"), "gw"),
    "class-add-key-removed": (("kgw-class-gwp-add-removed.yaml", "gw-port80.yaml"), "gw"),
    "gw-gwp-readds": (("kgw-class-gwp-add-empty.yaml", "kgw-gw-gwp-readds.yaml"), "gw2"),
    "gw-gwp-omit": (("kgw-class-gwp-add-empty.yaml", "kgw-gw-gwp-omit.yaml"), "gw3"),
}
#: Where the 2.2.0 controller differs from the emulator (which renders 2.3): field -> (real, emulated)
DIFFERS = {
    "gw-gwp-omit": {ENVOY: (None, {"capabilities": {}, "readOnlyRootFilesystem": True})},
}


def scenario(files: tuple[str, ...]) -> list[dict[str, Any]]:
    docs = [d for f in files for d in yaml.safe_load_all((SCENARIOS / f).read_text()) if d]
    if not any(d["kind"] == "GatewayClass" for d in docs):  # the controller's own, no parameters
        docs.insert(0, {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                        "metadata": {"name": "kgateway"}, "spec": {"controllerName": CONTROLLER_NAME}})
    return docs


@pytest.mark.parametrize("label", sorted(CASES))
def test_the_emulator_renders_what_the_controller_writes(label: str,
                                                         control_plane: ControlPlane) -> None:
    files, gateway = CASES[label]
    if not SCENARIOS.is_dir():
        pytest.skip(f"{SCENARIOS} not found")
    docs = scenario(files)
    emulated = security_fields(render(KGW_2_2, yaml.safe_dump_all(docs), gateway))
    real = security_fields(apply(control_plane, docs, prefix=f"emu-{label}")[gateway].objects)
    differ = {k: (real.get(k), emulated.get(k)) for k in set(real) | set(emulated)
              if real.get(k) != emulated.get(k)}
    assert differ == DIFFERS.get(label, {})
    assert len(real) == 8  # the fields were there to compare


def test_a_difference_would_be_seen(control_plane: ControlPlane) -> None:
    """The comparison is not vacuous: a scenario changed for the real controller only differs."""
    docs = scenario(CASES["class-add-empty"][0])
    emulated = security_fields(render(KGW_2_2, yaml.safe_dump_all(docs), "gw"))
    for doc in docs:
        if doc["kind"] == "GatewayParameters":
            doc["spec"]["kube"]["envoyContainer"]["securityContext"]["readOnlyRootFilesystem"] = False
    real = security_fields(apply(control_plane, docs, prefix="emu-changed")["gw"].objects)
    assert real[ENVOY] != emulated[ENVOY]
