#!/usr/bin/env python3
"""checkov as an outside judge: run it before and after ``gloo-harden`` on every corpus file.

For each file it reports, for the Gloo proxy workloads, which checks the hardening fixed and
which it introduced (any check, any resource), and for the checks that map to our hardenings
(CKV_K8S_25 capabilities added, CKV_K8S_22 read-only root filesystem, CKV_K8S_38 service
account token) every failure left on a proxy and why: a guard kept the setting (its reason
from ``--results``), or something else (a bar failure).

checkov is installed pinned, in its own venv (never in the project's), on first use:

    python3 benchmarks/checkov/judge.py                     # ../shared/corpus, table on stdout
    python3 benchmarks/checkov/judge.py --json out.json FILE…

It runs offline (``--skip-download``). Exit 0 when the bar holds, 1 when it does not, 2 when
checkov cannot be run or read (a file checkov parsed into zero resources counts as that: it
reports broken YAML as an empty success).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHECKOV_VERSION = "3.3.30"
REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("GLOO_HARDEN_CORPUS") or REPO.parent / "shared" / "corpus")
VENV = Path(os.environ.get("GLOO_HARDEN_CHECKOV_VENV",
                           Path.home() / ".cache" / "gloo-harden-checkov" / "venv"))
#: checkov check → the hardening that answers it.
CHECKS = {"CKV_K8S_25": "drop-net-bind-service", "CKV_K8S_22": "read-only-root-filesystem",
          "CKV_K8S_38": "disable-sa-token-automount"}
PROXY_ROLES = ("gateway-proxy", "ingress-proxy", "clusteringress-proxy",
               "knative-external-proxy", "knative-internal-proxy")

Failure = tuple[str, str]  # (check id, checkov resource id "Kind.namespace.name")


class JudgeError(Exception):
    pass


def failures(report: Any) -> tuple[set[Failure], int]:
    """Failed (check, resource) pairs of a checkov ``-o json`` report, and its resource count."""
    reports = report if isinstance(report, list) else [report]
    found: set[Failure] = set()
    count = 0
    for item in reports:
        if not isinstance(item, dict) or item.get("check_type", "kubernetes") != "kubernetes":
            continue
        count += int(item.get("summary", {}).get("resource_count", 0))
        for check in item.get("results", {}).get("failed_checks", []):
            found.add((str(check["check_id"]), str(check["resource"])))
    return found, count


def resource_id(ref: dict[str, str]) -> str:
    """Our result's resource as checkov names it (no namespace reads as ``default``)."""
    return f"{ref['kind']}.{ref.get('namespace') or 'default'}.{ref.get('name', '')}"


@dataclass
class FileVerdict:
    name: str
    proxies: list[str]
    fixed: set[Failure] = field(default_factory=set)
    introduced: set[Failure] = field(default_factory=set)
    kept: dict[Failure, str] = field(default_factory=dict)  # failure → the guard's reason
    opt_in: set[Failure] = field(default_factory=set)  # gone with --sidecars: sidecars only
    unexplained: set[Failure] = field(default_factory=set)

    @property
    def passes(self) -> bool:
        return not self.introduced and not self.unexplained


def judge(name: str, before: set[Failure], after: set[Failure], proxies: list[str],
          results: list[dict[str, Any]], with_sidecars: set[Failure] | None = None) -> FileVerdict:
    """Compare two checkov runs for one file; ``results`` are gloo-harden's ``--results``.

    ``with_sidecars``: checkov's failures after ``gloo-harden --sidecars``. A failure that run
    clears is in a sidecar container, which the default run leaves alone by design.
    """
    verdict = FileVerdict(name, proxies)
    verdict.fixed = {f for f in before - after if f[1] in proxies}
    verdict.introduced = (after - before) | (with_sidecars - before if with_sidecars else set())
    reasons = {(r["hardening"], resource_id(r["resource"])): r["message"]
               for r in results if r.get("severity") != "info" and r.get("hardening")
               and r.get("resource")}
    for check, resource in sorted(after):
        if check in CHECKS and resource in proxies:
            reason = reasons.get((CHECKS[check], resource))
            if reason:
                verdict.kept[(check, resource)] = reason
            elif with_sidecars is not None and (check, resource) not in with_sidecars:
                verdict.opt_in.add((check, resource))
            else:
                verdict.unexplained.add((check, resource))
    return verdict


def proxy_workloads(manifest: Path) -> list[str]:
    """checkov ids of the Gloo proxy workloads, found the way gloo-harden finds them."""
    from gloo_harden.gloo.index import StreamIndex
    from gloo_harden.run import pipeline

    documents = pipeline.read([pipeline.Source(str(manifest), manifest.read_bytes())])
    resources, _ = pipeline.parse(documents)
    return sorted({resource_id({"kind": p.resource.kind, "namespace": p.namespace or "",
                                "name": p.resource.name or ""})
                   for p in StreamIndex(resources).proxies})


def install_checkov() -> Path:
    binary = VENV / "bin" / "checkov"
    if binary.exists():
        return binary
    print(f"judge: installing checkov {CHECKOV_VERSION} into {VENV} (once)", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet",
                    f"checkov=={CHECKOV_VERSION}"], check=True)
    return binary


def run_checkov(checkov: Path, manifest: Path, expect_resources: bool) -> set[Failure]:
    done = subprocess.run([str(checkov), "-f", str(manifest), "--framework", "kubernetes",
                           "-o", "json", "--quiet", "--compact", "--skip-download"],
                          capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 1: some check failed, a normal outcome
        raise JudgeError(f"{manifest}: checkov exited {done.returncode}: {done.stderr[-500:]}")
    found, count = failures(json.loads(done.stdout))
    if count == 0 and expect_resources:  # broken YAML reads as an empty success
        raise JudgeError(f"{manifest}: checkov found no Kubernetes resources")
    return found


def harden(manifest: Path, folder: Path, *flags: str) -> tuple[Path, list[dict[str, Any]]]:
    stem = manifest.stem + "".join(flags)
    after, results = folder / f"{stem}.hardened.yaml", folder / f"{stem}.json"
    tool = Path(sys.executable).parent / "gloo-harden"
    done = subprocess.run([str(tool), str(manifest), "-o", str(after), "--results", str(results),
                           "-q", *flags], capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise JudgeError(f"{manifest}: gloo-harden exited {done.returncode}: {done.stderr}")
    return after, json.loads(results.read_text())


def table(verdicts: Iterable[FileVerdict]) -> str:
    rows = ["| file | proxy workloads | fixed on proxies | introduced | left on proxies "
            "(CKV_K8S_25/22/38) | bar |", "| --- | --- | --- | --- | --- | --- |"]
    for v in verdicts:
        left = [f"{c} {r}: kept by guard ({_short(why)})" for (c, r), why in sorted(v.kept.items())]
        left += [f"{c} {r}: sidecar, cleared by `--sidecars`" for (c, r) in sorted(v.opt_in)]
        left += [f"**{c} {r}: not explained**" for (c, r) in sorted(v.unexplained)]
        rows.append(f"| {v.name} | {len(v.proxies)} | {_count(v.fixed) or 'none'} | "
                    f"{_count(v.introduced) or 'none'} | {'; '.join(left) or 'none'} | "
                    f"{'pass' if v.passes else 'FAIL'} |")
    return "\n".join(rows) + "\n"


def _short(reason: str) -> str:
    """The first two pieces of a guard's evidence (the whole reason is in ``--json``)."""
    evidence = reason.removeprefix("kept for ")
    for what_follows in ("; to accept", "; refused"):  # how to accept it, not why
        evidence = evidence.split(what_follows)[0]
    if evidence.endswith(")") and " stays " in evidence:  # what stayed, not why
        evidence = evidence[:evidence.rfind(" (")]
    pieces = evidence.split("; ")
    return "; ".join(pieces[:2]) + ("; …" if len(pieces) > 2 else "")


def _count(found: set[Failure]) -> str:
    ids: dict[str, int] = {}
    for check, _ in found:
        ids[check] = ids.get(check, 0) + 1
    return ", ".join(f"{c}×{n}" if n > 1 else c for c, n in sorted(ids.items()))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="manifests (default: the corpus)")
    parser.add_argument("--json", type=Path, help="also write every verdict as JSON here")
    args = parser.parse_args(argv)
    files = args.files or sorted(CORPUS.glob("*.yaml"))
    try:
        checkov = install_checkov()
        verdicts = []
        with tempfile.TemporaryDirectory() as tmp:
            for manifest in files:
                after, results = harden(manifest, Path(tmp))
                proxies = proxy_workloads(manifest)  # Gloo CRs only: checkov sees nothing
                sidecars, _ = harden(manifest, Path(tmp), "--sidecars")
                verdicts.append(judge(manifest.name, run_checkov(checkov, manifest, bool(proxies)),
                                      run_checkov(checkov, after, bool(proxies)), proxies,
                                      results, run_checkov(checkov, sidecars, bool(proxies))))
                print(f"judge: {manifest.name} done", file=sys.stderr)
    except (JudgeError, subprocess.CalledProcessError, json.JSONDecodeError) as exc:
        print(f"judge: {exc}", file=sys.stderr)
        return 2
    print(f"checkov {CHECKOV_VERSION}, `--framework kubernetes --skip-download`\n")
    print(table(verdicts), end="")
    if args.json:
        args.json.write_text(json.dumps([{
            "file": v.name, "proxies": v.proxies, "passes": v.passes,
            "fixed": sorted(v.fixed), "introduced": sorted(v.introduced),
            "kept": [[c, r, why] for (c, r), why in sorted(v.kept.items())],
            "sidecars_only": sorted(v.opt_in),
            "unexplained": sorted(v.unexplained)} for v in verdicts], indent=2) + "\n")
    return 0 if all(v.passes for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
