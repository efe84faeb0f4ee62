"""Harden: for every hardening, every target of its scopes, check the guards, then patch.

A target is patched only when the patch would change it; only then are opt-outs and guards
consulted, so a proxy that is already hardened produces no noise.
"""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

import copy
import functools
import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from gloo_harden.errors import InvariantError, PatchError
from gloo_harden.gloo import additions, optout
from gloo_harden.gloo.additions import Addition
from gloo_harden.gloo.evidence import HOW_TO_SEE, Unseen
from gloo_harden.gloo.index import StreamIndex
from gloo_harden.guards import COMPLETE, GUARDS
from gloo_harden.patching import trial
from gloo_harden.patching.body import diff, patch
from gloo_harden.patching.hardening import Hardening
from gloo_harden.patching.targets import select as targets_of
from gloo_harden.resources.model import SKIP_ANNOTATION, child_path
from gloo_harden.resources.results import BROKEN, IN_EFFECT, UNSEEN, Result, Severity, show_value
from gloo_harden.scopes import SCOPES, ScopeOptions, Target
from gloo_harden.yamltext import aliases, yamlio


def _keep_nothing(addition: Addition) -> None:
    """``RunState.add`` of a run that cannot add objects: they are dropped."""


class RunState(NamedTuple):
    """What every step of one run reads besides the hardening and its target."""

    stream: StreamIndex  # the stream's index
    scope: ScopeOptions = ScopeOptions()
    strict: bool = False  # a change kept back (or a wrong opt-out) is an error: the run fails
    fail_on_unmatched: bool = False  # a user patch that matches nothing is an error
    #: puts an object a hardening adds (``objects:``) into the stream and the index
    add: Callable[[Addition], None] = _keep_nothing

    @property
    def refusal(self) -> Severity:
        """The severity of a change kept back: an error under ``--strict``, else a warning."""
        return Severity.ERROR if self.strict else Severity.WARNING


def apply_all(hardenings: tuple[Hardening, ...], run: RunState) -> tuple[set[int], list[Result]]:
    """Apply ``hardenings`` in order; return changed document positions and all results.

    Objects that hardenings add (``objects:``) are handed to ``run.add``, which puts them in
    the stream and the index: the hardenings after it see them like any other object.
    """
    changed: set[int] = set()
    results: list[Result] = []
    for item in hardenings:
        matched = 0
        for targets in _target_sets(item, run, results):
            matched += len(targets)
            for target in targets:
                if item.objects is not None:
                    results += _add_for(item, target, run)
                    continue
                did_change, outcome = _apply_one(item, target, run)
                results += outcome
                if did_change:
                    changed.add(target.resource.position)
        if not matched and not item.is_builtin:
            results.append(trial.unmatched(item, run.fail_on_unmatched))
    results += trial.conflicts(run.stream, hardenings, run.scope, results)
    return changed, optout.problems(run.stream.resources, lambda: _valid_ids(hardenings),
                                    run.refusal) + _once(results)


def _valid_ids(hardenings: tuple[Hardening, ...]) -> set[str]:
    """Ids a skip annotation may name: this run's, the built-ins' and the profiles'."""
    from gloo_harden.run.hardenings import known_ids

    return set(known_ids()) | {h.id for h in hardenings}


def _target_sets(item: Hardening, run: RunState,
                 results: list[Result]) -> Iterator[list[Target]]:
    """The targets of ``item``: what its ``target:`` selects, then each scope's."""
    if item.target is not None:
        yield targets_of(run.stream.resources, item.target)
    for scope_id in item.scopes:
        scope = SCOPES[scope_id]
        targets = list(scope.targets(run.stream, run.scope))
        empty = None if targets else scope.empty(run.stream)
        if not targets and empty is not None and item.is_builtin:
            severity, message = empty
            results.append(Result(severity, message, hardening=item.id))
        yield targets


def _add_for(item: Hardening, target: Target, run: RunState) -> list[Result]:
    """Add the objects of ``item`` for one target, unless an opt-out or a guard forbids it."""
    refused, notes = _refusal(item, target, run)
    if refused:
        return notes + refused
    new = [a._replace(beside=target.resource.document)
           for a in additions.objects(item.id, item.objects, target.resource.namespace,
                                      target.resource.labels)]
    for addition in new:
        run.add(addition)
    return notes + [Result(Severity.INFO, f"added {a.ref.kind} {additions.show(a.ref)} for "
                           f"{target.what} {additions.show(target.resource.ref)}",
                           hardening=item.id, resource=a.ref, field="metadata.name",
                           proposed=a.ref.name) for a in new]


def _refusal(item: Hardening, target: Target, run: RunState,
             changes: list[tuple[str, Any, Any]] | None = None
             ) -> tuple[list[Result], list[Result]]:
    """Why ``item`` may not make ``changes`` (or add its objects) to ``target``: an opt-out
    annotation or a guard's evidence (empty when nothing forbids it); and the kinds of
    evidence the guards could not see (``evidence-unseen``, once per kind and render after
    ``apply_all``), some of which keep the change back on the safe side."""
    reasons = target.resource.skip_reasons()
    if item.id in reasons:
        why = reasons[item.id] or "no reason given"
        return [_result(Severity.INFO, f"skipped for {target.what} by annotation "
                        f"{SKIP_ANNOTATION}: {why}", item, target)], []
    found = [(guard, GUARDS[guard].check(target, run.stream)) for guard in item.guards]
    notes: list[Result] = []
    if not any(said for _, said in found):
        unseen = _unseen_kinds(item, target, run.stream)
        notes = [_unseen_result(item, guard, what, run) for guard, what in unseen]
        found = [(guard, [f"no {what} in the stream or the evidence to show {what.means} "
                          "(kept on the safe side: see the evidence-unseen warning)"])
                 for guard, what in unseen if what.keeps]
    evidence = [e for _, said in found for e in said]
    if not evidence:
        return [], notes
    first = next(guard for guard, said in found if said)  # SARIF's rule for the result
    return [_result(run.refusal, _kept(item, target, changes or [], evidence, run.strict), item,
                    target)._replace(guard=first)], notes


def _unseen_kinds(item: Hardening, target: Target,
                  index: StreamIndex) -> list[tuple[str, Unseen]]:
    """(guard, kind) for every kind of evidence a guard of ``item`` reads and cannot see."""
    return [(guard, what) for guard in item.guards if guard in COMPLETE
            for what in COMPLETE[guard].unseen(target, index)]


def _unseen_result(item: Hardening, guard: str, what: Unseen, run: RunState) -> Result:
    """One kind of evidence not seen: a warning (an error under ``--strict``) with no
    resource, so that it is said once per kind and render (``_once``)."""
    side = (f"{item.id} is kept back where it could matter" if what.keeps
            else f"{item.id} is applied as if there were none")
    return Result(run.refusal, f"no {what} in the stream or the evidence, so {what.means} "
                  f"cannot be seen; {side}; {HOW_TO_SEE}", hardening=item.id, tag=UNSEEN,
                  guard=guard)


def _once(results: list[Result]) -> list[Result]:
    """``results`` with each ``evidence-unseen`` statement kept at its first place only."""
    said: set[tuple[str | None, str]] = set()
    out = []
    for r in results:
        if r.tag == UNSEEN:
            if (r.guard, r.message) in said:
                continue
            said.add((r.guard, r.message))
        out.append(r)
    return out


def _apply_one(item: Hardening, target: Target, run: RunState) -> tuple[bool, list[Result]]:
    """Patch one target if it needs it and nothing forbids it; say what happened."""
    before = yamlio.to_plain(target.node)
    tried = yamlio.to_plain(target.node)
    try:
        report = trial.trial(item, target,
                             lambda: patch(item, tried, target.type_name, target.path))
    except PatchError as exc:  # the object's own shape (e.g. a map in capabilities.add)
        raise PatchError(f"{target.resource.document.where}: {exc}") from None
    changes = list(diff(before, yamlio.to_plain(tried), ""))
    notes = [_result(Severity.WARNING, f"{target.what}: {where} not found, so nothing was "
                     "patched there (createMissing: true creates it)", item, target, where)
             for where in report.missing]
    if not changes:
        return False, notes + _already_broken(item, target, run) \
            + _in_effect(item, target, run.stream)
    refused, unseen = _refusal(item, target, run, changes)
    notes += unseen
    if refused:
        return False, notes + refused
    patched, copied = _patch_alone(item, target, run, changes)
    if patched is None:
        return False, notes + copied
    target, notes = patched, notes + copied
    notes += _in_effect(item, target, run.stream)
    document = target.resource.document
    if not document.round_trip:  # the writer may need the same change on a round-trip tree
        document.replay.append(functools.partial(_patch_at, item, target.path, target.type_name))
    run.stream.touched(target.resource)  # guards may have cached data derived from it
    _assert_stable(item, target)
    spelled = _spellings(report.respelled)
    return True, notes + [
        _result(Severity.INFO,
                f"{target.what}: {_describe(path, old, new)}{spelled.get(field, '')}",
                item, target, field, old, new)
        for path, old, new in changes
        for field in [child_path(target.path, path) if path else target.path]]


def _patch_alone(item: Hardening, target: Target, run: RunState,
                 changes: list[tuple[str, Any, Any]]) -> tuple[Target | None, list[Result]]:
    """Patch ``target``, first giving it its own copy of the YAML nodes it shares (anchors,
    aliases, merge keys), so that the change lands on it alone; returns the target as patched
    and a result per copy, or None and a refusal when the object is an alias of another."""
    document = target.resource.document
    if document.pristine is None:
        document.pristine = copy.deepcopy(document.tree)  # 8× cheaper than parsing it again
    if not (document.round_trip and aliases.may_share(document.text)):
        patch(item, target.node, target.type_name, target.path)
        return target, []
    try:
        own, copies = aliases.own_copy(document.tree, target.path, target.resource.path)
    except aliases.SharedResource as exc:
        return None, [_result(run.refusal,
                              f"kept for {target.what}: the object is the same YAML node as "
                              f"{exc} (an alias), so it cannot change alone ("
                              + ", ".join(_unchanged(path, old, new) for path, old, new in changes)
                              + ")", item, target)]
    target = target._replace(node=own)
    run.stream.refresh(target.resource)
    outside = aliases.outside(document.tree, target.path)
    patch(item, target.node, target.type_name, target.path)
    if aliases.outside(document.tree, target.path) != outside:
        raise InvariantError(f"{document.where}: {item.id} changed more than {target.path}")
    return target, _own_copy_notes(item, target, copies)


def _own_copy_notes(item: Hardening, target: Target,
                    copies: list[tuple[str, list[str]]]) -> list[Result]:
    return [_result(Severity.INFO, f"{target.what}: {where} written as its own copy of the YAML "
                    f"node it shared with {', '.join(others)} (anchor, alias or merge key), so "
                    "the change lands only here", item, target, where)
            for where, others in copies]


def _spellings(respelled: list[tuple[str, str, str]]) -> dict[str, str]:
    """field → what to add to its change message for capabilities removed in another
    spelling, e.g. ' (removed "net_bind_service": runtimes read it as NET_BIND_SERVICE)'."""
    found: dict[str, list[str]] = {}
    for field, spelling, name in respelled:
        found.setdefault(field, []).append(f'"{spelling}": runtimes read it as {name}')
    return {field: f" (removed {'; '.join(notes)})" for field, notes in found.items()}


def _already_broken(item: Hardening, target: Target, run: RunState) -> list[Result]:
    """A target already in the hardened state while a guard's evidence says that state breaks
    the gateway (a guard's ``broken``): the install is broken now, whatever we do."""
    found = [(guard, COMPLETE[guard].broken(target, run.stream)) for guard in item.guards
             if guard in COMPLETE]
    evidence = [e for _, said in found for e in said]
    if not evidence:  # not broken as far as can be seen: say what cannot be
        return [_unseen_result(item, guard, what, run)
                for guard, what in _unseen_kinds(item, target, run.stream)]
    first = next(guard for guard, said in found if said)
    message = (f"{target.what} is already hardened this way, and that breaks the gateway now: "
               + "; ".join(evidence))
    return [_result(run.refusal, message, item, target)._replace(tag=BROKEN, guard=first)]


def _in_effect(item: Hardening, target: Target, index: StreamIndex) -> list[Result]:
    """What a target in the hardened state still has another way (a guard's ``in_effect``,
    e.g. NET_BIND_SERVICE from a root container's default set): never reported as hardened,
    and ``--check`` fails on it."""
    return [_result(Severity.WARNING, f"{target.what}: not hardened: {why}", item,
                    target)._replace(tag=IN_EFFECT, guard=guard)
            for guard in item.guards if (judge := getattr(GUARDS[guard], "in_effect", None))
            for why in judge(target, index)]


def _kept(item: Hardening, target: Target, changes: list[tuple[str, Any, Any]],
          evidence: list[str], strict: bool) -> str:
    """Why a guard kept ``changes`` from being made: the evidence, what stays as it is, and
    how to accept that (under ``--strict``: that the run is refused)."""
    kept = ", ".join(_unchanged(path, old, new) for path, old, new in changes)
    kept = f" ({kept})" if kept else ""  # an addition kept back changes no field
    accept = (f'annotate the object {SKIP_ANNOTATION}: "{item.id}=<reason>" or disable the '
              f"hardening (--disable {item.id})")
    then = (f"refused (--strict): fix that, or accept it: {accept}" if strict
            else f"to accept this, {accept}")
    return f"kept for {target.what}: " + "; ".join(evidence) + f"{kept}; {then}"


def _unchanged(path: str, old: Any, new: Any) -> str:
    if old is None:
        return f"{path} stays unset, not {show_value(new)}"
    if new is None:
        return f"{path} stays {show_value(old)}, not removed"
    return f"{path} stays {show_value(old)}, not {show_value(new)}"


def _patch_at(item: Hardening, path: str, type_name: str | None, tree: Any) -> None:
    """``patch`` the object at ``path`` of a whole document's ``tree``."""
    patch(item, _walk(tree, path), type_name, path)


def _walk(tree: Any, path: str) -> Any:
    for key in re.findall(r"[^.\[\]]+", path):
        tree = tree[int(key)] if isinstance(tree, list) else tree[key]
    return tree


def _result(severity: Severity, message: str, item: Hardening, target: Target,
            path: str | None = None, old: Any = None, new: Any = None) -> Result:
    resource = target.resource
    document = resource.document
    return Result(severity, message, hardening=item.id, resource=resource.ref,
                  field=path if path is not None else target.path or None,
                  file=document.source, document=None if document.added else document.index,
                  current=old, proposed=new, line=None if document.added else document.first_line)


def _assert_stable(item: Hardening, target: Target) -> None:
    """A second application must change nothing (black's ``assert_stable``)."""
    again = yamlio.to_plain(target.node)
    patch(item, again, target.type_name, target.path)
    if again != yamlio.to_plain(target.node):
        raise InvariantError(f"{target.resource.ref} {target.path}: hardening \"{item.id}\" "
                             "is not idempotent")


def _describe(path: str, old: Any, new: Any) -> str:
    if old is None:
        return f"set {path}: {show_value(new)}"
    if new is None:
        return f"removed {path} (was {show_value(old)})"
    return f"{path}: {show_value(old)} → {show_value(new)}"
