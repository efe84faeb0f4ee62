"""``only-proxies-use-account``: keep a proxy ServiceAccount's token while a workload that is not a
Gloo proxy, or a proxy that opts out, also runs as it.

``automountServiceAccountToken: false`` on a ServiceAccount reaches every pod that runs as it and
does not set the field itself, so a metrics exporter or a user's Job sharing the chart's
``gateway-proxy`` account would lose the API token it may need; so would a proxy whose pod opts
out of ``disable-sa-token-automount`` (its opt-out would do nothing). A pod spec that sets the field
decides for itself and is no evidence. The proxy pod specs still get
``automountServiceAccountToken: false`` (scope ``proxy-pod``), which is all the proxies need.

Workloads are in every render, and the account is the chart's own, named for the proxy: no
workload kind is ever wholly unseen, so this guard warns about none (``--evidence`` with the
cluster's workloads shows those of other repositories). The final state is not judged: a
workload that shares the account may not need a token at all.
"""

from __future__ import annotations

from typing import Any

from gloo_harden.gloo import evidence as kinds
from gloo_harden.gloo.evidence import KindRead
from gloo_harden.gloo.index import Proxy, StreamIndex, is_proxy
from gloo_harden.resources.model import Resource
from gloo_harden.resources.podspec import POD_SPEC_PATHS, pod_spec
from gloo_harden.scopes import Target

ID = "only-proxies-use-account"
EVIDENCE = (
    "a workload in the stream that is not a Gloo proxy (Deployment, DaemonSet, StatefulSet, "
    "ReplicaSet, Job, CronJob or Pod) whose pod spec runs as the ServiceAccount "
    "(serviceAccountName or serviceAccount, same namespace) and does not set "
    "automountServiceAccountToken itself",
    "a Gloo proxy running as the ServiceAccount that opts out of disable-sa-token-automount "
    "(gloo-harden.dev/skip on the workload or its pod template) and does not set "
    "automountServiceAccountToken itself: it inherits the account's",
)
#: the hardening whose opt-out on a proxy pod reaches the account the pod inherits from
HARDENING = "disable-sa-token-automount"
KINDS_READ = tuple(KindRead(what, "workloads that run as a proxy's ServiceAccount")
              for what in (kinds.DEPLOYMENT, kinds.DAEMON_SET, kinds.STATEFUL_SET,
                           kinds.REPLICA_SET, kinds.JOB, kinds.CRON_JOB, kinds.POD))


def check(target: Target, index: StreamIndex) -> list[str]:
    if target.scope != "proxy-service-account":
        return []
    account = target.resource
    if account.name is None:
        return []
    found = []
    by_account = index.view(ID, POD_SPEC_PATHS, _workloads_by_account)
    for workload, spec in by_account.get(account.name, ()):
        same_namespace = None in (workload.namespace, account.namespace) \
            or workload.namespace == account.namespace
        if same_namespace and "automountServiceAccountToken" not in spec:
            found.append(f"{workload.kind} {workload.namespace or '-'}/{workload.name}, not a "
                         "Gloo proxy, runs as it")
    opted_out = index.view(f"{ID}/opted-out", POD_SPEC_PATHS, _opted_out_by_account)
    for proxy in opted_out.get(account.name, ()):
        if None in (proxy.namespace, account.namespace) \
                or proxy.namespace == account.namespace:
            found.append(f"{proxy}, a Gloo proxy, opts out of {HARDENING} and runs as it")
    return found


def _opted_out_by_account(index: StreamIndex) -> dict[str, list[Proxy]]:
    """Proxies that opt out of ``HARDENING`` and do not set the field themselves, by the
    ServiceAccount they run as: read once per render (``StreamIndex.view``)."""
    found: dict[str, list[Proxy]] = {}
    for proxy in index.proxies:
        if "automountServiceAccountToken" not in proxy.spec \
                and HARDENING in proxy.resource.skip_reasons():
            found.setdefault(proxy.service_account, []).append(proxy)
    return found


def _workloads_by_account(index: StreamIndex) -> dict[str, list[tuple[Resource, Any]]]:
    """Workloads that are not Gloo proxies, with their pod specs, by the ServiceAccount they
    run as (``"None"`` for none), in stream order."""
    found: dict[str, list[tuple[Resource, Any]]] = {}
    for workload in index.seen(*POD_SPEC_PATHS):  # also --evidence
        located = pod_spec(workload.tree, workload.kind)
        if index.proxy_of(workload) is not None or located is None or is_proxy(workload):
            continue
        spec = located[0]
        name = spec.get("serviceAccountName") or spec.get("serviceAccount")
        found.setdefault(str(name), []).append((workload, spec))
    return found
