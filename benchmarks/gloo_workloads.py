"""Workload, Service and Gloo custom-resource objects of gen_gloo.py's release unit."""

from __future__ import annotations

import random

from gloo_objects import doc


def service(name: str, ns: str, selector: dict[str, str], ports: list[tuple[int, int, str]]) -> str:
    chosen = "\n".join(f"    {k}: {v}" for k, v in selector.items())
    listed = "\n".join(f"  - port: {p}\n    targetPort: {t}\n    protocol: TCP\n    name: {n}"
                       for p, t, n in ports)
    return doc("gloo/templates/8-gateway-proxy-service.yaml", f"""apiVersion: v1
kind: Service
metadata:
  labels:
    app: gloo
    gloo: {selector["gloo"]}
  name: {name}
  namespace: {ns}
spec:
  ports:
{listed}
  selector:
{chosen}
  type: {"LoadBalancer" if selector["gloo"] == "gateway-proxy" else "ClusterIP"}
""")


def deployment(name: str, ns: str, rng: random.Random, proxy: bool) -> str:
    role = "gateway-proxy" if proxy else name
    proxy_labels = f"\n        gateway-proxy-id: {name}" if proxy else ""
    caps = ("          capabilities:\n            drop:\n            - ALL\n"
            "            add:\n            - NET_BIND_SERVICE\n") if proxy else \
        "          readOnlyRootFilesystem: true\n          capabilities:\n            drop:\n            - ALL\n"
    image = "gloo-envoy-wrapper" if proxy else name
    ports = ("        - containerPort: 8080\n          name: http\n          protocol: TCP\n"
             "        - containerPort: 8443\n          name: https\n          protocol: TCP\n"
             if proxy else f"        - containerPort: {9976 + rng.randrange(12)}\n          name: grpc\n")
    return doc(f"gloo/templates/{'7-gateway-proxy' if proxy else '1-' + name}-deployment.yaml",
                f"""apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app: gloo
    gloo: {role}{proxy_labels.replace("        ", "    ")}
  name: {name}
  namespace: {ns}
spec:
  replicas: 1
  selector:
    matchLabels:
      gloo: {role}{proxy_labels.replace("        ", "      ")}
  template:
    metadata:
      labels:
        gloo: {role}{proxy_labels}
      annotations:
        prometheus.io/path: /metrics
        prometheus.io/port: "8081"
        prometheus.io/scrape: "true"
    spec:
      securityContext:
        fsGroup: 10101
        runAsUser: 10101
      serviceAccountName: {name}
      containers:
      - args:
          - --disable-hot-restart  # keep one process; hot restart needs shared memory
          - "--log-level=info"
        env:
        - name: POD_NAMESPACE
          valueFrom:
            fieldRef:
              fieldPath: metadata.namespace
        - name: ENABLE_FEATURE
          value: "on"
        - name: LEGACY_MODE
          value: "yes"
        - name: UMASK
          value: "0755"
        - name: LOG_FORMAT
          value: 'json'
        - name: VERY_LONG_SETTING_THAT_GOES_PAST_EIGHTY_COLUMNS
          value: "a long value that certainly goes past the eighty column mark of the default emitter width"
        image: quay.io/solo-io/{image}:1.17.{rng.randrange(10)}
        imagePullPolicy: IfNotPresent
        name: {name}
        securityContext:
          allowPrivilegeEscalation: false
          runAsNonRoot: true   # the image's user is 10101
          runAsUser: 10101
{caps}        ports:
{ports}        readinessProbe:
          httpGet:
            path: /ready
            port: 8082
          initialDelaySeconds: 3
          periodSeconds: 10
        volumeMounts:
        - mountPath: {"/etc/envoy" if proxy else "/etc/gloo"}
          name: {"envoy-config" if proxy else "usage"}
      volumes:
      - configMap:
          name: {"gateway-proxy-envoy-config" if proxy else "gloo-usage"}
          defaultMode: 0755
        name: {"envoy-config" if proxy else "usage"}
""")


def job(name: str, ns: str) -> str:
    return doc(f"gloo/templates/{name}-job.yaml", f"""apiVersion: batch/v1
kind: Job
metadata:
  labels:
    app: gloo
    gloo: {name}
  name: {name}
  namespace: {ns}
  annotations:
    "helm.sh/hook": post-install,post-upgrade
    "helm.sh/hook-weight": "5"
spec:
  ttlSecondsAfterFinished: 300
  template:
    metadata:
      labels:
        gloo: {name}
    spec:
      serviceAccountName: certgen
      restartPolicy: OnFailure
      containers:
      - name: kubectl
        image: quay.io/solo-io/kubectl:1.17.0
        securityContext:
          runAsNonRoot: true
          runAsUser: 10101
        command:
        - /bin/sh
        - -c
        - |
          # Apply the resources in the ConfigMap, retrying while the webhook comes up.
          kubectl -n {ns} get configmap gloo-custom-resource-config -o jsonpath='{{.data.custom-resources}}' > /tmp/cr.yaml
          for i in $(seq 1 10); do
            kubectl apply -f /tmp/cr.yaml && exit 0
            echo "apply failed, retrying ($i)"; sleep 2
          done
          exit 1
""")


def webhook(ns: str, sfx: str) -> str:
    return doc("gloo/templates/5-gateway-validation-webhook-configuration.yaml", f"""apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: gloo-gateway-validation-webhook-{ns}
  labels:
    app: gloo
    gloo: gateway
webhooks:
- name: gloo.{ns}.svc  # must be a domain with at least three segments separated by dots
  clientConfig:
    service:
      name: gloo
      namespace: {ns}
      path: "/validation"
      port: 443
    caBundle: "" # update manually or use certgen job or cert-manager's ca-injector
  rules:
  - operations: [ "CREATE", "UPDATE" ]
    apiGroups: ["gateway.solo.io"]
    apiVersions: ["v1"]
    resources: ["virtualservices", "routetables"]
  sideEffects: None
  matchPolicy: Exact
  admissionReviewVersions:
    - v1beta1
  failurePolicy: Ignore
""")


def settings(ns: str) -> str:
    return doc("gloo/templates/18-settings.yaml", f"""apiVersion: gloo.solo.io/v1
kind: Settings
metadata:
  labels:
    app: gloo
    gloo: settings
  name: default
  namespace: {ns}
spec:
  gloo:
    xdsBindAddr: "0.0.0.0:9977"
    restXdsBindAddr: "0.0.0.0:9976"
    enableRestEds: false
    invalidConfigPolicy:
      invalidRouteResponseBody: Gloo Gateway has invalid configuration. Administrators should
        run `glooctl check` to find and fix config errors.
      invalidRouteResponseCode: 404
      replaceInvalidRoutes: false
    disableKubernetesDestinations: false
    disableProxyGarbageCollection: false
  discoveryNamespace: {ns}
  kubernetesArtifactSource: {{}}
  kubernetesConfigSource: {{}}
  kubernetesSecretSource: {{}}
  refreshRate: 60s
  gateway:
    readGatewaysFromAllNamespaces: false
    validation:
      proxyValidationServerAddr: "gloo:9988"
      alwaysAccept: true
      validationServerGrpcMaxSizeBytes: 1.048576e+08
  discovery:
    fdsMode: WHITELIST
""")


def gateway(name: str, ns: str, port: int, proxy: str = "gateway-proxy") -> str:
    return doc("gloo/templates/gateway.yaml", f"""apiVersion: gateway.solo.io/v1
kind: Gateway
metadata:
  name: {name}-extra
  namespace: {ns}
spec:
  bindAddress: "::"
  bindPort: {port}
  proxyNames:
  - {proxy}
  useProxyProto: false
  {"ssl: true" if port == 8443 else "httpGateway: {}"}
""")


def upstream(name: str, ns: str) -> str:
    return doc("gloo/templates/upstreams.yaml", f"""apiVersion: gloo.solo.io/v1
kind: Upstream
metadata:
  name: {name}
  namespace: {ns}
spec:
  kube:
    serviceName: {name}
    serviceNamespace: {ns}
    servicePort: 8080
""")


def virtual_service(name: str, ns: str) -> str:
    routes = "".join(f"""      - matchers:
          - prefix: /{name}/r{i}
        routeAction:
          single:
            upstream:
              name: svc-{i % 3}
              namespace: {ns}
        options:
          timeout: {5 + i}s
""" for i in range(6))
    return doc("gloo/templates/virtualservices.yaml", f"""apiVersion: gateway.solo.io/v1
kind: VirtualService
metadata:
  name: {name}
  namespace: {ns}
spec:
  virtualHost:
    domains:
    - '{name}.example.com'
    routes:
{routes}""")

