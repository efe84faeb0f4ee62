"""gloo-harden against its peers on the same job, side by side: ``python benchmarks/bench.py``.

Every comparison runs the commands alternately in one process tree (order swapped every round,
one untimed warm-up round first), each run a fresh process, and reports medians, min–max, peak
RSS (``os.wait4`` ``ru_maxrss``) and the median of the per-round ratios. Targets are ratios, never
absolute times; the script exits 1 when one is missed, 2 when it cannot run (a tool is missing,
or the tools' outputs do not carry the same edits). ``--dry-run`` runs every command once,
checks the outputs and enforces nothing (what the test suite runs).

Beside the peers: growth (gloo-harden alone on the generated stream and on a proxy-dense one,
each against the same stream a tenth the size, paired; peak RSS against the input size) and
the KRM function's own run (gloo-harden handed the ResourceList kpt hands it, against the
same documents as a plain file).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import equivalence  # noqa: E402
import gen_gloo  # noqa: E402
import kustomization  # noqa: E402
from timing import Case, Command, Run, measure  # noqa: E402

CORPUS = Path(os.environ.get("GLOO_HARDEN_CORPUS") or HERE.parent.parent / "shared" / "corpus") \
    / "gloo-1.22.1-istio-integration.yaml"  # $GLOO_HARDEN_CORPUS, as in the tests
#: gloo-harden's wall time / kustomize's, at most, by stream size.
KUSTOMIZE_TARGETS = {"corpus": 0.5, 60: 0.5, 1000: 0.2, 10000: 0.1}
ROUNDS = {"startup": 20, "corpus": 10, 60: 10, 1000: 5, 10000: 1, "growth": 3,
          "resource-list": 10}
STARTUP_TARGETS = {"--version": 2.5, "--help": 5.0}  # x `python -I -c pass`
KPT_TARGET = 1.2  # x `kpt fn eval --exec cat`
#: time of a stream 10 times as long / the shorter one's: linear, plus the start-up paid once
LINEAR_TARGET = 11.0
RSS_TARGET = 2.5  # peak RSS / input size, at 10k docs


class Unusable(Exception):  # noqa: N818 - a verdict, not a crash
    """The benchmark cannot run as asked (exit 2)."""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="gloo-harden-bench-"))
    try:
        tools = _tools(args)
        print(_machine(tools))
        cases = _cases(args, tools, work)
        missed = [line for case in cases for line in _report(case, args.dry_run)]
        missed += _scaling(cases, args.dry_run)
    except Unusable as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    finally:
        if not args.workdir and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for line in missed:
        print(f"MISSED {line}")
    return 1 if missed else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="60,1000",
                        help="generated stream sizes, comma separated (10000 takes ~15 min)")
    parser.add_argument("--growth", default="1000,10000",
                        help="two sizes of the generated and the proxy-dense stream, gloo-harden "
                        "alone ('' to skip)")
    parser.add_argument("--rounds", type=int, help="timed rounds per comparison (default by size)")
    parser.add_argument("--dry-run", action="store_true",
                        help="one run of each command, outputs checked, no targets")
    parser.add_argument("--corpus", default=str(CORPUS), help="real render to compare on ('' to skip)")
    parser.add_argument("--no-kpt", action="store_true", help="skip the kpt comparisons")
    parser.add_argument("--no-startup", action="store_true", help="skip --version/--help")
    parser.add_argument("--workdir", help="keep generated inputs and outputs here")
    parser.add_argument("--keep", action="store_true", help="do not delete the temporary workdir")
    return parser


def _tools(args: argparse.Namespace) -> dict[str, str]:
    harden = Path(sys.executable).parent / "gloo-harden"
    if not harden.exists():
        raise Unusable(f"{harden} does not exist; expected gloo-harden installed next to "
                       f"{sys.executable} (pip install -e .)")
    tools = {"gloo-harden": str(harden), "python": sys.executable}
    _byte_compile()
    for name in ("kubectl",) + (() if args.no_kpt else ("kpt",)):
        found = shutil.which(name)
        if found is None:
            raise Unusable(f"{name} is not on PATH; expected it installed (or pass --no-kpt)")
        tools[name] = found
    return tools


def _byte_compile() -> None:
    """Compile gloo-harden to bytecode first, as pip does when it installs a wheel: an
    editable install run under PYTHONDONTWRITEBYTECODE=1 would otherwise compile every
    module on every run (about 30 ms), which no user pays."""
    import compileall

    import gloo_harden

    compileall.compile_dir(str(Path(gloo_harden.__file__).parent), quiet=1)


def _machine(tools: dict[str, str]) -> str:
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
                 platform.processor())
    kubectl = subprocess.run([tools["kubectl"], "version", "--client"], capture_output=True,
                             text=True).stdout.replace("\n", "; ").strip("; ")
    return (f"machine: {os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
            f"{kubectl}" + (f", kpt {_kpt_version(tools)}" if "kpt" in tools else ""))


def _kpt_version(tools: dict[str, str]) -> str:
    return subprocess.run([tools["kpt"], "version"], capture_output=True, text=True).stdout.strip()


def _cases(args: argparse.Namespace, tools: dict[str, str], work: Path) -> list[Case]:
    cases: list[Case] = []
    if not args.no_startup:
        cases.append(_startup(args, tools))
    inputs: list[tuple[str | int, Path, str]] = []
    if args.corpus:
        corpus = Path(args.corpus)
        if not corpus.is_file():
            raise Unusable(f"{corpus} does not exist; expected the corpus (or --corpus '')")
        if corpus.name not in kustomization.CORPUS:
            raise Unusable(f"{corpus.name}: no kustomize patches for it; expected one of "
                           + ", ".join(kustomization.CORPUS))
        inputs.append((corpus.name, corpus, kustomization.CORPUS[corpus.name]))
    for size in (int(s) for s in args.sizes.split(",") if s):
        path = work / f"d{size}" / "stream.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            out.writelines(gen_gloo.stream(size))
        inputs.append((size, path, kustomization.GENERATED))
    for label, path, patches in inputs:
        cases.append(_versus_kustomize(args, tools, work, label, path, patches))
        if "kpt" in tools and label in (args.corpus and Path(args.corpus).name, 60):
            cases.append(_versus_kpt(args, tools, work, label, path))
            if label == 60:
                cases.append(_resource_list(args, tools, work, label, path))
    if args.growth:
        sizes = [int(s) for s in args.growth.split(",")]
        cases.append(_growth(args, tools, work, sizes, "generated stream", gen_gloo.stream))
        cases.append(_growth(args, tools, work, sizes, "proxy-dense stream",
                             gen_gloo.proxy_stream))
    return cases


def _rounds(args: argparse.Namespace, label: str | int) -> tuple[int, int]:
    """(warm-up rounds, timed rounds)."""
    if args.dry_run:
        return 0, 1
    rounds = args.rounds or ROUNDS.get(label if isinstance(label, int) or label in ROUNDS
                                       else "corpus", 3)
    return (0 if label in (10000, "growth") else 1), rounds


def _startup(args: argparse.Namespace, tools: dict[str, str]) -> Case:
    python = Command("python -I -c pass", [tools["python"], "-I", "-c", "pass"])
    version = Command("gloo-harden --version", [tools["gloo-harden"], "--version"])
    helps = Command("gloo-harden --help", [tools["gloo-harden"], "--help"])
    warm, rounds = _rounds(args, "startup")
    case = measure(Case("start-up", [python, version, helps], baseline=0, warmup=warm,
                        rounds=rounds))
    case.targets = {1: STARTUP_TARGETS["--version"], 2: STARTUP_TARGETS["--help"]}
    return case


def _versus_kustomize(args: argparse.Namespace, tools: dict[str, str], work: Path,
                      label: str | int, path: Path, patches: str) -> Case:
    folder = work / f"kz-{label}"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, folder / "stream.yaml")
    kustomization.write(folder, "stream.yaml", patches)
    ours = Command("gloo-harden", [tools["gloo-harden"], str(path)], stdout=work / f"gh-{label}.yaml")
    theirs = Command("kubectl kustomize", [tools["kubectl"], "kustomize", str(folder)],
                     stdout=work / f"kz-{label}.yaml")
    # What reading YAML with ruamel's C parser costs before reading a byte: this design's floor
    # (a run with only file names, or none, imports no click).
    floor = Command("floor: python -c 'import ruamel.yaml.cyaml'",
                    [tools["python"], "-c", "import ruamel.yaml.cyaml"])
    extra = [floor] if not isinstance(label, int) or label == 60 else []
    warm, rounds = _rounds(args, label)
    case = measure(Case(f"{_name(label)} vs kustomize", [ours, theirs, *extra], baseline=1,
                        warmup=warm, rounds=rounds, input_bytes=path.stat().st_size))
    case.targets = {0: KUSTOMIZE_TARGETS.get(label if isinstance(label, int) else "corpus",
                                             0.35)}
    case.label = label
    _same_edits(case, path, ours, theirs)
    return case


def _versus_kpt(args: argparse.Namespace, tools: dict[str, str], work: Path,
                label: str | int, path: Path) -> Case:
    package = work / f"kpt-{label}"
    package.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, package / "resources.yaml")
    base = [tools["kpt"], "fn", "eval", str(package), "-o", "unwrap", "--exec"]
    ours = Command("kpt fn eval --exec gloo-harden", base + [tools["gloo-harden"]],
                   stdout=work / f"kpt-gh-{label}.yaml")
    cat = Command("kpt fn eval --exec cat", base + [shutil.which("cat") or "/bin/cat"],
                  stdout=work / f"kpt-cat-{label}.yaml")
    # The same floor as beside kustomize, as kpt runs it: Python importing ruamel's C
    # parser, then copying the ResourceList through as cat does
    floor_script = work / "floor-cat"
    floor_script.write_text(f"#!{tools['python']}\nimport shutil, sys, ruamel.yaml.cyaml\n"
                            "shutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer)\n",
                            encoding="utf-8")
    floor_script.chmod(0o755)
    floor = Command("floor: kpt fn eval --exec (import ruamel.yaml.cyaml; cat)",
                    base + [str(floor_script)], stdout=work / f"kpt-floor-{label}.yaml")
    warm, rounds = _rounds(args, label)
    case = measure(Case(f"{_name(label)} in kpt", [ours, cat, floor], baseline=1,
                        warmup=warm, rounds=rounds, input_bytes=path.stat().st_size))
    case.targets = {0: KPT_TARGET}
    _same_edits(case, path, ours, Command("gloo-harden", [], stdout=work / f"gh-{label}.yaml"))
    assert cat.stdout is not None and floor.stdout is not None
    if floor.stdout.read_bytes() != cat.stdout.read_bytes():
        raise Unusable(f"{case.name}: the floor's output is not cat's; expected the same bytes")
    return case


def _resource_list(args: argparse.Namespace, tools: dict[str, str], work: Path,
                   label: str | int, path: Path) -> Case:
    """The KRM function's own run, without kpt around it: gloo-harden handed the ResourceList
    kpt hands it (captured from a real ``kpt fn eval --exec``), against the same documents as
    a plain file. The difference is what the ResourceList route costs on top of a plain run."""
    package = work / f"kpt-{label}"
    captured = work / f"resource-list-{label}.yaml"
    tee = work / "capture.sh"
    tee.write_text(f"#!/bin/sh\nexec tee {captured}\n", encoding="utf-8")
    tee.chmod(0o755)
    subprocess.run([tools["kpt"], "fn", "eval", str(package), "-o", "unwrap", "--exec", str(tee)],
                   check=True, capture_output=True)
    krm = Command("gloo-harden < ResourceList", [tools["gloo-harden"]], stdin=captured,
                  stdout=work / f"krm-gh-{label}.yaml")
    plain = Command("gloo-harden FILE", [tools["gloo-harden"], str(path)],
                    stdout=work / f"plain-gh-{label}.yaml")
    warm, rounds = _rounds(args, "resource-list")
    case = measure(Case(f"{_name(label)}: the KRM function's own run", [krm, plain],
                        baseline=1, warmup=warm, rounds=rounds,
                        input_bytes=captured.stat().st_size))
    share = (Run.median(case.runs[0]) - Run.median(case.runs[1])) * 1000
    case.notes.append(f"the ResourceList route costs {share:.0f} ms more than a plain run "
                      "(medians)")
    return case


def _growth(args: argparse.Namespace, tools: dict[str, str], work: Path, sizes: list[int],
            name: str, generate: Callable[[int], Iterable[str]]) -> Case:
    """gloo-harden alone on one generated stream at two sizes, paired. On the proxy-dense
    stream (``gen_gloo.proxy_stream``) every guard looks at every proxy, Gateway, Service and
    route, so work that grows with proxies x Gateways shows there first."""
    if len(sizes) != 2 or sizes[1] <= sizes[0]:
        raise Unusable(f"--growth {args.growth}: expected two sizes, the smaller first")
    commands = []
    tag = name.split()[0]
    for size in sizes:
        path = work / f"{tag}-{size}" / "stream.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            out.writelines(generate(size))
        commands.append(Command(f"gloo-harden, {size} docs", [tools["gloo-harden"], str(path)],
                                stdout=work / f"gh-{tag}-{size}.yaml"))
    warm, rounds = _rounds(args, "growth")
    case = measure(Case(f"growth: {name}, {sizes[1]:,} docs / {sizes[0]:,} docs", commands,
                        baseline=0, warmup=warm, rounds=rounds,
                        input_bytes=Path(commands[1].argv[1]).stat().st_size))
    case.targets = {1: LINEAR_TARGET * sizes[1] / sizes[0] / 10}
    case.label = f"growth {tag}"
    if generate is gen_gloo.proxy_stream:
        units = sizes[0] // gen_gloo.DENSE_UNIT
        case.notes.append(f"{len(gen_gloo.DENSE_PROXIES) * units:,} proxies and "
                          f"{8 * units:,} Gateways in the smaller stream")
    return case


def _name(label: str | int) -> str:
    return f"{label} docs" if isinstance(label, int) else f"corpus {label}"


def _same_edits(case: Case, source: Path, ours: Command, theirs: Command) -> None:
    assert ours.stdout is not None and theirs.stdout is not None
    count, problems = equivalence.compare(source, ours.stdout, theirs.stdout)
    if problems:
        raise Unusable(f"{case.name}: the outputs differ in their edits; expected the same "
                       "edits from both:\n  " + "\n  ".join(problems))
    case.notes.append(f"{count} edited fields, the same in both outputs (re-read as YAML 1.1)")


def _report(case: Case, dry_run: bool) -> list[str]:
    print(f"\n### {case.name}" + (f" ({case.input_bytes / 1e6:.2f} MB)" if case.input_bytes else ""))
    for note in case.notes:
        print(f"- {note}")
    print("\n| command | wall median | min–max | CPU median | peak RSS | x baseline, wall "
          "(paired median) | x baseline, CPU | target (wall) |")
    print("|---|---|---|---|---|---|---|---|")
    missed = []
    for i, command in enumerate(case.commands):
        run = Run.summary(case.runs[i])
        ratio = case.ratio(i) if i != case.baseline else None
        target = case.targets.get(i)
        mark = "" if ratio is None or target is None else ("✓" if ratio <= target else "✗ missed")
        cpu = case.ratio(i, cpu=True) if i != case.baseline else None
        print(f"| `{command.label}` | {run.wall} | {run.spread} | {run.cpu} | {run.rss} | "
              f"{'—' if ratio is None else f'{ratio:.2f}'} | {'—' if cpu is None else f'{cpu:.2f}'} | "
              f"{'' if target is None else f'≤ {target} {mark}'} |")
        if not dry_run and ratio is not None and target is not None and ratio > target:
            missed.append(f"{case.name}: {command.label} at {ratio:.2f}x, target ≤ {target}x")
    return missed


def _scaling(cases: list[Case], dry_run: bool) -> list[str]:
    """The larger generated stream's peak RSS against its input size (the growth case's, else
    10k docs beside kustomize: then also its growth against 1k docs, unpaired)."""
    missed: list[str] = []
    growth = next((c for c in cases if c.label == "growth generated"), None)
    if growth is not None and not dry_run:
        rss = max(r.rss_kib for r in growth.runs[1]) * 1024 / growth.input_bytes
        print(f"\n{growth.commands[1].label}: peak RSS {rss:.2f} x the input size "
              f"(target ≤ {RSS_TARGET})")
        if rss > RSS_TARGET:
            missed.append(f"{growth.name}: peak RSS {rss:.2f}x the input, target ≤ {RSS_TARGET}x")
    by_size = {c.label: c for c in cases if isinstance(c.label, int) and c.name.endswith("kustomize")}
    big = by_size.get(10000)
    if big is None or dry_run:
        return missed
    rss = max(r.rss_kib for r in big.runs[0]) * 1024 / big.input_bytes
    print(f"\n10,000 docs: gloo-harden peak RSS {rss:.2f} x the input size (target ≤ {RSS_TARGET})")
    if rss > RSS_TARGET:
        missed.append(f"10,000 docs: peak RSS {rss:.2f}x the input, target ≤ {RSS_TARGET}x")
    small = by_size.get(1000)
    if small is not None:
        ratio = Run.median(big.runs[0]) / Run.median(small.runs[0])
        print(f"10,000 docs / 1,000 docs, gloo-harden wall: {ratio:.1f} (target ≤ {LINEAR_TARGET})")
        if ratio > LINEAR_TARGET:
            missed.append(f"10k/1k time {ratio:.1f}, target ≤ {LINEAR_TARGET}")
    return missed


if __name__ == "__main__":
    sys.exit(main())
