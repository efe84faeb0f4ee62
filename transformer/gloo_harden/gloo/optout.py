"""The opt-out annotation checked: ids that name no hardening, and opt-outs without a reason.

``gloo-harden.dev/skip: "<id>=<reason>[,<id>=<reason>…]"`` on a workload or its pod template
(``model.Resource.opt_outs``). A typo in an id silently keeps nothing back, so the hardening the
user wanted kept is applied: that is a warning listing the valid ids (an error under
``--strict``). An opt-out with no reason still applies, with a warning asking for one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from gloo_harden.resources.model import SKIP_ANNOTATION, OptOut, Resource
from gloo_harden.resources.results import Result, Severity


def problems(resources: Iterable[Resource], valid_ids: Callable[[], set[str]],
             unknown: Severity) -> list[Result]:
    """One result per unknown id (of severity ``unknown``: an error under ``--strict``) and
    per missing reason; ``valid_ids`` is called only when some resource carries the
    annotation (it may read the profiles)."""
    found: list[Result] = []
    known: set[str] | None = None
    for resource in resources:
        for opt_out in resource.opt_outs():
            known = valid_ids() if known is None else known
            if opt_out.hardening not in known:
                found.append(_result(
                    resource, opt_out, unknown,
                    f'{SKIP_ANNOTATION}: "{opt_out.hardening}" names no hardening, so nothing '
                    "is kept back for it; expected one of " + ", ".join(sorted(known))))
            elif not opt_out.reason:
                found.append(_result(
                    resource, opt_out, Severity.WARNING,
                    f'{SKIP_ANNOTATION}: "{opt_out.hardening}" is skipped without a reason; '
                    f'expected "{opt_out.hardening}=<reason>"'))
    return found


def _result(resource: Resource, opt_out: OptOut, severity: Severity, message: str) -> Result:
    return Result(severity, message, resource=resource.ref, field=opt_out.field,
                  file=resource.document.source, document=resource.document.index,
                  line=resource.document.first_line)
