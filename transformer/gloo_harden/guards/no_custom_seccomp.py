"""``no-custom-seccomp``: set the pod's ``seccompProfile`` to ``RuntimeDefault`` only where no
profile of its own is chosen.

A pod-level ``Localhost`` profile is a deliberate choice that Pod Security "restricted" also
accepts; merging ``type: RuntimeDefault`` into it would also leave a stray ``localhostProfile``
behind. Evidence: a pod ``seccompProfile`` of any type other than ``RuntimeDefault`` and
``Unconfined`` (the latter is what "restricted" forbids, so it is replaced).
"""

from __future__ import annotations

from gloo_harden.gloo.evidence import KindRead
from gloo_harden.gloo.index import StreamIndex
from gloo_harden.scopes import Target

ID = "no-custom-seccomp"
EVIDENCE = (
    "a pod securityContext.seccompProfile (or a GatewayParameters container template's) whose "
    "type is neither RuntimeDefault nor Unconfined (e.g. Localhost)",
)

#: only the target itself is read
KINDS_READ: tuple[KindRead, ...] = ()


def check(target: Target, index: StreamIndex) -> list[str]:
    context = target.node.get("securityContext")
    profile = context.get("seccompProfile") if isinstance(context, dict) else None
    kind = profile.get("type") if isinstance(profile, dict) else None
    if kind in (None, "RuntimeDefault", "Unconfined"):
        return []
    who = "the container" if target.type_name == "Container" else "the pod"
    return [f"{who} already chooses seccompProfile type {kind}"]
