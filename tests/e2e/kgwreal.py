"""The real kgateway v2.2.0 controller at work: apply Gateways and GatewayParameters to the test
control plane (tests/e2e/controlplane.py) and read back the proxy Deployment, ServiceAccount and
Service it writes, and what PodSecurity admission did with the proxy Pods.

Each stage gets a fresh namespace and its own GatewayClass (named after the namespace, with
``controllerName: kgateway.dev/kgateway``), so stages never see each other's objects and every
Deployment is judged at its first settled revision.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterable
from typing import Any, NamedTuple

from controlplane import ControlPlane
from deployer import Version

#: kgateway 2.2 for deployer.violations (the emulator family that renders it is kgw-2.3, #13811
#: aside): Envoy binds listener ports itself, the class's parametersRef comes from the env.
KGW_2_2 = Version("kgw-2.2", "kgw-2.3", "kgw-2.3.0", "kgateway-2.2.0-default.yaml", "kgateway",
                  "kgateway-2.2.0", class_from_env=True)
CONTROLLER_NAME = "kgateway.dev/kgateway"
GROUP = "gateway.kgateway.dev"
DEPLOYER_READS = ("Gateway", "GatewayClass", "GatewayParameters")
SETTLE = 4.0     # seconds a Deployment's generation must stay the same to count as written
TIMEOUT = 180.0  # seconds for the controller to write every Deployment


class Written(NamedTuple):
    """What the controller wrote for one Gateway, and PodSecurity's verdict on its Pod."""

    objects: tuple[dict[str, Any], ...]  # Deployment, ServiceAccount, Service
    admitted: bool | None                # None: not judged (the namespace enforces nothing)
    refusal: str


def in_namespace(docs: Iterable[dict[str, Any]], namespace: str, gateway_class: str) -> list[dict[str, Any]]:
    """The deployer's inputs of a stream, moved into ``namespace``; every GatewayClass is renamed
    ``gateway_class`` (and Gateways follow), every parametersRef namespace is ``namespace``.
    GatewayParameters first and Gateways last, as a user applies them."""
    moved = []
    for doc in docs:
        if doc.get("kind") not in DEPLOYER_READS:
            continue
        doc = copy.deepcopy(doc)
        if doc["kind"] == "GatewayClass":
            doc["metadata"] = {"name": gateway_class}
            ref = doc["spec"].get("parametersRef")
            if ref:
                ref["namespace"] = namespace
        else:
            doc["metadata"]["namespace"] = namespace
        if doc["kind"] == "Gateway":
            doc["spec"]["gatewayClassName"] = gateway_class
        moved.append(doc)
    order = ("GatewayParameters", "GatewayClass", "Gateway")
    return sorted(moved, key=lambda d: order.index(d["kind"]))


def apply(plane: ControlPlane, docs: list[dict[str, Any]], labels: dict[str, str] | None = None,
          prefix: str = "kgw") -> dict[str, Written]:
    """Apply the deployer's inputs of ``docs`` in a fresh namespace (``labels``) with their own
    GatewayClass; wait for the controller; what it wrote, per Gateway name."""
    plane.start_kgateway()
    namespace = plane.namespace(prefix, labels=labels)
    inputs = in_namespace(docs, namespace, namespace)
    if not any(d["kind"] == "GatewayClass" for d in inputs):
        inputs.insert(0, {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                          "metadata": {"name": namespace}, "spec": {"controllerName": CONTROLLER_NAME}})
    plane.kubectl("create", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                         "items": inputs}))
    gateways = [d["metadata"]["name"] for d in inputs if d["kind"] == "Gateway"]
    settled(plane, namespace, gateways)
    judged = labels is not None and any(k.startswith("pod-security") for k in labels)
    written = {}
    for name in gateways:
        objects = tuple(plane.get("-n", namespace, f"deployment/{name}", f"serviceaccount/{name}",
                                  f"service/{name}")["items"])
        admitted, refusal = pod_verdict(plane, namespace, name) if judged else (None, "")
        written[name] = Written(objects, admitted, refusal)
    return written


def settled(plane: ControlPlane, namespace: str, gateways: list[str]) -> None:
    """Wait until a Deployment exists for every Gateway and no generation changed for SETTLE s
    (the class-level and per-Gateway parameters can land in two reconciles)."""
    deadline = time.monotonic() + TIMEOUT
    last: dict[str, int] = {}
    quiet_since = time.monotonic()
    while True:
        items = plane.get("-n", namespace, "deployments")["items"]
        now = {d["metadata"]["name"]: d["metadata"]["generation"] for d in items}
        if now != last:
            last, quiet_since = now, time.monotonic()
        elif set(gateways) <= set(now) and time.monotonic() - quiet_since >= SETTLE:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"kgateway wrote {sorted(now)} for Gateways {gateways} in "
                                 f"{TIMEOUT:.0f}s; expected one Deployment each\n"
                                 + plane.log_tail("kgateway-local"))
        time.sleep(0.5)


def pod_verdict(plane: ControlPlane, namespace: str, deployment: str) -> tuple[bool, str]:
    """The Pod of the Deployment's current ReplicaSet admitted, or PodSecurity's refusal."""
    deadline = time.monotonic() + 90
    while True:
        dep = plane.get("-n", namespace, f"deployment/{deployment}")
        revision = _revision(dep)
        items = plane.get("-n", namespace, "replicasets,pods,events")["items"]
        current = [i["metadata"]["name"] for i in items if i["kind"] == "ReplicaSet"
                   and _revision(i) == revision and _owned_by(i, deployment)]
        pods = [p for p in items if p["kind"] == "Pod" and any(_owned_by(p, c) for c in current)]
        refusals = [e["message"] for e in items if e["kind"] == "Event"
                    and e.get("reason") == "FailedCreate" and e["involvedObject"]["name"] in current]
        if pods:
            return True, ""
        if refusals:
            return False, refusals[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"deployment/{deployment}: no Pod and no refusal in 90s")
        time.sleep(1)


def _owned_by(obj: dict[str, Any], owner: str) -> bool:
    return any(r["name"] == owner for r in obj["metadata"].get("ownerReferences") or [])


def _revision(obj: dict[str, Any]) -> str | None:
    return (obj["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision")


def security_fields(objects: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The security-relevant fields of a proxy (after the emulator's compare.py): pod and Envoy
    securityContext, ports, token automount and projected tokens, ServiceAccount, Service ports."""
    out: dict[str, Any] = {}
    for d in objects:
        if d["kind"] == "Deployment":
            pod = d["spec"]["template"]["spec"]
            out["pod.securityContext"] = pod.get("securityContext") or None
            out["pod.automountServiceAccountToken"] = pod.get("automountServiceAccountToken")
            out["pod.serviceAccountName"] = pod.get("serviceAccountName")
            out["pod.projectedTokens"] = sorted(
                (v["name"], s["serviceAccountToken"].get("audience"))
                for v in pod.get("volumes") or [] if "projected" in v
                for s in v["projected"]["sources"] if "serviceAccountToken" in s)
            for c in pod["containers"]:
                out[f"c[{c['name']}].securityContext"] = c.get("securityContext") or None
                out[f"c[{c['name']}].ports"] = sorted(p["containerPort"] for p in c.get("ports") or [])
        elif d["kind"] == "ServiceAccount":
            out["sa.automountServiceAccountToken"] = d.get("automountServiceAccountToken")
        elif d["kind"] == "Service":
            out["svc.ports"] = sorted((p["port"], p["targetPort"]) for p in d["spec"]["ports"])
    return out
