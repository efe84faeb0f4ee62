"""``proxy-service-account``: the ServiceAccounts Gloo proxies run as, when in the stream.

That is every ServiceAccount a proxy pod names (``serviceAccountName``) in its namespace, and the
chart's ``gateway-proxy`` account (label ``gloo: gateway-proxy``), which one proxy namespace's
proxies all share. Never the namespace ``default`` account: ingress and knative proxies use it,
and so does everything else in the namespace.
"""

from __future__ import annotations

from collections.abc import Iterator

from gloo_harden.gloo.index import StreamIndex
from gloo_harden.resources.results import Severity
from gloo_harden.scopes.target import Reads, ScopeOptions, Target

ID = "proxy-service-account"
READS = Reads(frozenset({"ServiceAccount"}))


def empty(index: StreamIndex) -> tuple[Severity, str]:
    """What a run says when the stream holds nothing in this scope."""
    return (Severity.INFO, "no Gloo proxy ServiceAccount in the stream")


def targets(index: StreamIndex, options: ScopeOptions) -> Iterator[Target]:
    used = {(p.namespace, p.service_account) for p in index.proxies}
    for resource in index.of_kind("ServiceAccount"):
        if resource.name == "default":
            continue
        named = (resource.namespace, resource.name) in used or any(
            name == resource.name and None in (ns, resource.namespace) for ns, name in used)
        if named or resource.labels.get("gloo") == "gateway-proxy":
            yield Target(ID, resource, resource.tree, resource.field(""), "ServiceAccount",
                         "ServiceAccount")
