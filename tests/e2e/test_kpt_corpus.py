"""Real renders from ../shared/corpus through ``kpt fn eval - --exec gloo-harden -o unwrap``
gives the same objects (read as YAML 1.1, like kubectl) as the pipe does: the KRM adapter
hardens exactly what stream mode hardens, and kpt's re-serialisation changes no value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import corpus_params, needs_corpus, run_tool
from krmtools import client, objects, run

pytestmark = [pytest.mark.e2e, needs_corpus]

#: One render for each thing the adapter must get right (kpt takes ~5 s a file, so not all 16):
#: guards that refuse (host network, Istio SDS, kube destinations), several proxies, ingress
#: and knative proxies, GatewayParameters, and the oldest chart.
SAMPLE = ("daemonset-hostnetwork", "istio-sds", "kube-destinations-virtualservice",
          "multiple-proxies", "ingress-knative", "kubegateway", "1.2.0-rio")


def _key(doc: Any) -> tuple[str, str, str]:
    meta = doc.get("metadata") or {}
    return doc.get("kind", ""), meta.get("namespace") or "", meta.get("name") or ""


@pytest.mark.parametrize("path", [p for p in corpus_params()
                                  if not isinstance(p, Path) or any(s in p.name for s in SAMPLE)],
                         ids=lambda p: getattr(p, "name", p))
def test_kpt_stdin_equals_the_pipe(path: Path) -> None:
    piped = run_tool(str(path))
    through_kpt = run(client("kpt"), "fn", "eval", "-", "--exec", "gloo-harden", "-o", "unwrap",
                      stdin=path.read_text())
    assert through_kpt.returncode == piped.returncode, through_kpt.stderr
    want = sorted(objects(piped.stdout.decode()), key=_key)
    assert sorted(objects(through_kpt.stdout), key=_key) == want
