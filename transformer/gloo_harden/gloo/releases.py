"""What gloo-harden does for each Gloo generation and version: ``gloo-harden list``,
``gloo-harden explain releases`` (or one release id) and the README table.

One row per release line whose hardening differs. Every fact cites where it comes from:
``notes/gloo-domain.md`` and ``notes/gateway-api.md`` (under ``../shared``, with the Gloo and
kgateway files and tags they read), the corpus render that shows it, and the test that proves
what gloo-harden does with it. ``tests/gloo/test_releases.py`` holds the rows to the code (each
release's render, hardened, changes what its row says) and the README to ``markdown()``.
"""

from __future__ import annotations

from typing import NamedTuple


class Release(NamedTuple):
    """One release line: what is hardened and where, what gloo-harden adds, what is left to you."""

    id: str          # for ``gloo-harden explain ID``
    generation: str  # "Gloo Edge 1.x" or "Gateway API"
    name: str
    summary: str     # one line, for ``gloo-harden list``
    hardened: str    # what gloo-harden changes, and in which objects and fields
    adds: str        # objects gloo-harden adds to the stream
    you_must: str    # what the user must do where the stream cannot carry the hardening
    sources: str


EDGE = "Gloo Edge 1.x"
GATEWAY_API = "Gateway API"
_EDGE_HARDENED = (
    "The Envoy container of every chart proxy (gateway proxies, also extra `gatewayProxies` "
    "and DaemonSets; ingress-proxy, clusteringress-proxy, knative proxies): NET_BIND_SERVICE "
    "removed from `securityContext.capabilities.add`, `readOnlyRootFilesystem: true`. Proxy pod "
    "specs and proxy ServiceAccounts: `automountServiceAccountToken: false` (never the "
    "namespace `default` account). Settings: `spec.gloo.disableKubernetesDestinations: true`.")
_EDGE_YOU_MUST = (
    "Nothing where the guards pass. Where they keep something back they say why: a port below "
    "1024 keeps NET_BIND_SERVICE (bind 1024+ or use the `net.ipv4.ip_unprivileged_port_start` "
    "sysctl, then opt out with `gloo-harden.dev/skip`); Istio integration keeps the token; "
    "routes to `kube` destinations (and Gloo's Knative integration) block "
    "`disableKubernetesDestinations` (route through Upstreams first). No Settings in the "
    "stream (`settings.create: false`): set it on the Settings you apply.")
_GATEWAY_PARAMETERS_HARDENED = (
    "`spec.kube.envoyContainer.securityContext` of every GatewayParameters of group `{group}` in "
    "the stream, class-level and per-Gateway alike: NET_BIND_SERVICE removed from "
    "`capabilities.add`, written as an explicit list (`add: []`, which replaces the default "
    "on merge), and `readOnlyRootFilesystem: true`. An empty list is written only where what "
    "it replaces holds nothing but NET_BIND_SERVICE: per-Gateway parameters whose class-level "
    "ones add another capability (e.g. NET_ADMIN), or whose class cannot be seen, keep `add` "
    "as it is (guard no-class-level-capabilities, a warning; `--evidence` with the GatewayClass "
    "and its GatewayParameters decides).")
_PER_GATEWAY_OUTSIDE = (
    "Per-Gateway GatewayParameters applied outside the stream (an application team's, selected "
    "by {selector}) are merged over the class-level ones: their `capabilities.add` is appended "
    "and their `readOnlyRootFilesystem: false` wins, so run gloo-harden (or the "
    "`gloo-harden --check` gate) over them too; `tests/e2e/test_deployer_proof.py` renders "
    "both cases.")
_OMIT_KEEPS_CAPABILITY = (
    " gloo-harden hardens those parameters too, but keeps NET_BIND_SERVICE there while a "
    "Gateway using them listens below 1024 (or none is in the stream): without the sysctl it is "
    "the only way to bind (guard no-privileged-ports, a warning). Give them the sysctl in "
    "`podTemplate.securityContext.sysctls` and it goes.")
_CLASS_ADDED = (
    "GatewayParameters `kgateway` (controller namespace; `capabilities.add: []`, "
    "`readOnlyRootFilesystem: true`) and GatewayClass `kgateway` whose `parametersRef` names it, "
    "with the chart's labels and a `# Source:` line (add-kgateway-class-parameters; not when the "
    "stream already has the class, whose parameters are hardened instead)")
_NO_SETTINGS = (
    " `disableKubernetesDestinations`: kgateway has no Settings and no equivalent, and is not "
    "asked for one (`discoveryNamespaceSelectors` limits the namespaces it watches).")

RELEASES: tuple[Release, ...] = (
    Release(
        "gloo-edge-1.2", EDGE, "Gloo Edge 1.2 – 1.4.0-beta14",
        "chart proxies: drop NET_BIND_SERVICE (added by default), token, read-only root; Settings",
        _EDGE_HARDENED + " Ports below 1024 are looked for in container and host ports, Service "
        "targetPorts and Gateway documents' `bindPort`.",
        "nothing",
        _EDGE_YOU_MUST,
        "gloo-domain.md §0.1 (the default gateway-proxy adds NET_BIND_SERVICE until 3dacabe7f0, "
        "v1.4.0-beta15), §2.1; corpus gloo-1.2.0-rio-glooctl-dry-run.yaml"),
    Release(
        "gloo-edge-1.4", EDGE, "Gloo Edge 1.4.0-beta15 – 1.13",
        "chart proxies: drop NET_BIND_SERVICE (ingress/knative add it), token, read-only root; "
        "Settings",
        _EDGE_HARDENED + " The default gateway-proxy no longer adds NET_BIND_SERVICE "
        "(`disableNetBind: true`); ingress and knative proxies always do, and extra "
        "`gatewayProxies` up to 1.7 do not inherit it. Gateways' `bindPort` is read from "
        "Gateway documents (≤1.11) and from the rollout Job's script (1.12–1.13).",
        "nothing",
        _EDGE_YOU_MUST + " `gateway.proxyServiceAccount.disableAutomount` sets only the "
        "ServiceAccount; gloo-harden also sets the pod specs.",
        "gloo-domain.md §0.1, §0.3, §0.5, §2.3, §2.4; corpus gloo-1.4.15-rio-glooctl-dry-run.yaml, "
        "gloo-1.6.0-beta15-committed-helm-template.yaml, gloo-1.13.0-*.yaml"),
    Release(
        "gloo-edge-1.14", EDGE, "Gloo Edge 1.14 – 1.22",
        "chart proxies: as 1.4, and read-only root restored where an override lost it; Settings",
        _EDGE_HARDENED + " `podTemplate.glooContainerSecurityContext` replaces the whole "
        "container securityContext unless `mergePolicy: helm-merge`; gloo-harden restores "
        "`readOnlyRootFilesystem`. Gateways' `bindPort` is read from the "
        "`gloo-custom-resource-config` ConfigMap.",
        "nothing",
        _EDGE_YOU_MUST,
        "gloo-domain.md §0.2, §0.5, §2.5; corpus gloo-1.22.1-*.yaml"),
    Release(
        "gloo-gateway-1.17", GATEWAY_API, "Gloo Gateway 1.17 – 1.22 (`kubeGateway`)",
        "GatewayParameters (gateway.gloo.solo.io): drop NET_BIND_SERVICE, read-only root; "
        "Edge parts as Gloo Edge",
        _GATEWAY_PARAMETERS_HARDENED.format(group="gateway.gloo.solo.io") + " The chart's "
        "`GatewayParameters gloo-gateway` (class-level) adds NET_BIND_SERVICE; listener ports "
        "below 1024 are mapped to +8000, so no proxy needs it. The Edge objects of the same "
        "render (chart proxies' `automountServiceAccountToken`, Settings "
        "`disableKubernetesDestinations` from 1.18, …) are hardened as in Gloo Edge 1.14–1.22. "
        "`--profile restricted` writes `capabilities.drop: [ALL]` into per-Gateway "
        "GatewayParameters only where their class-level ones do not drop ALL: the deployer "
        "appends lists on merge, so a second ALL would reach the proxy as `[ALL, ALL]`; the "
        "same holds, template by template, for the `sdsContainer`, "
        "`istio.istioProxyContainer` and (1.18+) `aiExtension` templates the profile "
        "hardens as well (the `sds` and `istio-proxy` sidecars of the Istio integration).",
        "nothing",
        _PER_GATEWAY_OUTSIDE.format(
            selector="the Gateway annotation `gateway.gloo.solo.io/gateway-parameters-name`")
        + " Token automount: nothing to do, the deployer's ServiceAccount has it off. 1.17.x "
        "with the Gateway API on keeps `disableKubernetesDestinations` back (guard "
        "no-kube-destinations, a warning): its HTTPRoutes reach Services through the "
        "`kube-svc` upstreams the setting removes; 1.18 fixed that, so upgrade to get it.",
        "gateway-api.md §0.2, §0.5, §1a, §2b, §4b, §6; patches/disable-kubernetes-destinations"
        ".yaml; corpus gloo-1.17.0-kubegateway.yaml; "
        "proof tests/e2e/test_deployer_proof.py (gloo-1.17, gloo-1.19, gloo-1.22)"),
    Release(
        "kgateway-2.0", GATEWAY_API, "kgateway 2.0 (2.0.0 – 2.0.5)",
        "chart renders only the controller; GatewayParameters (gateway.kgateway.dev) in the stream",
        _GATEWAY_PARAMETERS_HARDENED.format(group="gateway.kgateway.dev") + " The chart renders "
        "only the controller (ServiceAccount, RBAC, Service, Deployment): the proxy defaults, "
        "NET_BIND_SERVICE included, live in the controller. Listener ports below 1024 are "
        "mapped to +8000. The proxy's projected `xds-token` volume and per-Gateway "
        "ServiceAccount (2.0.5 xDS authentication) are never touched. For the class, the "
        "objects the chart cannot render are added (metadata.name `kgateway`).",
        _CLASS_ADDED,
        "The controller creates GatewayClass `kgateway` only when it is missing, so an existing "
        "install already has one: `kubectl apply` updates it; Helm adopts it only once labelled "
        "`app.kubernetes.io/managed-by=Helm` and annotated `meta.helm.sh/release-name`/"
        "`-namespace` (the result names the commands). "
        + _PER_GATEWAY_OUTSIDE.format(selector="the Gateway's `spec.infrastructure.parametersRef`")
        + _NO_SETTINGS,
        "gateway-api.md §0.1, §0.2, §0.4, §2b, §4b, §6 (kgateway 2.0.x); corpus "
        "kgateway-2.0.5-default.yaml; proof tests/e2e/test_deployer_proof.py (kgw-2.0)"),
    Release(
        "kgateway-2.1", GATEWAY_API, "kgateway 2.1",
        "as 2.0; Envoy binds real ports through the pod sysctl, never removed",
        _GATEWAY_PARAMETERS_HARDENED.format(group="gateway.kgateway.dev") + " As 2.0, but Envoy "
        "binds the listener port itself: for ports below 1024 the deployer adds the pod sysctl "
        "`net.ipv4.ip_unprivileged_port_start=0`, which gloo-harden never removes, so "
        "NET_BIND_SERVICE is not needed. `xds-token` and the per-Gateway ServiceAccount are kept. "
        "Class objects added as in 2.0 (metadata.name `kgateway`).",
        _CLASS_ADDED,
        "As 2.0 (an existing GatewayClass `kgateway`: apply, or let Helm adopt it). A per-Gateway "
        "`omitDefaultSecurityContext: true` discards the whole class-level GatewayParameters "
        "and the pod sysctl." + _OMIT_KEEPS_CAPABILITY
        + _NO_SETTINGS,
        "gateway-api.md §0.2, §0.5, §1a, §2b, §6 (kgateway 2.1.x); corpus "
        "kgateway-2.1.2-default.yaml; proof tests/e2e/test_deployer_proof.py (kgw-2.1)"),
    Release(
        "kgateway-2.2", GATEWAY_API, "kgateway 2.2",
        "defaults already hardened; GatewayParameters (gateway.kgateway.dev) in the stream",
        _GATEWAY_PARAMETERS_HARDENED.format(group="gateway.kgateway.dev") + " The controller's "
        "defaults no longer add NET_BIND_SERVICE (#12624) and keep `readOnlyRootFilesystem: "
        "true`; the sysctl, `xds-token` and the per-Gateway ServiceAccount are as in 2.1.",
        "nothing",
        "For central parameters use the chart's `gatewayClassParametersRefs` (controller env "
        "`KGW_GATEWAY_CLASS_PARAMETERS_REFS`). A per-Gateway `omitDefaultSecurityContext: true` "
        "wipes the class-level Envoy securityContext and the pod sysctl."
        + _OMIT_KEEPS_CAPABILITY + " "
        + _PER_GATEWAY_OUTSIDE.format(selector="the Gateway's `spec.infrastructure.parametersRef`")
        + _NO_SETTINGS,
        "gateway-api.md §0.2, §0.5, §4a, §6 (kgateway 2.2.0); real-control-plane.md §6; corpus "
        "kgateway-2.2.0-default.yaml; proof with the real kgateway v2.2.0 controller "
        "tests/e2e/test_kgateway_controller.py, its emulation checked against it "
        "tests/e2e/test_emulator_vs_controller.py"),
    Release(
        "kgateway-2.3", GATEWAY_API, "kgateway 2.3",
        "as 2.2; overlays can undo anything",
        _GATEWAY_PARAMETERS_HARDENED.format(group="gateway.kgateway.dev") + " Defaults as 2.2; "
        "`omitDefaultSecurityContext` keeps the class-level fields (#13811) but still "
        "drops the pod sysctl.",
        "nothing",
        "As 2.2, `omitDefaultSecurityContext` included. Overlays (`deploymentOverlay`, "
        "`serviceAccountOverlay`, …) are applied last "
        "and can add capabilities, set `readOnlyRootFilesystem: false`, drop `xds-token` or "
        "rename the ServiceAccount: review them."
        + _NO_SETTINGS,
        "gateway-api.md §0.2, §0.5, §4b, §6 (kgateway 2.3.0); corpus kgateway-2.3.0-default.yaml; "
        "proof tests/e2e/test_deployer_proof.py (kgw-2.3)"),
    Release(
        "kgateway-2.4", GATEWAY_API, "kgateway 2.4",
        "as 2.3; overlays must keep the podinfo volume too",
        _GATEWAY_PARAMETERS_HARDENED.format(group="gateway.kgateway.dev") + " Defaults, "
        "`omitDefaultSecurityContext`, the sysctl rule, merge semantics, automount off and "
        "`xds-token` unchanged since 2.3; the proxy also mounts a downwardAPI volume `podinfo` "
        "at `/etc/podinfo` (#14288).",
        "nothing",
        "As 2.3. An overlay that replaces `volumes` must keep `podinfo` as well as `xds-token` "
        "(the review warns when it does not)." + _NO_SETTINGS,
        "gateway-api.md §9 (kgateway v2.4.x branch 6c33df28ec: pkg/deployer/"
        "gateway_parameters.go@549c5cd50b:194-201, #14288); no 2.4 render in the corpus "
        "(tests/gloo/test_releases.py hardens a 2.4 controller and team parameters)"),
)
TOPIC = "releases"


def find(release_id: str) -> Release | None:
    return next((r for r in RELEASES if r.id == release_id), None)


def listing() -> list[str]:
    """The lines ``gloo-harden list`` prints after the hardenings."""
    lines = [f"\nby release (gloo-harden explain {TOPIC}, or one ID)"]
    lines += [f"  {r.id:20} {r.summary}" for r in RELEASES]
    return lines


def describe(release: Release) -> str:
    """What ``gloo-harden explain ID`` prints for one release."""
    return "\n".join([
        f"{release.name} ({release.generation})".replace("`", ""), "",
        "Hardened", _indent(release.hardened), "",
        "Added by gloo-harden", _indent(release.adds), "",
        "What you must do where the stream cannot carry it", _indent(release.you_must), "",
        "Sources (notes and corpus: ../shared; patches/, tests/: this repository)", _indent(release.sources)])


def describe_all() -> str:
    """What ``gloo-harden explain releases`` prints: every release, by generation."""
    parts = []
    for generation in (EDGE, GATEWAY_API):
        parts.append(f"== {generation} ==")
        parts += [describe(r) + "\n" for r in RELEASES if r.generation == generation]
    return "\n".join(parts).rstrip()


def markdown() -> str:
    """The README's tables, one per generation."""
    lines = []
    for generation in (EDGE, GATEWAY_API):
        lines += [f"**{generation}**", "",
                  "| release | hardened, and where | added | what you must do | sources |",
                  "| --- | --- | --- | --- | --- |"]
        lines += [f"| {r.name} | {r.hardened} | {r.adds} | {r.you_must} | {r.sources} |"
                  for r in RELEASES if r.generation == generation]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _indent(text: str, width: int = 92) -> str:
    import textwrap

    # the README's Markdown code marks are noise on a terminal
    return textwrap.fill(text.replace("`", ""), width, initial_indent="  ",
                         subsequent_indent="  ")
