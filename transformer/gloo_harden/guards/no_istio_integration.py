"""``no-istio-integration``: keep the service-account token where Istio integration needs it.

Evidence for a proxy pod: an ``sds`` or ``istio-proxy`` container, an ``istio-token`` volume,
the pod label ``sidecar.istio.io/inject: "true"``, or a Settings with
``spec.gloo.istioOptions.enableIntegration: true``. A ServiceAccount is kept when any proxy that
runs as it shows such evidence. (Gloo's docs say the SDS integration needs the token; the
projected ``istio-token`` is separate, but we stay on the documented side.)
"""

from __future__ import annotations

from gloo_harden.index import Proxy, StreamIndex
from gloo_harden.podspec import containers, items, mapping
from gloo_harden.scopes import Target

ID = "no-istio-integration"
ISTIO_CONTAINERS = ("sds", "istio-proxy")


def check(target: Target, index: StreamIndex) -> list[str]:
    if target.scope == "proxy-pod" and target.proxy is not None:
        return _pod_evidence(target.proxy) + _settings_evidence(index)
    if target.scope == "proxy-service-account":
        users = [p for p in index.proxies if p.service_account == target.resource.name
                 and None in (p.namespace, target.resource.namespace)
                 or p.service_account == target.resource.name
                 and p.namespace == target.resource.namespace]
        evidence = [f"{e} in {p}" for p in users for e in _pod_evidence(p)]
        return evidence + (_settings_evidence(index) if users or not index.proxies else [])
    return []


def _pod_evidence(proxy: Proxy) -> list[str]:
    found = [f'container "{c.get("name")}"' for c in containers(proxy.spec)
             if c.get("name") in ISTIO_CONTAINERS]
    volumes = items(proxy.spec.get("volumes"))
    found += ['volume "istio-token"' for v in volumes
              if isinstance(v, dict) and v.get("name") == "istio-token"]
    if proxy.labels.get("sidecar.istio.io/inject", "").lower() == "true":
        found.append('pod label sidecar.istio.io/inject: "true"')
    return found


def _settings_evidence(index: StreamIndex) -> list[str]:
    found = []
    for settings in index.of_kind("Settings", group="gloo.solo.io"):
        options = mapping(mapping(settings.tree.get("spec")).get("gloo")).get("istioOptions")
        if isinstance(options, dict) and options.get("enableIntegration") is True:
            found.append(f"Settings {settings.namespace or '-'}/{settings.name} "
                         "spec.gloo.istioOptions.enableIntegration: true")
    return found
