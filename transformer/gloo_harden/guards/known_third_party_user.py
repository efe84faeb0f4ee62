"""``known-third-party-user``: drop ALL capabilities only from containers that can run without
them.

Gloo's and kgateway's own images run as a fixed non-root user (10101) and Istio's proxy as
1337, so ``drop: [ALL]`` takes nothing they use. A third-party container in a Gloo pod (a
redis, an exporter a user adds through ``extraContainers``…) whose user the stream does not
show may start as root and switch users, which needs CHOWN, SETUID and SETGID from the
runtime's default set (``../shared/notes/evidence.md`` §d): dropping ALL would stop it. Such a
container is kept back, with a warning; a ``runAsUser`` above 0 on it or its pod lets it go.
"""

from __future__ import annotations

from typing import Any

from gloo_harden.gloo.evidence import KindRead
from gloo_harden.gloo.index import StreamIndex
from gloo_harden.resources.podspec import mapping, pod_spec
from gloo_harden.scopes import Target

ID = "known-third-party-user"
#: image registries and repositories of containers whose user is known not to need root
KNOWN_IMAGES = ("quay.io/solo-io/", "ghcr.io/kgateway-dev/", "cr.kgateway.dev/",
                "ghcr.io/solo-io/", "docker.io/istio/", "istio/", "gcr.io/istio-release/")
EVIDENCE = (
    "a container whose image is not Gloo's, kgateway's or Istio's ("
    + ", ".join(KNOWN_IMAGES) + "…) and whose user is not known to be non-root (no runAsUser "
    "above 0 on it or its pod): it may start as root and need CHOWN, SETUID or SETGID",
)

KINDS_READ: tuple[KindRead, ...] = ()  # only the target itself


def check(target: Target, index: StreamIndex) -> list[str]:
    if target.resource.kind == "GatewayParameters":
        return []  # container templates: Gloo's/kgateway's own images, Istio's proxyv2 (1337)
    image = str(target.node.get("image", ""))
    if not image or any(image.startswith(known) for known in KNOWN_IMAGES):
        return []
    user = _user(target.node)
    if user is None:
        located = pod_spec(target.resource.tree, target.resource.kind)
        user = _user(located[0]) if located is not None else None
    if user is not None and user > 0:
        return []
    who = "runs as root (runAsUser 0)" if user == 0 else "has a user the stream does not show"
    return [f'container "{target.node.get("name")}" (image {image}) is not Gloo\'s and {who}: '
            "it may need CHOWN, SETUID or SETGID to start (set runAsUser on it, then run again)"]


def _user(node: Any) -> int | None:
    value = mapping(mapping(node).get("securityContext")).get("runAsUser")
    return value if isinstance(value, int) and not isinstance(value, bool) else None
