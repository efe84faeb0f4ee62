"""Run whole processes alternately and keep wall time and peak RSS of each run."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Command:
    """One command line; stdin is ``stdin`` (a file) or nothing, stdout goes to ``stdout`` (a
    file) or nowhere."""

    label: str
    argv: list[str]
    stdout: Path | None = None
    stdin: Path | None = None


@dataclass(frozen=True)
class Run:
    """One process: its wall time and CPU time (user + system) in seconds, peak RSS in KiB."""

    wall: float
    rss_kib: int
    cpu: float = 0.0

    @staticmethod
    def median(runs: list[Run]) -> float:
        return statistics.median(r.wall for r in runs)

    @staticmethod
    def summary(runs: list[Run]) -> Summary:
        if not runs:
            return Summary("—", "—", "—", "—")
        walls = [r.wall for r in runs]
        return Summary(_seconds(statistics.median(walls)),
                       f"{_seconds(min(walls))}–{_seconds(max(walls))}",
                       f"{max(r.rss_kib for r in runs) / 1024:.0f} MiB",
                       _seconds(statistics.median(r.cpu for r in runs)))


@dataclass(frozen=True)
class Summary:
    wall: str
    spread: str
    rss: str
    cpu: str


@dataclass
class Case:
    """Commands compared side by side; ratios are taken against ``commands[baseline]``."""

    name: str
    commands: list[Command]
    baseline: int
    warmup: int = 1
    rounds: int = 5
    input_bytes: int = 0
    runs: list[list[Run]] = field(default_factory=list)
    targets: dict[int, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    label: str | int = ""

    def ratio(self, index: int, cpu: bool = False) -> float | None:
        """Median over rounds of this command's time / the baseline's time in the same round."""
        pairs = [(a.cpu / b.cpu) if cpu else (a.wall / b.wall)
                 for a, b in zip(self.runs[index], self.runs[self.baseline], strict=False)]
        return statistics.median(pairs) if pairs else None


def measure(case: Case) -> Case:
    """Warm up, then run every command once per round, swapping the order every round."""
    case.runs = [[] for _ in case.commands]
    for _ in range(case.warmup):
        for command in case.commands:
            run_once(command)
    for round_number in range(case.rounds):
        order = list(range(len(case.commands)))
        if round_number % 2:
            order.reverse()
        for i in order:
            case.runs[i].append(run_once(case.commands[i]))
    return case


def run_once(command: Command) -> Run:
    """Run ``command`` to completion; a non-zero exit is an error (its stderr is shown)."""
    out = command.stdout.open("wb") if command.stdout else subprocess.DEVNULL
    source = command.stdin.open("rb") if command.stdin else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        process = subprocess.Popen(command.argv, stdin=source, stdout=out,
                                   stderr=subprocess.PIPE)
        assert process.stderr is not None
        errors = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        process.stderr.close()
    finally:
        for handle in (out, source):
            if handle is not subprocess.DEVNULL:
                handle.close()  # type: ignore[union-attr]
    if process.returncode != 0:
        raise RuntimeError(f"{command.label} exited {process.returncode}: "
                           f"{errors.decode(errors='replace')[-2000:]}")
    return Run(wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"
