"""``emit flux``: the ``postRenderers`` list of a Flux ``HelmRelease.spec``.

Flux's helm-controller runs no executable; its post-renderers take kustomize patches only
(``helm.toolkit.fluxcd.io/v2`` ``spec.postRenderers[].kustomize.patches[]`` = ``{patch:
<string>, target: <selector>}``; ``../shared/notes/reach.md`` §a). So the form is::

    postRenderers:
    - kustomize:
        patches:
        - target: {group, version, kind, name, namespace}
          patch: |
            <one strategic-merge or JSON 6902 document>

one patch per target (some Flux releases' kustomize refuses multi-document patches), the
same patches as ``emit kustomize`` (``patches.py``). A post-renderer patch cannot create an
object, so objects gloo-harden adds (the kgateway 2.0/2.1 class-level GatewayParameters and
GatewayClass) are named as not expressible: apply them beside the HelmRelease (``emit
kustomize`` writes them as resources). Hooks never reach a post-renderer (helm/helm#7891).
"""

from __future__ import annotations

from gloo_harden.outputs.emit import patches
from gloo_harden.outputs.emit.artefact import Artefact, Unexpressed, block, to_yaml
from gloo_harden.outputs.emit.decisions import Decisions
from gloo_harden.outputs.emit.kustomize import ambiguous, patch_of

NAME = "flux"
SUMMARY = "the postRenderers list of a Flux HelmRelease.spec (stdout, or -o FILE)"
DIRECTORY = False
DEFAULT_FILE = "postrenderers.yaml"


def emit(decisions: Decisions) -> Artefact:
    entries = []
    unexpressed = []
    for change in decisions.changes:
        if change.ambiguous:
            unexpressed.append(ambiguous(change))
            continue
        body, _ = patch_of(change)
        entries.append({"target": patches.target(change.after), "patch": block(to_yaml(body))})
    for addition in decisions.additions:
        unexpressed.append(Unexpressed(
            addition.hardening, addition.ref,
            "a Flux post-renderer patch cannot create an object; apply it beside the "
            "HelmRelease (gloo-harden emit kustomize writes it as a resource)"))
    text = decisions.provenance.comment(NAME)
    text += ("# Paste under the HelmRelease's spec (postRenderers run in order: keep this one "
             "last).\n")
    text += to_yaml({"postRenderers": [{"kustomize": {"patches": entries}}]}) if entries \
        else "postRenderers: []\n"
    return Artefact(((DEFAULT_FILE, text),), tuple(unexpressed))
