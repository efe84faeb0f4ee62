"""``writable-paths-on-volumes``: a read-only root filesystem only where the container writes
nowhere else than its volumes.

Known to write nothing outside volumes: Gloo's control plane (``gloo``, ``discovery``,
``gateway``, the ``ingress`` controller, ``certgen``, which only talks to the API server) and
the Envoy container of every Gloo proxy and of ``GatewayParameters`` (its bootstrap and caches
are volumes; the charts already set read-only root there). Known to write elsewhere:
``kubectl`` in the rollout Jobs (its discovery cache under ``$HOME/.kube``), unless a volume is
mounted there. Every other container is kept as it is, because its writable paths are not
known. Only the target itself is read.

The final state is judged too (``broken``): a container with ``readOnlyRootFilesystem: true``
and a writer known to write outside its volumes cannot write there.
"""

from __future__ import annotations

from gloo_harden.gloo.evidence import KindRead, Unseen
from gloo_harden.gloo.index import StreamIndex
from gloo_harden.resources.podspec import items
from gloo_harden.resources.results import show_text
from gloo_harden.scopes import Target

ID = "writable-paths-on-volumes"
READ_ONLY_SAFE = ("gloo", "discovery", "gateway", "ingress", "certgen")
#: container name → (path it writes, where it comes from)
WRITES = {"kubectl": ("/.kube", "kubectl's discovery cache under $HOME/.kube")}
EVIDENCE = (
    "a container known to write outside its volumes: kubectl (its cache under $HOME/.kube, "
    "unless a volume is mounted there)",
    "a container whose writable paths are not known: any but Envoy and Gloo's control plane "
    "(" + ", ".join(READ_ONLY_SAFE) + ")",
    "with readOnlyRootFilesystem: true already set: a known writer outside the volumes is "
    "reported as an install that is already broken",
)
KINDS_READ: tuple[KindRead, ...] = ()


def check(target: Target, index: StreamIndex) -> list[str]:
    name = show_text(target.node.get("name", ""))
    if _is_envoy(target, index) or name in READ_ONLY_SAFE:
        return writers(target)
    if name in WRITES:
        return writers(target)
    return [f'the writable paths of container "{name}" are not known; set '
            "readOnlyRootFilesystem yourself once they are on volumes"]


def unseen(target: Target, index: StreamIndex) -> list[Unseen]:
    """Nothing: only the target itself is read."""
    return []


def broken(target: Target, index: StreamIndex) -> list[str]:
    """A read-only root (as the target already is) with a known writer outside the volumes."""
    context = target.node.get("securityContext")
    if not isinstance(context, dict) or context.get("readOnlyRootFilesystem") is not True:
        return []
    found = writers(target)
    return [f"{'; '.join(found)}, and the root filesystem is read-only"] if found else []


def writers(target: Target) -> list[str]:
    """What the container is known to write outside its volumes (``WRITES``)."""
    name = str(target.node.get("name", ""))
    if name not in WRITES:
        return []
    path, what = WRITES[name]
    mounts = [str(m.get("mountPath", "")) for m in items(target.node.get("volumeMounts"))
              if isinstance(m, dict)]
    if any(m.rstrip("/").endswith(path) for m in mounts):
        return []
    return [f'container "{name}" writes {what}, which is not on a volume']


def _is_envoy(target: Target, index: StreamIndex) -> bool:
    if target.resource.kind == "GatewayParameters":
        return target.path.endswith("envoyContainer")
    proxy = index.proxy_of(target.resource)
    return proxy is not None and proxy.envoy is not None \
        and target.path == proxy.container_path(proxy.envoy)
