"""``writable-paths-on-volumes``: a read-only root filesystem only where the container writes
nowhere else than its volumes.

Envoy writes files when told to: ``--log-path`` (the server log) and ``--admin-address-path``
in its args (in Gloo through ``gatewayProxies.NAME.extraEnvoyArgs``, each entry one argv item,
so ``--log-path /var/log/envoy.log`` arrives as one string), an access log ``fileSink.path`` of
a Gloo Edge Gateway whose ``proxyNames`` include the proxy (``spec.options.accessLoggingService``
and ``listenerAccessLoggingService``, also Gateways embedded by the chart), and for
GatewayParameters (the Gateway API proxies) of a Gloo ``ListenerOption`` or a kgateway
``HTTPListenerPolicy``/``ListenerPolicy`` anywhere in the stream. Such a file must be under ``/dev`` ("already
writable", Gloo's access-logging guide) or on a writable volume (emptyDir, PVC, hostPath,
ephemeral) the container mounts; else Envoy exits at start or rejects the listener
(``../shared/notes/evidence.md`` §b). The decision and the final-state check read the same
``envoy_writes``.

Known to write nothing outside volumes: Gloo's control plane (``gloo``, ``discovery``,
``gateway``, the ``ingress`` controller, ``certgen``, which only talks to the API server) and
the Envoy container of every Gloo proxy and of ``GatewayParameters`` (its bootstrap and caches
are volumes; the charts already set read-only root there). The sidecars a GatewayParameters
templates (``sds``, ``istio-proxy``, the AI extension) are not known: no deployer makes them
read-only, and it was never run so (``../shared/notes/gateway-api.md`` §6). Known to write elsewhere:
``kubectl`` in the rollout Jobs (its discovery cache under ``$HOME/.kube``), unless a volume is
mounted there. Every other container is kept as it is, because its writable paths are not
known.

The final state is judged too (``broken``): a container with ``readOnlyRootFilesystem: true``
and a writer known to write outside its volumes cannot write there.
"""

from __future__ import annotations

from typing import Any

from gloo_harden.gloo import evidence as kinds
from gloo_harden.gloo.evidence import KindRead, Unseen
from gloo_harden.gloo.index import EMBEDDING_KINDS, StreamIndex
from gloo_harden.guards.no_privileged_ports import GATEWAY_KINDS, edge_gateways
from gloo_harden.resources.podspec import items, mapping
from gloo_harden.resources.results import show_text
from gloo_harden.scopes import Target
from gloo_harden.scopes.gateway_parameters_sidecars import container_name

ID = "writable-paths-on-volumes"
READ_ONLY_SAFE = ("gloo", "discovery", "gateway", "ingress", "certgen")
#: container name → (path it writes, where it comes from)
WRITES = {"kubectl": ("/.kube", "kubectl's discovery cache under $HOME/.kube")}
EVIDENCE = (
    "an Envoy container told to write a file on no writable volume: --log-path or "
    "--admin-address-path in its args (Gloo's extraEnvoyArgs), an access-log fileSink.path of "
    "a gateway.solo.io Gateway whose proxyNames include the proxy (also those the chart "
    "embeds), or for GatewayParameters of a ListenerOption, kgateway HTTPListenerPolicy or "
    "ListenerPolicy; /dev/... and emptyDir, PVC, hostPath or ephemeral mounts are writable",
    "a container known to write outside its volumes: kubectl (its cache under $HOME/.kube, "
    "unless a volume is mounted there)",
    "a container whose writable paths are not known: any but Envoy and Gloo's control plane "
    "(" + ", ".join(READ_ONLY_SAFE) + ")",
    "with readOnlyRootFilesystem: true already set: a known writer outside the volumes is "
    "reported as an install that is already broken",
)
KINDS_READ = (
    KindRead(kinds.GLOO_GATEWAY, "access-log fileSink.path of the Gateways naming a proxy"),
    KindRead(kinds.LISTENER_OPTION, "access-log fileSink.path a GatewayParameters' Envoy "
             "writes"),
    KindRead(kinds.HTTP_LISTENER_POLICY, "access-log fileSink.path a GatewayParameters' Envoy "
             "writes"),
    KindRead(kinds.LISTENER_POLICY, "access-log fileSink.path a GatewayParameters' Envoy "
             "writes"),
)


def check(target: Target, index: StreamIndex) -> list[str]:
    name = container_name(target) if target.resource.kind == "GatewayParameters" \
        else show_text(target.node.get("name", ""))
    if _is_envoy(target, index):
        return envoy_writes(target, index)
    if name in READ_ONLY_SAFE or target.scope == "proxy-container":
        return []  # proxy-container: a sidecar the user opted in (--sidecars)
    if name in WRITES:
        path, what = WRITES[name]
        mounts = [str(m.get("mountPath", "")) for m in items(target.node.get("volumeMounts"))
                  if isinstance(m, dict)]
        if any(m.rstrip("/").endswith(path) for m in mounts):
            return []
        return [f'container "{name}" writes {what}, which is not on a volume']
    return [f'the writable paths of container "{name}" are not known; set '
            "readOnlyRootFilesystem yourself once they are on volumes"]


def _is_envoy(target: Target, index: StreamIndex) -> bool:
    if target.resource.kind == "GatewayParameters":
        return target.path.endswith("envoyContainer")
    proxy = index.proxy_of(target.resource)
    return proxy is not None and proxy.envoy is not None \
        and target.path == proxy.container_path(proxy.envoy)


#: Envoy flags whose value is a file it writes (https://envoyproxy.io/docs/envoy/v1.30.3/operations/cli)
ENVOY_FILE_FLAGS = ("--log-path", "--admin-address-path")
#: volume sources a container can write to
WRITABLE_SOURCES = ("emptyDir", "persistentVolumeClaim", "hostPath", "ephemeral")
POLICY_KINDS = (("HTTPListenerPolicy", "gateway.kgateway.dev"),
                ("ListenerPolicy", "gateway.kgateway.dev"),
                ("ListenerOption", "gateway.solo.io"))


def broken(target: Target, index: StreamIndex) -> list[str]:
    """A container already read-only that writes outside its volumes: Envoy's files, and the
    containers known to write elsewhere (a container whose paths are not known is no
    evidence of a broken install)."""
    context = target.node.get("securityContext")
    if not isinstance(context, dict) or context.get("readOnlyRootFilesystem") is not True:
        return []
    if _is_envoy(target, index):
        if target.scope != "proxy-container":
            return []  # said once, by read-only-root-filesystem (not again by a profile)
        return [f"the root filesystem is read-only, but {e}" for e in envoy_writes(target, index)]
    name = str(target.node.get("name", ""))
    found = check(target, index) if name in WRITES else []
    return [f"{'; '.join(found)}, and the root filesystem is read-only"] if found else []


def unseen(target: Target, index: StreamIndex) -> list[Unseen]:
    """Nothing this guard reads is hidden from a client."""
    return []


def envoy_writes(target: Target, index: StreamIndex) -> list[str]:
    """Every file the Envoy container of ``target`` is told to write that no writable volume
    it mounts (nor ``/dev``) covers."""
    container = target.node
    writes = [(path, f"{flag} in its args") for flag, path in _file_flags(container)]
    if target.resource.kind == "GatewayParameters":
        kube = mapping(mapping(target.resource.tree.get("spec")).get("kube"))
        volumes = items(mapping(kube.get("podTemplate")).get("extraVolumes"))
        mounts = items(container.get("volumeMounts")) + items(container.get("extraVolumeMounts"))
        writes += index.view(f"{ID}/policy-sinks", [k for k, _ in POLICY_KINDS], _policy_sinks)
    else:
        proxy = target.proxy or next((p for p in index.proxies
                                      if p.resource is target.resource), None)
        volumes = items(proxy.spec.get("volumes")) if proxy is not None else []
        mounts = items(container.get("volumeMounts"))
        if proxy is not None:
            writes += index.view(f"{ID}/gateway-sinks", GATEWAY_KINDS + EMBEDDING_KINDS,
                                 _gateway_sinks).get(proxy.name, [])
    writable = _writable_mounts(mounts, volumes)
    return [f"Envoy writes {path} ({why}), which no writable volume covers" for path, why in writes
            if not _covered(path, writable)]


def _file_flags(container: Any) -> list[tuple[str, str]]:
    """(flag, path) for each file flag in ``command`` and ``args``: ``--flag PATH`` as one
    item (Gloo's extraEnvoyArgs) or two, and ``--flag=PATH``."""
    argv = [str(a) for a in items(container.get("command")) + items(container.get("args"))]
    found = []
    for i, arg in enumerate(argv):
        for flag in ENVOY_FILE_FLAGS:
            if arg == flag and i + 1 < len(argv):
                found.append((flag, argv[i + 1].strip()))
            elif arg.startswith((flag + "=", flag + " ")):
                found.append((flag, arg[len(flag) + 1:].strip()))
    return [(flag, path) for flag, path in found if path]


def _file_sinks(node: Any) -> list[str]:
    """Every ``fileSink.path`` under ``node`` (access-log lists nest differently per API)."""
    found = []
    if isinstance(node, dict):
        sink = node.get("fileSink")
        if isinstance(sink, dict) and isinstance(sink.get("path"), str):
            found.append(sink["path"])
        for value in node.values():
            found += _file_sinks(value)
    elif isinstance(node, list):
        for value in node:
            found += _file_sinks(value)
    return found


def _gateway_sinks(index: StreamIndex) -> dict[str, list[tuple[str, str]]]:
    """proxy name → (path, why) of every access-log file sink of the gateway.solo.io Gateways
    that name it (default ``[gateway-proxy]``): read once per render (``StreamIndex.view``)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for origin, gateway in edge_gateways(index):
        spec = mapping(gateway.get("spec"))
        sinks = [(path, f"access log fileSink of {_named(origin, gateway)}")
                 for path in _file_sinks(spec)]
        for name in (items(spec.get("proxyNames")) or ["gateway-proxy"]) if sinks else []:
            found.setdefault(str(name), []).extend(sinks)
    return found


def _named(origin: str, gateway: dict[str, Any]) -> str:
    """The Gateway as a message names it: a document's ``origin`` is already its kind and
    name; one the chart embeds (``ConfigMap …/gloo-custom-resource-config data.…``, the
    rollout Job's script) is named, then where it was found, so two Gateways of one
    ConfigMap writing the same file are two clauses."""
    kind = str(gateway.get("kind") or "Gateway")
    if origin.startswith(f"{kind} "):
        return origin
    meta = mapping(gateway.get("metadata"))
    namespace = meta.get("namespace")
    name = f"{namespace}/{meta.get('name')}" if namespace else str(meta.get("name"))
    return f"{kind} {name} in {origin}"


def _policy_sinks(index: StreamIndex) -> list[tuple[str, str]]:
    """(path, why) of every access-log file sink of a listener policy (kgateway) or
    ListenerOption (Gloo), once per render."""
    return [(path, f"access log fileSink of {policy.origin}")
            for kind, group in POLICY_KINDS for policy in index.seen(kind, group=group)
            for path in _file_sinks(policy.tree.get("spec"))]


def _writable_mounts(mounts: list[Any], volumes: list[Any]) -> list[str]:
    sources = {str(mapping(v).get("name")): mapping(v) for v in volumes}
    return [str(mapping(m).get("mountPath", "")).rstrip("/") for m in mounts
            if mapping(m).get("readOnly") is not True
            and any(key in sources.get(str(mapping(m).get("name")), {}) for key in WRITABLE_SOURCES)]


def _covered(path: str, writable: list[str]) -> bool:
    if path == "/dev" or path.startswith("/dev/"):
        return True  # /dev/stdout, /dev/stderr, and Gloo's "already writable" /dev
    return any(m and (path == m or path.startswith(m + "/")) for m in writable)
