"""Evidence a client cannot hand over: what Helm hooks hide from a Helm 3 post-renderer.

Gloo 1.12 and 1.13 apply their default Gateways, and with them the ports the proxies bind
(``bindPort``), from a heredoc in the ``gloo-resource-rollout`` Job, a Helm hook
(``helm.sh/hook: post-install,post-upgrade``; ``../shared/notes/gloo-domain.md`` §0.5). Before
1.12 they are documents of their own, from 1.14 they sit in the ``gloo-custom-resource-config``
ConfigMap: both reach every client. Helm 3 hands a post-renderer no hooks (``clients``), so
there, and only there, the guards that read those Gateways decide without them, and say so.
"""

from __future__ import annotations

from gloo_harden.gloo.clients import HELM3_POST_RENDERER
from gloo_harden.gloo.index import StreamIndex, gloo_versions

#: Gloo minors whose default Gateways live in a hook Job
ROLLOUT_HOOK_MINORS = ((1, 12), (1, 13))


def unseen_gateways(index: StreamIndex) -> list[str]:
    """Why the Gloo Gateways cannot be in this stream, or nothing when they can (or are)."""
    if index.client != HELM3_POST_RENDERER:
        return []
    if index.of_kind("Gateway", "MatchableHttpGateway", "MatchableTcpGateway",
                     group="gateway.solo.io") or index.embedded()[0]:
        return []  # they are here after all (a hand-made stream, or the chart of another era)
    versions = gloo_versions(index)
    if versions and not set(versions) & set(ROLLOUT_HOOK_MINORS):
        return []
    which = ("Gloo " + ", ".join(f"{major}.{minor}" for major, minor in sorted(versions))
             if versions else "Gloo 1.12-1.13 (the stream shows no version)")
    return [f"the Gloo Gateways and their bindPort: {which} applies them from the "
            "gloo-resource-rollout Job, a Helm hook, and Helm 3 hands a post-renderer no hooks"]


#: how to give the guards what a Helm 3 post-renderer is not shown
SEE_THEM = "to see them, pipe helm template into gloo-harden or use the Helm 4 plugin"
