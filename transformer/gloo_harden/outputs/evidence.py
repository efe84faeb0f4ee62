"""What the guards read, as ``gloo-harden explain evidence`` prints it and the README shows it.

Everything here is generated from the guards' ``KINDS_READ`` rows (``gloo.evidence``): the commands
that collect every kind from a cluster, and what each kind proves to which guard, with the side
the guard takes when none is seen. ``tests/guards/test_evidence_doc.py`` holds the README's
table equal to ``table()``.
"""

from __future__ import annotations

from gloo_harden.gloo.evidence import KEEPS, WARNS, KindRead, ObjectKind
from gloo_harden.guards import GUARDS

#: the folder the printed commands write into
FOLDER = "gloo-evidence"
TOPIC = "evidence"


def rows() -> list[tuple[str, KindRead]]:
    """(guard id, row) for every kind every guard reads, guards in registry order."""
    return [(guard_id, row) for guard_id, guard in GUARDS.items()
            for row in getattr(guard, "KINDS_READ", ())]


def kinds() -> list[ObjectKind]:
    """Every kind any guard reads, once, in the order they are first read."""
    return list(dict.fromkeys(row.what for _, row in rows()))


def command() -> str:
    """The shell commands that collect every kind, one file per ``kubectl`` resource (a kind
    with no object still leaves its file, so the guards know it was looked for)."""
    resources = " ".join(k.resource for k in kinds())
    return (f"mkdir -p {FOLDER}\n"
            f"for r in {resources}; do\n"
            f'  kubectl get "$r" -A -o yaml > "{FOLDER}/$r.yaml" || rm -f "{FOLDER}/$r.yaml"\n'
            "done\n"
            f"gloo-harden --evidence {FOLDER} rendered.yaml")


def _side(row: KindRead) -> str:
    if row.when_unseen == KEEPS:
        return f"kept back, with an evidence-unseen warning: {row.why}"
    if row.when_unseen == WARNS:
        return f"hardened, with an evidence-unseen warning: {row.why}"
    return "decided on the rest, no warning (absent, it shows nothing that could matter)"


def describe() -> str:
    """``gloo-harden explain evidence``."""
    lines = ["Evidence: the objects the guards read. Objects outside the stream (a live cluster, "
             "application teams' repositories) are read with --evidence PATH (repeatable; a "
             "file or a folder; functionConfig evidence: [PATH…], under kpt or kustomize a "
             "mounted path): never written, hardened or counted.", "",
             "Collect every kind from the cluster, one file per resource (a file named "
             "<resource>.yaml stands for that kind even when it holds no object):", ""]
    lines += [f"  {line}" for line in command().splitlines()]
    lines += ["", "What each kind proves (kubectl resource, kind, the guard that reads it):"]
    for guard_id, row in rows():
        lines.append(f"  - {row.what.resource} ({row.what.kind}), {guard_id}: {row.proves}")
        lines.append(f"      when none is seen: {_side(row)}")
    return "\n".join(lines)


def table() -> str:
    """The README's table: one row per kind and guard."""
    out = ["| kind (`kubectl get … -A -o yaml`) | guard | proves | when none is seen |",
           "| --- | --- | --- | --- |"]
    out += [f"| {row.what.kind} (`{row.what.resource}`) | `{guard_id}` | {row.proves} | "
            f"{_side(row)} |" for guard_id, row in rows()]
    return "\n".join(out)
