"""``proxy-pod``: the pod spec of every Gloo proxy workload (see ``proxy-container``).

The chart's ``disableAutomount`` only reaches the ``gateway-proxy`` ServiceAccount; ingress and
knative proxies share the namespace ``default`` account, so the pod spec is where their token
mount can be turned off without touching other workloads.
"""

from __future__ import annotations

from collections.abc import Iterator

from gloo_harden.gloo.index import StreamIndex
from gloo_harden.resources.results import Severity
from gloo_harden.scopes.target import Reads, ScopeOptions, Target

ID = "proxy-pod"
READS = Reads()  # proxies only, which every run reads


def empty(index: StreamIndex) -> tuple[Severity, str]:
    """What a run says when the stream holds nothing in this scope."""
    return (Severity.INFO, "no Gloo proxy workload in the stream")


def targets(index: StreamIndex, options: ScopeOptions) -> Iterator[Target]:
    for proxy in index.proxies:
        yield Target(ID, proxy.resource, proxy.spec, proxy.spec_path, "PodSpec", "pod spec", proxy)
