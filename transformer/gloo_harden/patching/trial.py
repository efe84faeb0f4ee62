"""What only user and profile patches need: errors naming their file, unmatched patches, and
patches that undo a built-in hardening.

A user patch that undoes a built-in is found after the run: each built-in is tried once more on
its targets, and any field it would change again (or would want to change but a guard keeps)
that a user patch changed is reported as a warning naming both, e.g. a patch that sets
``readOnlyRootFilesystem: false`` or adds ``NET_BIND_SERVICE`` back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from gloo_harden.errors import PatchError
from gloo_harden.gloo.index import StreamIndex
from gloo_harden.patching.body import diff, patch
from gloo_harden.patching.hardening import USER, Hardening
from gloo_harden.resources.model import child_path
from gloo_harden.resources.results import Result, Severity, show_value
from gloo_harden.scopes import SCOPES, ScopeOptions, Target
from gloo_harden.yamltext import yamlio

T = TypeVar("T")


def trial(item: Hardening, target: Target, run: Callable[[], T]) -> T:
    """Run a trial application; a user patch that cannot apply names its file and the target."""
    try:
        return run()
    except PatchError as exc:
        if item.is_builtin:
            raise
        raise PatchError(f"{item.source}: {exc} (in {target.resource.kind} "
                         f"{target.resource.namespace or '-'}/{target.resource.name})") from None


def unmatched(item: Hardening, fail: bool) -> Result:
    """A user or profile patch that selected nothing: a warning, or an error if asked."""
    what = item.target.describe() if item.target is not None else "scope " + ", ".join(item.scopes)
    quiet = Severity.WARNING if item.origin == USER else Severity.INFO  # a profile may not fit
    severity = Severity.ERROR if fail else quiet
    return Result(severity, f"{item.source}: the patch matched nothing ({what})",
                  hardening=item.id, file=item.source)


def conflicts(index: StreamIndex, hardenings: tuple[Hardening, ...], options: ScopeOptions,
              results: list[Result]) -> list[Result]:
    """Warnings for fields a user/profile patch changed that a built-in would change back."""
    users = {h.id: h for h in hardenings if not h.is_builtin}
    touched: list[tuple[str, str | None, Hardening]] = [
        (str(r.resource), r.field, users[r.hardening]) for r in results
        if r.severity is Severity.INFO and r.field and r.hardening in users
        and r.current != r.proposed]
    if not touched:
        return []
    found: list[Result] = []
    for item in (h for h in hardenings if h.is_builtin):
        for scope_id in item.scopes:
            for target in SCOPES[scope_id].targets(index, options):
                if item.id not in target.resource.skip_reasons():
                    found += _undone(item, target, touched)
    return found


def _undone(item: Hardening, target: Target,
            touched: list[tuple[str, str | None, Hardening]]) -> list[Result]:
    before = yamlio.to_plain(target.node)
    again = yamlio.to_plain(target.node)
    patch(item, again, target.type_name, target.path)
    out = []
    ref = str(target.resource.ref)
    for path, old, new in diff(before, yamlio.to_plain(again), ""):
        where = child_path(target.path, path) if path else target.path
        for resource, field, user in touched:
            if resource == ref and field and _overlap(field, where):
                out.append(Result(
                    Severity.WARNING,
                    f"{user.id} ({user.source}) undoes built-in hardening {item.id} on "
                    f"{target.what}: {where} is {show_value(old)}, "
                    f"{item.id} wants {show_value(new)}",
                    hardening=user.id, resource=target.resource.ref, field=where,
                    file=target.resource.document.source,
                    document=target.resource.document.index,
                    line=target.resource.document.first_line))
                break
    return out


def _overlap(a: str, b: str) -> bool:
    return a == b or any(x.startswith(y) and x[len(y)] in ".[" for x, y in ((a, b), (b, a))
                         if len(x) > len(y))
