"""Emit what gloo-harden decided in the forms of pipelines that cannot run it.

``gloo-harden emit KIND FILE… [-o PATH]`` reads, guards and hardens exactly as a normal run
(same options, same results on stderr, same exit codes) and then, instead of the hardened
stream, writes the *decisions* in one form: a kustomize Component, Flux post-renderer
patches, a Helm values overlay … (``../shared/notes/reach.md``). The layers:

- ``decide(sources, options)`` runs the pipeline and builds the decision record
  (``decisions.Decisions``: each changed object before and after, with the hardenings that
  changed it; the objects added; what guards kept back; every result; the ``stamp``);
- a *form* is a module with ``NAME``, ``SUMMARY``, ``DIRECTORY`` (writes a folder, or one
  file), ``DEFAULT_FILE`` and ``emit(decisions) -> artefact.Artefact``: a pure function of the
  record. What the form cannot carry goes into ``Artefact.unexpressed`` (hardening id,
  resource, why), which the command prints as one warning line each — never dropped;
- the command (``adapters.emit``, reached from ``cli``) writes the artefact, or with
  ``--check`` compares it to the one at ``-o PATH`` (the stamp's input hash says whether the
  render changed under it).

How to add a form
-----------------
1. Write ``outputs/emit/<name>.py`` with the four names above. Build only from the record: patches
   from ``Change.before``/``after`` (``patches.strategic``/``json6902``), values from the
   edits (``Decisions.edits_of``), and never turn on what ``Decisions.kept`` holds back.
   Start every file with ``decisions.provenance.comment(NAME)`` (and, on objects you write,
   ``provenance.annotations()``) so ``emit --check`` can read the stamp.
2. Add its name and module to ``FORMS`` below (the command's ``KIND`` choices follow).
3. Test it as the others are: unit tests of ``emit`` on a small record
   (``tests/outputs/emit/test_<name>.py``), an equivalence proof with the real client on every corpus
   render, and an example under ``examples/emit-<name>/`` run by the suite. Document it in the
   README's "Emit" section and the CHANGELOG.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gloo_harden.outputs.emit.decisions import Decisions
    from gloo_harden.run.pipeline import Options, Source

#: every form: the name ``emit`` takes (the order of ``--help``) → its module, imported only
#: when it runs (``--help`` needs none of them)
FORMS: dict[str, str] = {"kustomize": "gloo_harden.outputs.emit.kustomize",
                         "flux": "gloo_harden.outputs.emit.flux",
                         "values": "gloo_harden.outputs.emit.values",
                         "policy": "gloo_harden.outputs.emit.policy"}


def form(name: str) -> ModuleType:
    """The module of the form ``name`` (a key of ``FORMS``)."""
    return importlib.import_module(FORMS[name])


def decide(sources: list[Source], options: Options) -> Decisions:
    """Run gloo-harden over ``sources`` with ``options`` and record what it decided."""
    from gloo_harden import __version__
    from gloo_harden.gloo import release_detection as generation
    from gloo_harden.outputs.emit import decisions, stamp
    from gloo_harden.run import pipeline
    from gloo_harden.yamltext import limits

    outcome = pipeline.harden(sources, options)
    with limits.using(options.limits or limits.active()):
        documents = pipeline.read(sources)
        objects = list(decisions.objects_of(documents))
    found = generation.detect(documents, options.assume_version)
    release = stamp.release_of(found.product.value if found.product else None,
                               str(found.version) if found.version else None)
    provenance = stamp.Provenance(__version__, release, stamp.input_hash(objects))
    enabled = tuple(h.id for h in options.hardenings + options.patches)
    return decisions.record(objects, outcome, provenance, enabled)
