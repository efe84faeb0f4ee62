"""``known-non-root-user``: set ``runAsNonRoot: true`` only where a non-root user is known.

``runAsNonRoot`` makes the kubelet refuse to start a container whose user is root or cannot be
proven otherwise: an image with a named (non-numeric) ``USER`` and no ``runAsUser`` does not
start. So the container, or its pod, must give a ``runAsUser`` above 0 (Gloo's is 10101); the
guard never sets or changes ``runAsUser`` itself. Evidence: no ``runAsUser`` anywhere (the
image's user is unknown: ingress/knative proxies, Gloo 1.2, the kgateway controller, Istio
sidecars), or ``runAsUser: 0``.

A GatewayParameters is a template the deployer merges over others (``gloo.parameters_merge``):
kgateway's default Envoy securityContext, which has ``runAsNonRoot: true`` and ``runAsUser:
10101`` in every 2.x release (``gloo.deployer_defaults``) unless the parameters set
``omitDefaultSecurityContext: true``; for a Gloo Gateway per-Gateway GatewayParameters, the
class-level one its Gateways' class names (the chart's sets 10101 on Envoy). Its sidecar
templates (``sdsContainer``, ``istio.istioProxyContainer``, ``aiExtension``) get a user only from
the same template or the pod template of the links before them: neither kgateway's default nor
the Gloo chart's GatewayParameters give them one (``gateway-parameters-sidecars``), and the
images' own users (Istio's proxyv2 runs as 1337) are not visible. So its user is known when
every use of it gets a ``runAsUser`` that way (a ``runAsUser: 0`` of its own, or inherited, still
counts); a use the stream does not show (the Gateway's class or its parameters), or a
``floatingUserId: true`` on the way, leaves it unknown. Read from the stream only.

The final state is judged too (``broken``): ``runAsNonRoot: true`` with ``runAsUser: 0`` is a
container the kubelet refuses to start ("container has runAsNonRoot and image will run as
root").
"""

from __future__ import annotations

from typing import Any

from gloo_harden.gloo.evidence import KindRead, Unseen
from gloo_harden.gloo.index import StreamIndex
from gloo_harden.gloo.parameters_merge import inherited_user
from gloo_harden.resources.podspec import pod_spec
from gloo_harden.scopes import Target
from gloo_harden.scopes.gateway_parameters_sidecars import container_keys

ID = "known-non-root-user"
EVIDENCE = (
    "no runAsUser on the container or its pod (the image's user is not known)",
    "runAsUser: 0 on the container, or on its pod when the container sets none",
    "with runAsNonRoot: true already set: runAsUser 0 is reported as an install that is "
    "already broken (the kubelet refuses to start it)",
)
KINDS_READ: tuple[KindRead, ...] = ()


def check(target: Target, index: StreamIndex) -> list[str]:
    user = _user(target.node)
    if user is None:
        located = pod_spec(target.resource.tree, target.resource.kind)
        user = _user(located[0]) if located is not None else None
    if user is None and target.resource.kind == "GatewayParameters":
        inherited = inherited_user(target.resource, index, container_keys(target))
        if inherited and all(u is not None for u in inherited):
            user = min(u for u in inherited if u is not None)
    if user is None:
        return ["no runAsUser on the container or its pod, so the image's user is not known "
                "to be non-root (set runAsUser, e.g. 10101)"]
    if user == 0:
        return ["runAsUser is 0 (root)"]
    return []


def unseen(target: Target, index: StreamIndex) -> list[Unseen]:
    """Nothing: only the target itself is read."""
    return []


def broken(target: Target, index: StreamIndex) -> list[str]:
    """``runAsNonRoot: true`` (on the container, or its pod) with ``runAsUser: 0``."""
    located = pod_spec(target.resource.tree, target.resource.kind)
    pod = located[0] if located is not None and located[0] is not target.node else {}
    non_root = _context(target.node).get("runAsNonRoot", _context(pod).get("runAsNonRoot"))
    user = _user(target.node)
    if user is None:
        user = _user(pod)
    if non_root is True and user == 0:
        return ["runAsNonRoot: true with runAsUser: 0: the kubelet refuses to start the "
                "container"]
    return []


def _context(node: Any) -> Any:
    context = node.get("securityContext") if isinstance(node, dict) else None
    return context if isinstance(context, dict) else {}


def _user(node: Any) -> int | None:
    context = node.get("securityContext") if isinstance(node, dict) else None
    value = context.get("runAsUser") if isinstance(context, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None

