"""``no-istio-integration``: keep the service-account token where Istio integration needs it.

Gloo's docs say the Istio SDS integration needs the token mounted (the projected
``istio-token`` is separate, but we stay on the documented side), so every way a proxy pod can
be seen to get a sidecar, or to run Gloo's Istio integration, keeps it. The forms of evidence
are listed in ``EVIDENCE`` (``gloo-harden explain`` prints them). Sidecar injection follows
Istio's injection webhooks (istio/istio ``manifests/charts/istio-control/istio-discovery/
templates/mutatingwebhook.yaml``): a pod label or annotation
``sidecar.istio.io/inject: "false"`` opts a pod out of namespace and revision injection;
``istio-injection: disabled`` on a namespace turns its ``istio.io/rev`` off. Ambient mode
(``istio.io/dataplane-mode: ambient``) adds no sidecar and is no evidence.

A ServiceAccount is kept when any proxy that runs as it shows such evidence.

Namespaces are usually created outside the chart, so the label that makes Istio inject is
rarely in the stream. With no Namespace in the stream or the evidence the token is still turned
off, without a warning: the chart's own Istio integration shows in the pod spec, a sidecar
injected by namespace label authenticates with its own projected ``istio-token``
(``../shared/notes/evidence.md`` §a), and ``--istio-injected`` or ``--evidence`` with the
cluster's Namespaces tells the rest.

The final state is judged too (``broken``): a proxy pod, or the ServiceAccount a proxy inherits
it from, with the token already off while the evidence above shows Istio.
"""

from __future__ import annotations

from gloo_harden.gloo import evidence as kinds
from gloo_harden.gloo.evidence import KindRead, Unseen
from gloo_harden.gloo.index import ALL_NAMESPACES, Proxy, StreamIndex
from gloo_harden.resources.model import Resource
from gloo_harden.resources.podspec import containers, items, mapping, pod_annotations
from gloo_harden.resources.results import show_text
from gloo_harden.scopes import Target

ID = "no-istio-integration"
EVIDENCE = (
    "a container named sds or istio-proxy in the proxy pod",
    "an init container istio-proxy with restartPolicy: Always (Istio's native sidecar, the "
    "default from Istio 1.27 on Kubernetes 1.28+; a live Pod shows it)",
    "a volume named istio-token in the proxy pod",
    'pod label or annotation sidecar.istio.io/inject: "true"',
    "pod label istio.io/rev: <revision or tag> (the chart's istioSidecarRevTag), unless the "
    "pod opts out",
    "the proxy's Namespace in the stream labelled istio-injection: enabled or istio.io/rev: "
    "<revision> (the chart's labelInstallNamespace), unless the pod opts out with "
    'sidecar.istio.io/inject: "false"',
    "the proxy's namespace named by --istio-injected NAMESPACE (or all; functionConfig "
    "istioInjected): injection decided in the cluster, unless the pod opts out",
    "a gloo.solo.io Settings with spec.gloo.istioOptions.enableIntegration: true",
)
KINDS_READ = (
    KindRead(kinds.NAMESPACE, "istio-injection: enabled or istio.io/rev labels on a proxy's "
          "namespace (--istio-injected also tells)"),
    KindRead(kinds.SETTINGS, "spec.gloo.istioOptions.enableIntegration"),
)
ISTIO_CONTAINERS = ("sds", "istio-proxy")
INJECT = "sidecar.istio.io/inject"
REVISION = "istio.io/rev"


def check(target: Target, index: StreamIndex) -> list[str]:
    if target.scope == "proxy-pod" and target.proxy is not None:
        return pod_evidence(target.proxy, index) + _settings_evidence(index)
    if target.scope == "proxy-service-account":
        users = index.proxies_running_as(target.resource)
        evidence = [f"{e} in {p}" for p in users for e in pod_evidence(p, index)]
        return evidence + (_settings_evidence(index) if users or not index.proxies else [])
    return []


def unseen(target: Target, index: StreamIndex) -> list[Unseen]:
    """Nothing: every kind it reads decides on what is seen (see the module docstring)."""
    return []


def broken(target: Target, index: StreamIndex) -> list[str]:
    """The token already off where the evidence shows Istio: on the proxy pod, or on the
    ServiceAccount of a proxy whose pod spec leaves it to the account."""
    if target.scope == "proxy-pod" and target.proxy is not None:
        if target.node.get("automountServiceAccountToken") is not False:
            return []
        found = check(target, index)
        return [f"the token is off while Istio needs it: {'; '.join(found)}"] if found else []
    if target.scope == "proxy-service-account" \
            and target.node.get("automountServiceAccountToken") is False:
        users = [p for p in index.proxies_running_as(target.resource)
                 if "automountServiceAccountToken" not in p.spec]
        found = [f"{e} in {p}" for p in users for e in pod_evidence(p, index)]
        return [f"the token is off for {', '.join(map(str, users))} while Istio needs it: "
                f"{'; '.join(found)}"] if found else []
    return []


def pod_evidence(proxy: Proxy, index: StreamIndex) -> list[str]:
    """Why Istio runs beside this proxy: what its pod spec holds, then how it is injected."""
    found = [f'container "{show_text(c.get("name"))}"' for c in containers(proxy.spec)
             if c.get("name") in ISTIO_CONTAINERS]
    found += [f'init container "{c.get("name")}" with restartPolicy: Always (Istio\'s native '
              "sidecar)" for c in items(proxy.spec.get("initContainers"))
              if isinstance(c, dict) and c.get("name") == "istio-proxy"
              and c.get("restartPolicy") == "Always"]
    volumes = items(proxy.spec.get("volumes"))
    found += ['volume "istio-token"' for v in volumes
              if isinstance(v, dict) and v.get("name") == "istio-token"]
    return found + _injection(proxy, index)


def _injection(proxy: Proxy, index: StreamIndex) -> list[str]:
    annotations = pod_annotations(proxy.resource.tree, proxy.resource.kind)
    marks = [("pod label", proxy.labels), ("pod annotation", annotations)]
    found = [f'{where} {INJECT}: "{values[INJECT]}"' for where, values in marks
             if values.get(INJECT, "").lower() == "true"]
    if found or any(values.get(INJECT, "").lower() == "false" for _, values in marks):
        return found  # asked for explicitly, or opted out of every other way
    if proxy.labels.get(REVISION):
        found.append(f'pod label {REVISION}: "{proxy.labels[REVISION]}"')
    found += [_describe(namespace) for namespace in _injected_namespaces(proxy, index)]
    if ALL_NAMESPACES in index.istio_injected or proxy.namespace in index.istio_injected:
        named = "all namespaces" if ALL_NAMESPACES in index.istio_injected \
            else f"namespace {proxy.namespace}"
        found.append(f"{named} injected by Istio in the cluster (--istio-injected, "
                     "functionConfig istioInjected)")
    return found


def _injected_namespaces(proxy: Proxy, index: StreamIndex) -> list[Resource]:
    return [ns for ns in index.namespaces(proxy.namespace)
            if ns.api_version == "v1" and _injects(ns.labels)]


def _injects(labels: dict[str, str]) -> bool:
    injection = labels.get("istio-injection")
    return injection == "enabled" or (injection is None and bool(labels.get(REVISION)))


def _describe(namespace: Resource) -> str:
    labels = namespace.labels
    label = "istio-injection" if labels.get("istio-injection") == "enabled" else REVISION
    return f'Namespace {namespace.name} label {label}: "{labels[label]}"'


def _settings_evidence(index: StreamIndex) -> list[str]:
    return list(index.view(f"{ID}/settings", ("Settings",), _istio_settings))


def _istio_settings(index: StreamIndex) -> list[str]:
    found = []
    for settings in index.seen("Settings", group="gloo.solo.io"):
        options = mapping(mapping(settings.tree.get("spec")).get("gloo")).get("istioOptions")
        if isinstance(options, dict) and options.get("enableIntegration") is True:
            found.append(f"Settings {settings.namespace or '-'}/{settings.name} "
                         "spec.gloo.istioOptions.enableIntegration: true")
    return found
