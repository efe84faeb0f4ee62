"""Judged by the real API server: every corpus render, as rendered and as hardened (defaults,
``--profile restricted``, ``--sidecars --profile restricted``), through
``kubectl apply --server-side --dry-run=server`` against kube-apiserver v1.34.4 with its release's
CRDs (``controlplane.release_crds``). Whatever the server accepts as rendered it must accept as
hardened, objects gloo-harden adds included; what it refuses as rendered is named below, by object.

The kubeconform test (tests/test_kubeconform.py) judges the same streams by schema alone; this one
adds defaulting, validation rules (CEL) of the CRDs, API removal and admission.
"""

from __future__ import annotations

import collections
import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import corpus_params, needs_corpus, run_tool
from controlplane import ControlPlane, release_crds

pytestmark = [pytest.mark.e2e, needs_corpus]

VARIANTS = ((), ("--profile", "restricted"), ("--sidecars", "--profile", "restricted"))
_OLD_CRDS = {f"customresourcedefinition.apiextensions.k8s.io/{name}.{group}.solo.io"
             for name, group in (("gateways", "gateway"), ("virtualservices", "gateway"),
                                 ("routetables", "gateway"), ("upstreams", "gloo"),
                                 ("upstreamgroups", "gloo"), ("settings", "gloo"),
                                 ("proxies", "gloo"))}
#: What kube-apiserver 1.34 refuses in the renders as they are, by object, and why:
#: apiextensions.k8s.io/v1beta1 CRDs and ``${NAMESPACE}`` placeholders (the rio glooctl dry runs),
#: admissionregistration.k8s.io/v1beta1 (1.6.0), custom resources whose CRD is not in
#: ../shared/crds (VirtualService, Upstream), and kgateway 2.0.0-beta1's GatewayParameters
#: against the 2.3.0 CRD.
_RIO = _OLD_CRDS | {  # glooctl dry runs: v1beta1 CRDs, and every namespaced object is in
    # "${NAMESPACE}" (not found); their cluster-scoped RBAC objects are accepted
    "customresourcedefinition.apiextensions.k8s.io/authconfigs.enterprise.gloo.solo.io",
    "configmap/gateway-proxy-envoy-config", "configmap/gloo-usage",
    "deployment.apps/gateway", "deployment.apps/gateway-proxy", "deployment.apps/gloo",
    "gateway.gateway.solo.io/gateway-proxy", "gateway.gateway.solo.io/gateway-proxy-ssl",
    "service/gateway-proxy", "service/gloo", "serviceaccount/discovery", "serviceaccount/gateway",
    "serviceaccount/gateway-proxy", "serviceaccount/gloo", "settings.gloo.solo.io/default"}
REFUSED_AS_RENDERED: dict[str, set[str]] = {
    "gloo-1.2.0-rio-glooctl-dry-run.yaml": _RIO,
    "gloo-1.4.15-rio-glooctl-dry-run.yaml": _RIO,
    "gloo-1.6.0-beta15-committed-helm-template.yaml": {
        "validatingwebhookconfiguration.admissionregistration.k8s.io/"
        "gloo-gateway-validation-webhook-default"},
    "gloo-1.22-kube-destinations-virtualservice.yaml": {  # no Gloo Edge CRDs in ../shared/crds
        "upstream.gloo.solo.io/httpbin-upstream-edge-apis-routing",
        "virtualservice.gateway.solo.io/httpbin-vs",
        "virtualservice.gateway.solo.io/partially-valid",
        "virtualservice.gateway.solo.io/vs-targeting-kube"},
    # spec.kube.deployment.replicas: null is not an integer (GatewayParameters CRD, see above)
    "kgateway-2.0.0-beta1-default.yaml": {"gatewayparameters.gateway.kgateway.dev/kgateway"},
}


def objects(text: str) -> collections.Counter[str]:
    """Every object of a stream as kubectl names it: ``kind.group/name`` (kind lower-case)."""
    found: collections.Counter[str] = collections.Counter()
    for doc in yaml.safe_load_all(text):
        if isinstance(doc, dict) and doc.get("kind"):
            group = str(doc.get("apiVersion", "")).rpartition("/")[0]
            kind = str(doc["kind"]).lower() + (f".{group}" if group else "")
            found[f"{kind}/{(doc.get('metadata') or {}).get('name')}"] += 1
    return found


def namespaces(text: str) -> set[str]:
    return {str(doc["metadata"]["namespace"]) for doc in yaml.safe_load_all(text)
            if isinstance(doc, dict) and (doc.get("metadata") or {}).get("namespace")}


ACCEPTED = re.compile(r"^(\S+) serverside-applied \(server dry run\)$")


def refused(plane: ControlPlane, text: str, where: Path) -> tuple[set[str], str]:
    """The objects of ``text`` the API server does not accept in a server-side dry run, and what
    kubectl said. Judged from kubectl's default output, one line per accepted object (with
    ``-o json`` kubectl prints nothing once one object of the stream fails)."""
    where.write_text(text, encoding="utf-8")
    plane.ensure_namespaces(namespaces(text))
    done = plane.kubectl("apply", "--server-side", "--dry-run=server", "--force-conflicts",
                         "--field-manager=gloo-harden-tests", "-f", str(where), check=False,
                         timeout=300)
    accepted = collections.Counter(m.group(1) for line in done.stdout.splitlines()
                                   if (m := ACCEPTED.match(line)))
    left = objects(text) - accepted
    assert not accepted - objects(text), (accepted - objects(text), done.stdout)
    return set(left), done.stderr.strip()


@pytest.mark.parametrize("path", corpus_params(), ids=lambda p: getattr(p, "name", p))
def test_the_api_server_accepts_every_hardened_render(path: Path, control_plane: ControlPlane,
                                                      tmp_path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    control_plane.ensure_crds(release_crds(control_plane, text))
    as_rendered, said = refused(control_plane, text, tmp_path / "rendered.yaml")
    assert sorted(as_rendered) == sorted(REFUSED_AS_RENDERED.get(path.name, set())), said
    for flags in VARIANTS:
        results = tmp_path / "results.json"
        done = run_tool(*flags, "--results", str(results), str(path))
        assert done.returncode == 0, done.stderr.decode()
        hardened = done.stdout.decode()
        assert objects(hardened) >= objects(text)  # nothing lost; added objects are judged too
        left, said = refused(control_plane, hardened, tmp_path / f"hardened{''.join(flags)}.yaml")
        assert left <= as_rendered, (flags, left - as_rendered, said)
        assert json.loads(results.read_text()) is not None


def test_the_judge_refuses_what_a_broken_hardening_would_write(control_plane: ControlPlane,
                                                               tmp_path: Path) -> None:
    """The same judge on hardened objects broken by hand: each slip is refused, by name."""
    source = next((p for p in corpus_params() if getattr(p, "name", "") == "gloo-1.22.1-default.yaml"), None)
    if source is None:
        pytest.skip("gloo-1.22.1-default.yaml is not in the corpus")
    text = source.read_text(encoding="utf-8")
    control_plane.ensure_crds(release_crds(control_plane, text))
    hardened = run_tool(str(source)).stdout.decode()
    clean, said = refused(control_plane, hardened, tmp_path / "clean.yaml")
    assert clean == set(), said
    slips = {  # a typo, a wrong type, a field of the Settings CRD misspelt
        "readOnlyRootFilesystem: true": "readOnlyRootFileSystem: true",
        "automountServiceAccountToken: false": 'automountServiceAccountToken: "false"',
        "disableKubernetesDestinations: true": "disableKubernetesDestinations: yes please",
    }
    for right, wrong in slips.items():
        assert right in hardened
        left, said = refused(control_plane, hardened.replace(right, wrong, 1), tmp_path / "broken.yaml")
        assert len(left) == 1, (wrong, left, said)
