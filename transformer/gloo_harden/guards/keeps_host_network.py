"""``keeps-host-network``: never take a Gloo proxy off the host network.

A gateway proxy rendered with ``kind.daemonSet.hostNetwork: true`` binds its ports on the
node; removing ``hostNetwork`` (which Pod Security "baseline" and "restricted" forbid, as they
forbid ``hostPort``) changes where traffic arrives. So the restricted profile's patch that
removes host namespaces is always kept back where ``hostNetwork`` is on, and the warning says
which pod still falls short of "restricted" and why.
"""

from __future__ import annotations

from gloo_harden.gloo.evidence import KindRead
from gloo_harden.gloo.index import StreamIndex
from gloo_harden.resources.podspec import items
from gloo_harden.scopes import Target

ID = "keeps-host-network"
EVIDENCE = (
    "hostNetwork: true on the pod spec (its hostPorts are named)",
)

#: only the target itself is read
KINDS_READ: tuple[KindRead, ...] = ()


def check(target: Target, index: StreamIndex) -> list[str]:
    if target.node.get("hostNetwork") is not True:
        return []
    ports = [p.get("hostPort") for c in items(target.node.get("containers")) if isinstance(c, dict)
             for p in items(c.get("ports")) if isinstance(p, dict) and p.get("hostPort")]
    where = f" and host ports {', '.join(map(str, ports))}" if ports else ""
    return [f"hostNetwork: true{where}: the proxy listens on the node"]
