"""Evidence a client cannot hand over: what Helm hooks hide from a Helm 3 post-renderer.

Gloo 1.12 and 1.13 apply their default Gateways, and with them the ports the proxies bind
(``bindPort``), from a heredoc in the ``gloo-resource-rollout`` Job, a Helm hook
(``helm.sh/hook: post-install,post-upgrade``; ``../shared/notes/gloo-domain.md`` §0.5). Before
1.12 they are documents of their own, from 1.14 they sit in the ``gloo-custom-resource-config``
ConfigMap: both reach every client. Helm 3 hands a post-renderer no hooks (``clients``), so
there, for any Gloo version and any chart that applies Gateways as hooks, a stream without
Gateways may be one whose Gateways were split off: the guards that read them say so, and
``no-privileged-ports`` keeps NET_BIND_SERVICE (``--evidence`` with the cluster's Gateways, or
``helm template |``, decides instead).
"""

from __future__ import annotations

from gloo_harden.gloo import evidence as kinds
from gloo_harden.gloo.clients import HELM3_POST_RENDERER
from gloo_harden.gloo.index import StreamIndex, gloo_versions

GATEWAY_KINDS = ("Gateway", "MatchableHttpGateway", "MatchableTcpGateway")
#: Gloo minors whose default Gateways live in a hook Job
ROLLOUT_HOOK_MINORS = ((1, 12), (1, 13))


def unseen_gateways(index: StreamIndex) -> list[str]:
    """Why the Gloo Gateways cannot be in this stream, or nothing when they can (or are)."""
    if index.client != HELM3_POST_RENDERER:
        return []
    if any(index.covers(k) for k in (kinds.GLOO_GATEWAY, kinds.HTTP_GATEWAY,
                                      kinds.TCP_GATEWAY)) or any(
            e.data.get("kind") in GATEWAY_KINDS for e in index.embedded()[0]):
        return []  # they are here after all (a hand-made stream, the evidence, another era)
    versions = gloo_versions(index)
    if set(versions) & set(ROLLOUT_HOOK_MINORS):
        which = ", ".join(f"{major}.{minor}" for major, minor in sorted(versions))
        return [f"Gloo {which} applies its Gateways from the gloo-resource-rollout Job, a Helm "
                "hook, and Helm 3 hands a post-renderer no hooks"]
    return ["Helm 3 hands a post-renderer no hooks, so Gateways a chart applies as hooks "
            "cannot be in this stream"]


#: how to give the guards what a Helm 3 post-renderer is not shown
SEE_THEM = "to see them, pipe helm template into gloo-harden or use the Helm 4 plugin"
