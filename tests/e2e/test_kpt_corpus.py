"""Real renders from ../shared/corpus through ``kpt fn eval - --exec gloo-harden -o unwrap``
gives the same objects (read as YAML 1.1, like kubectl) as the pipe does: the KRM adapter
hardens exactly what stream mode hardens, and kpt's re-serialisation changes no value."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import CORPUS, corpus_params, needs_corpus, run_tool
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


KPTFILE = """\
apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: rendered
  annotations:
    config.kubernetes.io/local-config: "true"
pipeline:
  mutators:
    - exec: gloo-harden
{config}"""
#: Two renders gloo-harden adds the same cluster-scoped GatewayClass to, and a Gloo render.
MIX = ("gloo-1.22.1-default.yaml", "kgateway-2.0.5-default.yaml", "kgateway-2.1.2-default.yaml")
_FILE_SUMMARY = re.compile(r'^\s*"(gloo-harden: [^"]+\.yaml: [^"]+)"$', re.MULTILINE)


def _package(tmp_path: Path, config: str) -> Path:
    pkg = tmp_path / "rendered"
    pkg.mkdir()
    for name in MIX:
        shutil.copyfile(CORPUS / name, pkg / name)
    (pkg / "Kptfile").write_text(KPTFILE.format(config=config))
    return pkg


def test_kpt_render_with_separate_renders_puts_each_render_s_additions_in_its_file(
        tmp_path: Path) -> None:
    """``separateRenders: true``: kpt writes every render's objects, additions included, to
    that render's own file (two added GatewayClass kgateway no longer collide in a file of
    their own), each file holds what the pipe makes of it alone, and stderr has one summary
    per file, the pipe's, before the total."""
    pkg = _package(tmp_path, "      configMap:\n        separateRenders: \"true\"\n")
    done = run(client("kpt"), "fn", "render", pkg, "--allow-exec", "--truncate-output=false")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in pkg.iterdir()) == sorted(MIX + ("Kptfile",))
    piped = run_tool("--separate-renders", *MIX, cwd=CORPUS)
    for name in MIX:
        alone = run_tool(name, cwd=CORPUS)
        assert objects((pkg / name).read_text()) == objects(alone.stdout.decode()), name
    said = _FILE_SUMMARY.findall(done.stderr)
    wanted = [line for line in piped.stderr.decode().splitlines()
              if line.startswith("gloo-harden: ") and line.count(": ") == 2]
    assert [line for line in said if "Kptfile" not in line] == wanted
    assert len(wanted) == len(MIX)


def test_kpt_render_as_one_stream_puts_additions_beside_the_controller(tmp_path: Path) -> None:
    pkg = _package(tmp_path, "")
    done = run(client("kpt"), "fn", "render", pkg, "--allow-exec")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in pkg.iterdir()) == sorted(MIX + ("Kptfile",))  # no new file
    added = [(name, o["kind"]) for name in MIX for o in objects((pkg / name).read_text())
             if o.get("metadata", {}).get("name") == "kgateway"
             and o["kind"] in ("GatewayClass", "GatewayParameters")]
    assert added and all(name.startswith("kgateway-") for name, _ in added), added
