"""Config, CRD and RBAC objects of gen_gloo.py's release unit, as rendered text (Helm-like: ``# Source`` lines,
mixed sequence indentation, quoted ``"on"``/``"0755"``, inline comments, long lines)."""

from __future__ import annotations

import random
from collections.abc import Iterator

PROXIES = ("gateway-proxy", "public-gw", "internal-gw")
WORDS = ("upstream", "route", "matcher", "header", "timeout", "retry", "policy", "cluster",
         "listener", "filter", "virtual", "host", "weight", "prefix", "regex", "cors", "rate",
         "limit", "auth", "tls", "secret", "ref", "options", "transform", "body", "status")


def doc(source: str, body: str) -> str:
    return f"---\n# Source: {source}\n{body}"


def service_account(name: str, ns: str, proxy: bool = False) -> str:
    label = "gateway-proxy" if proxy or name in PROXIES else name
    return doc("gloo/templates/0-serviceaccounts.yaml", f"""apiVersion: v1
kind: ServiceAccount
metadata:
  labels:
    app: gloo
    gloo: {label}
  name: {name}
  namespace: {ns}
""")


def envoy_config(ns: str, rng: random.Random) -> str:
    lines = []
    for i in range(40):
        lines += [f"      - name: cluster_{i}", "        connect_timeout: 5.000s",
                  "        type: STRICT_DNS", "        lb_policy: ROUND_ROBIN",
                  f"        load_assignment: {{cluster_name: cluster_{i}, endpoints: "
                  f"[{{lb_endpoints: [{{endpoint: {{address: {{socket_address: "
                  f"{{address: gloo.{ns}.svc.cluster.local, port_value: {9977 + rng.randrange(9)}}}}}}}}}]}}]}}"]
    clusters = "\n".join("    " + line for line in lines)
    return doc("gloo/templates/9-gateway-proxy-configmap.yaml", f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: gateway-proxy-envoy-config
  namespace: {ns}
  labels:
    app: gloo
    gloo: gateway-proxy
data:
  envoy.yaml: |
    layered_runtime:
      layers:
      - name: static_layer
        static_layer:
          overload: {{global_downstream_max_connections: 250000}}
          upstream: {{healthy_panic_threshold: {{value: 50}}}}
      - name: admin_layer
        admin_layer: {{}}
    node:
      cluster: gateway
      id: "{{{{.PodName}}}}.{{{{.PodNamespace}}}}"
      metadata:
        # Specifies the proxy's in-memory xds cache key (see projects/gloo/pkg/xds)
        role: "{{{{.PodNamespace}}}}~gateway-proxy"
    static_resources:
      clusters:
{clusters}
    dynamic_resources:
      ads_config: {{transport_api_version: V3, api_type: GRPC, grpc_services: [{{envoy_grpc: {{cluster_name: gloo.{ns}.svc.cluster.local:9977}}}}]}}
      cds_config: {{resource_api_version: V3, ads: {{}}}}
      lds_config: {{resource_api_version: V3, ads: {{}}}}
""")


def custom_resource_config(ns: str, gateways: list[tuple[str, int, str]] | None = None) -> str:
    """The chart's ConfigMap of Gateways: (name, bindPort, proxy name) each, by default the
    chart's two for ``gateway-proxy``."""
    listed = gateways or [("gateway-proxy", 8080, "gateway-proxy"),
                          ("gateway-proxy-ssl", 8443, "gateway-proxy")]
    text = "".join(f"""    ---
    apiVersion: gateway.solo.io/v1
    kind: Gateway
    metadata:
      name: {name}
      namespace: {ns}
    spec:
      bindAddress: "::"
      bindPort: {port}
      proxyNames:
      - {proxy}
      {"ssl: true" if port == 8443 else "httpGateway: {}"}
""" for name, port, proxy in listed)
    return doc("gloo/templates/5-resource-configmap.yaml", f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: gloo-custom-resource-config
  namespace: {ns}
  labels:
    app: gloo
    gloo: gloo-resource-rollout
data:
  custom-resources: |
{text}""")


def config_map(ns: str) -> str:
    return doc("gloo/templates/10-usage-configmap.yaml", f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: gloo-usage
  namespace: {ns}
  labels:
    app: gloo
data:
  usage: "on"
  mode: '0755'
""")


def schema(rng: random.Random, depth: int) -> str:
    """A large, nested openAPIV3Schema body (about 60-75 KB), indented for ``versions[0].schema``."""
    return "\n".join(_properties(rng, depth, 10)) + "\n"


def _properties(rng: random.Random, depth: int, indent: int) -> Iterator[str]:
    pad = " " * indent
    yield f"{pad}properties:"
    for i in range(rng.randrange(3, 5) if depth > 1 else rng.randrange(4, 9)):
        name = rng.choice(WORDS) + rng.choice(WORDS).title() + str(i)
        yield f"{pad}  {name}:"
        if depth > 1:
            yield f"{pad}    description: {_sentence(rng)}"
            yield from _properties(rng, depth - 1, indent + 4)
        else:
            kind = rng.choice(("string", "integer", "boolean", "array"))
            if kind == "integer":
                yield f"{pad}    format: int32"
                yield f"{pad}    maximum: 4294967295"
                yield f"{pad}    minimum: 0"
            if kind == "array":
                yield f"{pad}    items:"
                yield f"{pad}      type: string"
            yield f"{pad}    type: {kind}"
    yield f"{pad}type: object"
    if depth > 2:
        yield f"{pad}x-kubernetes-preserve-unknown-fields: true"


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randrange(8, 30))).capitalize() + "."


def crd(kind: str, group: str, schema: str) -> str:
    plural = kind.lower() + "s"
    return doc("gloo/crds/gateway.solo.io_v1_" + kind + ".yaml", f"""apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  annotations:
    controller-gen.kubebuilder.io/version: v0.7.0
  labels:
    app: gloo
    app.kubernetes.io/name: gloo
  name: {plural}.{group}
spec:
  group: {group}
  names:
    categories:
    - gloo
    - solo-io
    kind: {kind}
    listKind: {kind}List
    plural: {plural}
    shortNames:
    - {kind.lower()[:2]}
    singular: {kind.lower()}
  scope: Namespaced
  versions:
  - name: v1
    schema:
      openAPIV3Schema:
{_reindent(schema)}    served: true
    storage: true
    subresources:
      status: {{}}
""")


def _reindent(schema: str) -> str:
    # _properties() starts at indent 10: ``spec:`` below ``openAPIV3Schema`` (indent 8).
    return "        properties:\n          spec:\n" + "\n".join(
        "  " + line for line in schema.splitlines()) + "\n        type: object\n"


def small_crd(kind: str, group: str) -> str:
    plural = kind.lower() + "s"
    return doc("gloo/crds/gloo.solo.io_v1_" + kind + ".yaml", f"""apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.{group}
  annotations:
    "helm.sh/hook": "crd-install"
spec:
  group: {group}
  names:
    kind: {kind}
    listKind: {kind}List
    plural: {plural}
    singular: {kind.lower()}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
      subresources:
        status: {{}}
""")


def rbac(ns: str, sfx: str) -> Iterator[str]:
    roles = ("kube-resource-watcher", "gloo-upstream-mutator", "gloo-resource-reader",
             "settings-user", "gloo-resource-mutator", "gateway-resource-reader", "gloo-graphqlapi-mutator")
    for role in roles:
        yield doc("gloo/templates/20-namespace-clusterrole-gateway.yaml", f"""kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata:
    name: {role}-{ns}
    labels:
        app: gloo
        gloo: rbac
rules:
- apiGroups: [""]
  resources: ["pods", "services", "secrets", "endpoints", "configmaps", "namespaces"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["gloo.solo.io", "enterprise.gloo.solo.io", "gateway.solo.io"]
  resources: ["upstreams","upstreamgroups", "proxies", "settings", "virtualservices", "routetables"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
""")
    for role in roles:
        yield doc("gloo/templates/21-namespace-clusterrolebinding-gateway.yaml", f"""kind: ClusterRoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: {role}-binding-{ns}
  labels:
    app: gloo
    gloo: rbac
subjects:
- kind: ServiceAccount
  name: gloo
  namespace: {ns}
roleRef:
  kind: ClusterRole
  name: {role}-{ns}
  apiGroup: rbac.authorization.k8s.io
""")
    for kind in ("Role", "RoleBinding"):
        for job in ("certgen", "rollout"):
            yield _namespaced_rbac(kind, ns, f"gloo-{job}{sfx}")


def _namespaced_rbac(kind: str, ns: str, name: str) -> str:
    if kind == "Role":
        body = """rules:
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["create", "get", "update"]
"""
    else:
        body = f"""roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {name}
subjects:
- kind: ServiceAccount
  name: certgen
  namespace: {ns}
"""
    return doc("gloo/templates/6-certgen-rbac.yaml", f"""apiVersion: rbac.authorization.k8s.io/v1
kind: {kind}
metadata:
  name: {name}
  namespace: {ns}
  labels:
    app: gloo
    gloo: rbac
  annotations:
    "helm.sh/hook": "pre-install, pre-upgrade"
    "helm.sh/hook-weight": "5"
{body}""")

