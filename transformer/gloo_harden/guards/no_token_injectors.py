"""``no-token-injectors``: keep the service-account token where an injected sidecar logs in
with the automounted one.

``automountServiceAccountToken: false`` removes only the volume at
``/var/run/secrets/kubernetes.io/serviceaccount``. Injectors that mount their own projected
token keep working; those that read the automounted file break
(``../shared/notes/evidence.md`` §a). Injection happens at Pod admission, so a render shows
only the request on the pod template (or the Namespace); a live Pod list (``kubectl get pods``)
also shows the injected containers. Kept, with the request named:

- **Vault Agent** (``vault.hashicorp.com/agent-inject: "true"``): its Kubernetes auto-auth
  reads the automounted token unless the annotation
  ``vault.hashicorp.com/agent-service-account-token-volume-name`` names a volume of the pod
  (https://developer.hashicorp.com/vault/docs/platform/k8s/injector;
  hashicorp/vault-k8s ``agent-inject/agent/annotations.go@c51bed49``);
- **Consul** connect-inject (``consul.hashicorp.com/connect-inject: "true"``): its init
  container needs the token mount (hashicorp/consul-k8s
  ``control-plane/connect-inject/container_init.go@2cf5566c``);
- **Kuma / Kong Mesh** (``kuma.io/sidecar-injection: enabled`` on the pod or its Namespace):
  "a data plane proxy proves its identity with the Service Account Token that is mounted in
  every Pod" (https://developer.konghq.com/mesh/data-plane-proxy-authentication/).

Not kept, because they mount a projected token of their own: Linkerd since 2.12.0
(linkerd/linkerd2#7117, #9970; older Linkerd read the automounted token), Dapr, EKS IRSA,
Azure Workload Identity, cert-manager csi-driver-spiffe. Istio is ``no-istio-integration``'s.
A ServiceAccount is kept when any proxy running as it shows such a request.
"""

from __future__ import annotations

from gloo_harden.gloo import evidence as kinds
from gloo_harden.gloo.evidence import KindRead, Unseen
from gloo_harden.gloo.index import Proxy, StreamIndex
from gloo_harden.resources.podspec import items, mapping, pod_annotations
from gloo_harden.scopes import Target

ID = "no-token-injectors"
VAULT = "vault.hashicorp.com/agent-inject"
VAULT_TOKEN_VOLUME = "vault.hashicorp.com/agent-service-account-token-volume-name"
CONSUL = "consul.hashicorp.com/connect-inject"
KUMA = "kuma.io/sidecar-injection"
#: containers (or init containers) these injectors add, as a live Pod shows them
INJECTED = {"vault-agent": "Vault Agent", "vault-agent-init": "Vault Agent",
            "consul-connect-inject-init": "Consul", "consul-dataplane": "Consul",
            "kuma-sidecar": "Kuma", "kuma-init": "Kuma"}
EVIDENCE = (
    f'pod annotation {VAULT}: "true" (Vault Agent logs in with the automounted token), '
    f"unless {VAULT_TOKEN_VOLUME} names a volume of the pod",
    f'pod annotation or label {CONSUL}: "true" (Consul\'s init container reads the token '
    "mount)",
    f"pod label or annotation {KUMA}: enabled, or the proxy's Namespace in the stream labelled "
    "so (Kuma / Kong Mesh authenticate with the automounted token)",
    "a container or init container an injector adds, as a live Pod shows it: "
    + ", ".join(sorted(INJECTED)),
    "(not evidence: Linkerd 2.12+, Dapr, EKS IRSA, Azure Workload Identity and "
    "csi-driver-spiffe mount a projected token of their own; Linkerd before 2.12 read the "
    "automounted one: keep it with gloo-harden.dev/skip there)",
)

KINDS_READ = (
    KindRead(kinds.NAMESPACE, f"{KUMA}: enabled on a proxy's namespace (Kuma injects there)"),
)


def check(target: Target, index: StreamIndex) -> list[str]:
    if target.scope == "proxy-pod" and target.proxy is not None:
        return consumers(target.proxy, index)
    if target.scope == "proxy-service-account":
        return [f"{e} in {p}" for p in index.proxies_running_as(target.resource)
                for e in consumers(p, index)]
    return []


def broken(target: Target, index: StreamIndex) -> list[str]:
    """A token consumer whose pods already have the token off: the sidecar cannot log in."""
    found = check(target, index)
    return [f"the token is off, but {e}" for e in found]


def unseen(target: Target, index: StreamIndex) -> list[Unseen]:
    """Nothing: the requests are on the pod template; a live Pod list adds the containers."""
    return []


def consumers(proxy: Proxy, index: StreamIndex) -> list[str]:
    """Why an injected sidecar of this proxy's pods reads the automounted token (the decision
    and the final-state check read the same evidence)."""
    annotations = pod_annotations(proxy.resource.tree, proxy.resource.kind)
    marks = {**proxy.labels, **annotations}
    found = []
    volumes = {str(mapping(v).get("name")) for v in items(proxy.spec.get("volumes"))}
    if marks.get(VAULT, "").lower() == "true" and annotations.get(VAULT_TOKEN_VOLUME) not in volumes:
        found.append(f'pod annotation {VAULT}: "{marks[VAULT]}" (Vault Agent reads the '
                     "automounted token)")
    if marks.get(CONSUL, "").lower() == "true":
        found.append(f'pod annotation {CONSUL}: "{marks[CONSUL]}" (Consul reads the '
                     "automounted token)")
    if marks.get(KUMA, "").lower() == "enabled":
        found.append(f'pod {KUMA}: "{marks[KUMA]}" (Kuma reads the automounted token)')
    elif marks.get(KUMA, "").lower() != "disabled":
        found += [f'Namespace {ns.name} label {KUMA}: "enabled" (Kuma reads the automounted '
                  "token)" for ns in index.namespaces(proxy.namespace)
                  if ns.labels.get(KUMA, "").lower() == "enabled"]
    for field in ("initContainers", "containers"):
        for container in items(proxy.spec.get(field)):
            name = str(mapping(container).get("name", ""))
            if name in INJECTED:
                found.append(f'{INJECTED[name]} container "{name}" (reads the automounted token)')
    return found
