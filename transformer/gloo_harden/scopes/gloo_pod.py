"""``gloo-pod``: the pod spec of every Gloo workload: proxies and the control plane.

That is every Deployment, DaemonSet, StatefulSet, Job, CronJob or Pod labelled as Gloo's:
``app: gloo`` or a ``gloo`` label (on the object or its pod template; the chart puts
``gloo: <component>`` on gloo, discovery, gateway, the proxies, certgen and the rollout Jobs,
ingress and knative), or ``app.kubernetes.io/name: kgateway``. Used by opt-in profiles that
harden the whole install, not only the data plane.
"""

from __future__ import annotations

from collections.abc import Iterator

from gloo_harden.gloo.index import StreamIndex
from gloo_harden.resources.model import Resource
from gloo_harden.resources.podspec import POD_SPEC_PATHS, pod_labels, pod_spec
from gloo_harden.resources.results import Severity
from gloo_harden.scopes.target import Reads, ScopeOptions, Target

ID = "gloo-pod"
READS = Reads(every_workload=True)


def empty(index: StreamIndex) -> tuple[Severity, str]:
    """What a run says when the stream holds nothing in this scope."""
    return (Severity.INFO, "no Gloo workload in the stream")


def is_gloo(resource: Resource) -> bool:
    """A workload Gloo's or kgateway's chart renders (see the module docstring)."""
    for labels in (resource.labels, pod_labels(resource.tree, resource.kind)):
        if labels.get("app") == "gloo" or "gloo" in labels \
                or labels.get("app.kubernetes.io/name") == "kgateway":
            return True
    return False


def workloads(index: StreamIndex) -> Iterator[tuple[Resource, object, str]]:
    """Every Gloo workload with its pod spec and the spec's field path."""
    for resource in index.of_kind(*POD_SPEC_PATHS):
        located = pod_spec(resource.tree, resource.kind)
        if located is not None and is_gloo(resource):
            yield resource, located[0], resource.field(located[1])


def targets(index: StreamIndex, options: ScopeOptions) -> Iterator[Target]:
    for resource, spec, path in workloads(index):
        yield Target(ID, resource, spec, path, "PodSpec", "pod spec")
