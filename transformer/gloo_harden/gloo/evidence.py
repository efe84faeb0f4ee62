"""Evidence: the kinds of objects the guards read, and objects read from outside the stream.

A guard decides on what it can see. What it reads is data (``ObjectKind``, ``KindRead``, one row per
kind in each guard's ``KINDS_READ``), so ``gloo-harden explain evidence``, the README's evidence table
and the ``evidence-unseen`` warnings all come from the same rows. When a kind a decision
depends on is nowhere to be seen, the guard says so (``Unseen``): once per kind and render, with
the side it took.

``--evidence PATH`` (functionConfig ``evidence``) hands in documents that are read, never
written, hardened or counted: ``kubectl get … -A -o yaml`` of a live cluster, or an application
team's repository. A kind is *covered* when the stream or the evidence holds an object of it,
or when an evidence file is named after the kind's ``kubectl`` resource
(``virtualservices.gateway.solo.io.yaml``, as ``explain evidence``'s command writes them): an
empty ``kind: List`` from ``kubectl get`` names no kind, but its file does.
(``../shared/notes/evidence.md`` §g: what to collect and what it proves.)
"""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

import os
from typing import NamedTuple

from gloo_harden.resources.model import Resource


class ObjectKind(NamedTuple):
    """A kind of Kubernetes object, as the stream spells it and as ``kubectl get`` names it."""

    kind: str  # e.g. VirtualService
    group: str  # API group, "" for the core group
    plural: str  # e.g. virtualservices

    @property
    def resource(self) -> str:
        """The fully qualified resource ``kubectl get`` takes (``gw`` alone is ambiguous
        between Gloo, the Gateway API and Istio): ``virtualservices.gateway.solo.io``,
        ``services`` for the core group."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def __str__(self) -> str:
        return f"{self.kind} ({self.group})" if self.group else self.kind


#: What an absent kind does to a guard's decision (``KindRead.when_unseen``).
KEEPS = "keeps"  # the guard keeps the change back: hardening without the kind could break
WARNS = "warns"  # the guard hardens and warns: the kind's absence is the likelier truth
SILENT = "silent"  # absence says nothing (the stream always shows the kind when it matters)


class KindRead(NamedTuple):
    """One kind a guard reads: what it proves, and what the guard does when none is seen."""

    what: ObjectKind
    proves: str
    when_unseen: str = SILENT  # KEEPS, WARNS or SILENT
    why: str = ""  # why that side (documented in ``explain evidence`` and the README)


class Unseen(NamedTuple):
    """Kinds a decision depends on, none of them in the stream or the evidence (one statement:
    e.g. the three kinds that hold routes)."""

    what: tuple[ObjectKind, ...]
    means: str  # what could be there that the guard cannot see
    keeps: bool  # the guard keeps the change back because of it

    def __str__(self) -> str:
        """``VirtualService (gateway.solo.io), RouteTable (gateway.solo.io) or …``."""
        names = [str(k) for k in self.what]
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


# The kinds the built-in guards read (each guard's ``KINDS_READ`` names its rows).
SERVICE = ObjectKind("Service", "", "services")
NAMESPACE = ObjectKind("Namespace", "", "namespaces")
CONFIG_MAP = ObjectKind("ConfigMap", "", "configmaps")
POD = ObjectKind("Pod", "", "pods")
DEPLOYMENT = ObjectKind("Deployment", "apps", "deployments")
DAEMON_SET = ObjectKind("DaemonSet", "apps", "daemonsets")
STATEFUL_SET = ObjectKind("StatefulSet", "apps", "statefulsets")
REPLICA_SET = ObjectKind("ReplicaSet", "apps", "replicasets")
JOB = ObjectKind("Job", "batch", "jobs")
CRON_JOB = ObjectKind("CronJob", "batch", "cronjobs")
GLOO_GATEWAY = ObjectKind("Gateway", "gateway.solo.io", "gateways")
HTTP_GATEWAY = ObjectKind("MatchableHttpGateway", "gateway.solo.io", "httpgateways")
TCP_GATEWAY = ObjectKind("MatchableTcpGateway", "gateway.solo.io", "tcpgateways")
VIRTUAL_SERVICE = ObjectKind("VirtualService", "gateway.solo.io", "virtualservices")
ROUTE_TABLE = ObjectKind("RouteTable", "gateway.solo.io", "routetables")
UPSTREAM_GROUP = ObjectKind("UpstreamGroup", "gloo.solo.io", "upstreamgroups")
SETTINGS = ObjectKind("Settings", "gloo.solo.io", "settings")
GATEWAY_CLASS = ObjectKind("GatewayClass", "gateway.networking.k8s.io", "gatewayclasses")
KUBE_GATEWAY = ObjectKind("Gateway", "gateway.networking.k8s.io", "gateways")
HTTP_ROUTE = ObjectKind("HTTPRoute", "gateway.networking.k8s.io", "httproutes")
GLOO_GATEWAY_PARAMETERS = ObjectKind("GatewayParameters", "gateway.gloo.solo.io",
                                     "gatewayparameters")
KGATEWAY_PARAMETERS = ObjectKind("GatewayParameters", "gateway.kgateway.dev",
                                 "gatewayparameters")
LISTENER_OPTION = ObjectKind("ListenerOption", "gateway.solo.io", "listeneroptions")
HTTP_LISTENER_POLICY = ObjectKind("HTTPListenerPolicy", "gateway.kgateway.dev",
                                  "httplistenerpolicies")
LISTENER_POLICY = ObjectKind("ListenerPolicy", "gateway.kgateway.dev", "listenerpolicies")

class Evidence(NamedTuple):
    """What ``--evidence`` handed in: its objects (read only), and the resources its files are
    named after (kinds collected, even when none was found)."""

    resources: tuple[Resource, ...] = ()
    collected: frozenset[str] = frozenset()


#: no ``--evidence``
NO_EVIDENCE = Evidence()

#: file name endings ``--evidence`` reads in a folder
EXTENSIONS = (".yaml", ".yml", ".json")


def collected_resource(path: str) -> str | None:
    """The ``kubectl`` resource an evidence file is named after (``explain evidence``'s command
    writes ``<resource>.yaml``), or None: ``virtualservices.gateway.solo.io.yaml`` →
    ``virtualservices.gateway.solo.io``."""
    name = os.path.basename(path)
    for extension in EXTENSIONS:
        if name.endswith(extension):
            return name[: -len(extension)] or None
    return None


#: how every ``evidence-unseen`` message ends
HOW_TO_SEE = "to show them, pass --evidence PATH (what to collect: gloo-harden explain evidence)"
