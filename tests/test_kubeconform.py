"""Judged from outside: every corpus render, as rendered, hardened, and with ``--profile
restricted``, against the Kubernetes 1.32 schema and the matching CRDs, by kubeconform in
strict mode (tests/kubeconform.py). A hardening that writes an invalid field, a wrong type or
an unknown key fails here.

Some renders are not valid as rendered, for reasons that are not ours (``INVALID_AS_RENDERED``,
also in README "Judged from outside"); for those, and for any render, the bar is that we
introduce nothing new.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kubeconform
from conftest import corpus_params, needs_corpus, run_tool

pytestmark = [pytest.mark.e2e, needs_corpus]

#: What kubeconform finds in the renders as they are, by object: APIs Kubernetes 1.32 no
#: longer serves, custom resources whose CRD is not in ../shared/crds, and a kgateway beta
#: render that the 2.3.0 CRD (the only kgateway CRD set there) no longer accepts.
_OLD_CRDS = {f"CustomResourceDefinition/{name}.{group}.solo.io" for name, group in (
    ("gateways", "gateway"), ("virtualservices", "gateway"), ("routetables", "gateway"),
    ("upstreams", "gloo"), ("upstreamgroups", "gloo"), ("settings", "gloo"),
    ("proxies", "gloo"))}
INVALID_AS_RENDERED: dict[str, set[str]] = {
    "gloo-1.2.0-rio-glooctl-dry-run.yaml": _OLD_CRDS | {
        "CustomResourceDefinition/authconfigs.enterprise.gloo.solo.io"},
    "gloo-1.4.15-rio-glooctl-dry-run.yaml": _OLD_CRDS | {
        "CustomResourceDefinition/authconfigs.enterprise.gloo.solo.io"},
    "gloo-1.6.0-beta15-committed-helm-template.yaml": {
        "ValidatingWebhookConfiguration/gloo-gateway-validation-webhook-default"},
    "gloo-1.22-kube-destinations-virtualservice.yaml": {
        "VirtualService/partially-valid", "VirtualService/vs-targeting-kube",
        "VirtualService/httpbin-vs", "Upstream/httpbin-upstream-edge-apis-routing"},
    "kgateway-2.0.0-beta1-default.yaml": {"GatewayParameters/kgateway"},
}


GLOO_1_22 = "gloo-1.22.1-default.yaml"


def _judged(path: Path, flags: tuple[str, ...] | None,
            tmp_path: Path) -> tuple[int, set[kubeconform.Finding]]:
    """kubeconform's verdict on ``path`` as rendered (``flags`` None) or as hardened with
    ``flags``; the CRD release is chosen from the render either way."""
    if flags is None:
        count, findings = kubeconform.validate(path)
        return count, set(findings)
    results = tmp_path / "results.json"
    done = run_tool(*flags, "--results", str(results), str(path))
    assert done.returncode == 0, done.stderr.decode()
    out = tmp_path / f"{path.stem}{''.join(flags)}.yaml"
    out.write_bytes(done.stdout)
    count, findings = kubeconform.validate(out, crd_text=path.read_text())
    # objects gloo-harden adds (kgateway 2.0/2.1's class-level GatewayParameters and class)
    added = [r for r in json.loads(results.read_text())
             if r.get("field") == "metadata.name" and r["message"].startswith("added ")]
    return count - len(added), set(findings)


@pytest.mark.parametrize("path", corpus_params(), ids=lambda p: getattr(p, "name", p))
def test_hardening_introduces_nothing_kubeconform_rejects(path: Path, tmp_path: Path) -> None:
    objects, rendered = _judged(path, None, tmp_path)
    assert objects > 0
    if path.name in INVALID_AS_RENDERED:  # say which, and why (above)
        assert {f"{f.kind}/{f.name}" for f in rendered} == INVALID_AS_RENDERED[path.name]
    else:
        assert rendered == set(), path.name
    for flags in ((), ("--profile", "restricted"), ("--sidecars", "--profile", "restricted")):
        count, hardened = _judged(path, flags, tmp_path)
        assert count == objects
        assert sorted(map(str, hardened - rendered)) == [], flags


def test_the_judge_rejects_what_a_broken_hardening_would_write(tmp_path: Path) -> None:
    """The same judge on a hardened render broken by hand: each slip is caught."""
    source = next((p for p in corpus_params() if getattr(p, "name", "") == GLOO_1_22), None)
    if source is None:
        pytest.skip(f"{GLOO_1_22} is not in the corpus")
    hardened = run_tool(str(source)).stdout.decode()
    slips = {
        "readOnlyRootFilesystem: true": "readOnlyRootFileSystem: true",  # a typo
        "automountServiceAccountToken: false": 'automountServiceAccountToken: "false"',  # a type
        "disableKubernetesDestinations: true": "disableKubernetesDestination: true",
    }
    _, clean = _judged(source, (), tmp_path)
    for right, wrong in slips.items():
        assert right in hardened
        broken = tmp_path / "broken.yaml"
        broken.write_text(hardened.replace(right, wrong, 1))
        _, found = kubeconform.validate(broken, crd_text=source.read_text())
        assert set(found) - clean, wrong
