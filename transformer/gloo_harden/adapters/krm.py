"""KRM function mode: a ResourceList on stdin, a ResourceList on stdout (kpt, kustomize exec).

Items are hardened in place; every other item, field and annotation the orchestrator owns
(``config.kubernetes.io/*``, ``internal.config.kubernetes.io/*``, ``config.k8s.io/id``,
``kustomize.config.k8s.io/id``) passes through as it came. Clients judge success by the exit
code alone, so any ``error`` result exits 1.

The shape kpt and kustomize send (``items`` a block sequence at column 0) is answered from the
items' text (``krmtext``): items no scope or guard reads are never parsed and come back
verbatim, comments included, and changed ones are re-written by the minimal-diff writer, so
comments stay on their own lines and kpt's copy of the input's comments (by the
``config.k8s.io/id`` annotations) lands on them, not beside them. As in stream mode, an item
nothing reads is not checked for YAML errors unless ``--validate-all`` is given (kpt and
kustomize only send what they parsed themselves). Any other shape (JSON, flow style…) is
parsed whole and re-dumped by ruamel; comments are then stripped on purpose: ruamel moves the
comment heading one item onto the end of the previous one, and kpt would write every
``# Source`` line twice. A JSON ResourceList is answered in JSON, in the input's style.
"""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

import re
import sys
from collections.abc import Callable
from typing import Any, NamedTuple

from gloo_harden.adapters import krmio, krmtext
from gloo_harden.adapters.evidence import with_evidence
from gloo_harden.adapters.krmio import ITEMS, write
from gloo_harden.errors import EXIT_REFUSED, EXIT_UNUSABLE, InputError, TransformerError
from gloo_harden.outputs import report
from gloo_harden.patterns import line_matches
from gloo_harden.resources.results import ResourceRef, Result, Severity
from gloo_harden.run import pipeline
from gloo_harden.run.options import ConfigProblems, Problem, Request, resolve
from gloo_harden.run.pipeline import Options
from gloo_harden.yamltext import fidelity, stream, yamlio
from gloo_harden.yamltext.stream import Document

API_VERSIONS = ("config.kubernetes.io/v1", "config.kubernetes.io/v1beta1")
PATH_KEYS = ("internal.config.kubernetes.io/path", "config.kubernetes.io/path")
INDEX_KEYS = ("internal.config.kubernetes.io/index", "config.kubernetes.io/index")
#: The annotation kustomize puts on every item it sends. kustomize ignores ``results`` and
#: shows stderr; kpt prints every result and then stderr, so there each would show twice.
KUSTOMIZE_ID = "kustomize.config.k8s.io/id"
_FILE_LINE = re.compile(r"^[ \t]+[\"']?((?:internal\.)?config\.kubernetes\.io/(?:path|index))"
                        r"[\"']?:[ \t]*(.+?)[ \t]*$", re.MULTILINE)
_PATH_LINE = re.compile(r"^[ \t]+[\"']?((?:internal\.)?config\.kubernetes\.io/path)[\"']?:"
                        r"[ \t]*(.+?)[ \t]*$", re.MULTILINE)
_ANNOTATION = "config.kubernetes.io/"  # in every line the two patterns above can match


def is_resource_list(data: bytes) -> bool:
    """True when ``data`` is one ResourceList document (checked without a full parse)."""
    try:
        text = stream.decode(data, "stdin")
    except InputError:
        return False
    # where the documents are, not copies of them: a big plain stream is not held twice more
    found = [(start, end) for start, end in stream.spans(text) if not stream.blank(text, start, end)]
    if len(found) != 1:
        return False
    document = Document(0, "stdin", "", text[found[0][0]:found[0][1]])
    if document.sniff_kind() is None and document.text.lstrip().startswith("{"):
        try:  # JSON is YAML too: a ResourceList on one line
            tree = yamlio.load(document.text, "stdin")
        except InputError:
            return False
        return isinstance(tree, dict) and tree.get("kind") == "ResourceList" \
            and tree.get("apiVersion") in API_VERSIONS
    return document.sniff_kind() == "ResourceList" and document.sniff_api_version() in API_VERSIONS


def main(data: bytes, request: Request) -> int:
    """Answer the ResourceList in ``data`` on stdout; logs on stderr; return the exit code."""
    text, results, code, changed, separate = answer(data, request)
    if KUSTOMIZE_ID.encode() in data:  # kustomize ignores results: say them on stderr too
        for line in report.text(results, quiet=True):
            print(line, file=sys.stderr)
    if separate and len({r.file for r in results if r.file}) > 1:  # as pipe mode says them
        for line in report.summaries_by_file(results):
            print(line, file=sys.stderr)
    print(report.summary(results, changed) + " (KRM function)", file=sys.stderr)
    sys.stdout.write(text)
    sys.stdout.flush()
    return code


class Answer(NamedTuple):
    """What ``answer`` returns: ``process``'s four and whether renders were separate."""

    text: str
    results: list[Result]
    code: int
    changed: int
    separate: bool = False


def process(data: bytes, request: Request) -> tuple[str, list[Result], int, int]:
    """The output ResourceList text, every result, the exit code and the changed items."""
    text, results, code, changed, _ = answer(data, request)
    return text, results, code, changed


def answer(data: bytes, request: Request) -> Answer:
    """The output ResourceList text, every result, the exit code, the changed items, and
    whether the functionConfig (or the flags) asked for separate renders.

    ``request`` (the flags) gives the defaults, the functionConfig overrides them. With
    ``check`` (a Kptfile validator: kpt ignores what validators write) the items come back as
    they were, and the exit code is 1 when anything would change.
    """
    text = stream.decode(data, "stdin")
    as_json = _json(text)  # JSON in, JSON out
    parts = krmtext.split(text) if as_json is None else None
    tree: Any = as_json if as_json is not None else _load(text) if parts is None else None
    config = (parts.header if parts is not None else tree).get("functionConfig")
    try:
        request, options = resolve(request, config)
        options = with_evidence(request, options)
    except TransformerError as exc:  # the items go back as they came, with the reasons
        problems = exc.problems if isinstance(exc, ConfigProblems) else [None]
        results = [_config_result(problem, config, str(exc)) for problem in problems]
        code = EXIT_REFUSED if isinstance(exc, ConfigProblems) else exc.exit_code
        written = (_joined(parts, {}, results) if parts is not None
                   else _json_answer(text, tree, results) if as_json is not None
                   else write(tree, results))
        return Answer(written, results, code, 0)
    separate = options.separate_renders
    if as_json is not None:
        return Answer(*_by_json(text, as_json, options, request.check), separate)
    if parts is not None:
        try:
            return Answer(*_by_text(parts, options, request.check), separate)
        except TransformerError:
            pass  # the whole-list path below answers exactly as it always has
    return Answer(*_by_tree(text, options, request.check, tree), separate)


def _by_text(parts: krmtext.Split, options: Options,
             check: bool) -> tuple[str, list[Result], int, int]:
    """The answer from the items' texts (kpt's and kustomize's shape): only what a scope or
    guard reads is parsed, only changed items are re-written, the rest is copied verbatim."""
    documents = [Document(i, ITEMS, "", text) for i, text in enumerate(parts.texts)]
    with yamlio.verifying():
        changed, results = _in_item_order(documents, options, _text_path)
        placed = _placement(documents, len(parts.texts), _text_file)
        texts = {} if check else {
            p: krmtext.indent(_annotated(pipeline.text_of(documents[p]), placed.get(p),
                                         documents[p].where)) for p in changed}
    results = _located(results, documents)
    code = report.exit_code(results, len(changed), check)
    if check and changed:
        results.append(_check_result(len(changed)))
    results = _ordered(results)
    return _joined(parts, texts, results), results, code, len(changed)


def _joined(parts: krmtext.Split, texts: dict[int, str], results: list[Result]) -> str:
    items = [texts.get(i, raw) for i, raw in enumerate(parts.raw)]
    items += [texts[p] for p in sorted(texts) if p >= len(parts.raw)]  # added objects
    return krmtext.join(_header_text(parts, results), items)


def _header_text(parts: krmtext.Split, results: list[Result]) -> str:
    """The header as it came with our results after it, when it has no comments and no
    results yet (what kpt and kustomize send); else parsed again and written by ruamel."""
    if "#" not in parts.head and "results" not in parts.header:
        written = krmio.results_text(results)
        if written is not None:
            return parts.head + ("" if parts.head.endswith("\n") else "\n") + written
    return write(yamlio.load(parts.head, "stdin"), results)


def _located(results: list[Result], documents: list[Document]) -> list[Result]:
    """Results about an item name the file it came from (read from its annotations)."""
    files: dict[int, tuple[str, int] | None] = {}
    for r in results:
        if r.file == ITEMS and r.document is not None and r.document not in files:
            doc = documents[r.document]
            files[r.document] = _file(doc.tree if doc.tree is not None
                                      else yamlio.load(doc.text, doc.where))
    return [r if r.file != ITEMS or r.document is None else _with_file(r, files[r.document])
            for r in results]


def _ordered(results: list[Result]) -> list[Result]:
    """Errors first, then warnings, then the rest, each in run order: kpt prints only the
    first few results of a function."""
    rank = {Severity.ERROR: 0, Severity.WARNING: 1}
    return sorted(results, key=lambda r: rank.get(r.severity, 2))


def _check_result(changed: int) -> Result:
    return Result(Severity.ERROR, f"--check: {changed} item{'s' * (changed != 1)} "
                  "would be hardened; run without --check to apply the changes")


def _by_tree(text: str, options: Options, check: bool,
             loaded: Any = None) -> tuple[str, list[Result], int, int]:
    """The answer from the whole list parsed (any other shape: JSON, flow style, anchors…);
    ``loaded`` is ``text`` already parsed, if it is."""
    resource_list = _load(text) if loaded is None else loaded
    try:
        changed, results = _harden(resource_list["items"], options)
    except TransformerError as exc:  # write the items back as they came, with the reason
        results = [Result(Severity.ERROR, str(exc))]
        return write(_load(text), results), results, exc.exit_code, 0
    code = report.exit_code(results, changed, check)
    if check and changed:
        resource_list = _load(text)
        results.append(_check_result(changed))
    results = _ordered(results)
    return write(resource_list, results), results, code, changed


def _json(text: str) -> Any:
    """The ResourceList in ``text`` as plain data when ``text`` is JSON, else None."""
    if not fidelity.looks_like_json(text):
        return None
    import json

    try:
        resource_list = json.loads(text)
    except ValueError:
        return None
    return _checked_items(resource_list)


def _by_json(text: str, resource_list: Any, options: Options,
             check: bool) -> tuple[str, list[Result], int, int]:
    """The answer to a JSON ResourceList (``resource_list`` is ``text`` read), in JSON."""
    try:
        changed, results = _harden(resource_list["items"], options)
        code = report.exit_code(results, changed, check)
    except TransformerError as exc:  # the items go back as they came, with the reason
        changed, results, code = 0, [Result(Severity.ERROR, str(exc))], exc.exit_code
    if check and changed:
        results.append(_check_result(changed))
    if check or code == EXIT_UNUSABLE:
        resource_list = _json(text)  # the items as they came
    return _json_answer(text, resource_list, results), results, code, changed


def _json_answer(text: str, resource_list: Any, results: list[Result]) -> str:
    """``resource_list`` with our results after any earlier ones, written as JSON in the
    style of ``text`` (``fidelity.write_json``): only the lines of the change differ."""
    previous = resource_list.get("results")
    resource_list["results"] = (previous if isinstance(previous, list) else []) + [
        yamlio.to_plain(krmio.result_map(r)) for r in _ordered(results)]
    written = fidelity.write_json(text, resource_list)
    assert written is not None  # text is JSON: _json read it
    return written


def _checked_items(resource_list: Any) -> Any:
    """``resource_list`` with ``items`` a list of mappings (an absent one made empty)."""
    if not isinstance(resource_list, dict):
        raise InputError("stdin: the ResourceList is not a mapping; expected a ResourceList")
    if resource_list.get("items") is None:
        resource_list["items"] = []
    if not isinstance(resource_list["items"], list):
        raise InputError("stdin: ResourceList.items is not a list; expected a list of objects")
    for i, item in enumerate(resource_list["items"]):
        if not isinstance(item, dict):
            raise InputError(f"stdin: ResourceList.items[{i}] is not a mapping; expected a "
                             "Kubernetes object")
    return resource_list


def _load(text: str) -> Any:
    return _checked_items(yamlio.load(text, "stdin"))


def _harden(items: list[Any], options: Options) -> tuple[int, list[Result]]:
    documents = [Document(i, ITEMS, "", "", tree=item) for i, item in enumerate(items)]
    files = [_file(item) for item in items]
    changed, results = _in_item_order(
        documents, options, lambda d: (files[d.index] or ("", 0))[0] if d.source == ITEMS else "")
    placed = _placement(documents, len(items), lambda d: _file(d.tree) or ("", 0))
    items += [yamlio.load(_annotated(pipeline.text_of(d), placed.get(len(items) + i), d.where),
                          d.where) for i, d in enumerate(documents[len(items):])]  # added
    return len(changed), [r if r.file != ITEMS or r.document is None
                          else _with_file(r, files[r.document]) for r in results]


def _in_item_order(documents: list[Document], options: Options,
                   render_of: Callable[[Document], str]) -> tuple[list[int], list[Result]]:
    """``pipeline.harden_renders`` with the items kept in their places and added objects after
    them all: separate renders in stream order come back each followed by its additions,
    which would move every later item's position (and its answer onto another item)."""
    items = list(documents)
    changed, results = pipeline.harden_renders(documents, options, render_of)
    now = list(documents)
    documents[:] = items + [d for d in now if d.added]
    position = {id(d): i for i, d in enumerate(documents)}
    return sorted(position[id(now[p])] for p in changed), results


def _placement(documents: list[Document], inputs: int,
               file_of: Callable[[Document], tuple[str, int]]) -> dict[int, dict[str, str]]:
    """The path and index annotations of each added object (positions from ``inputs`` on),
    keyed by position: the file of the item it was added for, after that file's last item.

    Without them kpt writes an added object to a file named after it
    (``gatewayclass_kgateway.yaml``), and two renders' additions of the same cluster-scoped
    object collide there ("already exists"): each render's additions belong to its own file,
    as in pipe mode (``outputs.diffs``). The keys are those the item itself carries."""
    if len(documents) == inputs:  # nothing added: no item's annotations need reading
        return {}
    last: dict[str, int] = {}
    for document in documents[:inputs]:
        path, index = file_of(document)
        if path:
            last[path] = max(last.get(path, -1), index)
    placed: dict[int, dict[str, str]] = {}
    for position in range(inputs, len(documents)):
        beside = documents[position].beside
        path = file_of(beside)[0] if beside is not None else ""
        if beside is None or not path:
            continue
        last[path] += 1
        keys = _placement_keys(beside)
        placed[position] = {key: path if key in PATH_KEYS else str(last[path]) for key in keys}
    return placed


def _placement_keys(document: Document) -> list[str]:
    """Which of the path and index annotations ``document`` (an item) carries."""
    if document.tree is not None:
        annotations = _mapping_at(document.tree, "metadata", "annotations")
        return [key for key in PATH_KEYS + INDEX_KEYS if key in annotations]
    found = {match[0] for match in _annotation_lines(_FILE_LINE, document.text)}
    return [key for key in PATH_KEYS + INDEX_KEYS if key in found]


def _mapping_at(tree: Any, *keys: str) -> dict[str, Any]:
    """``tree[keys[0]][keys[1]]…`` when each is a mapping, else an empty one."""
    for key in keys:
        tree = tree.get(key) if isinstance(tree, dict) else None
    return tree if isinstance(tree, dict) else {}


def _annotated(text: str, annotations: dict[str, str] | None, where: str) -> str:
    """An added object's ``text`` with ``annotations`` (its file and index) set."""
    if not annotations:
        return text
    tree = yamlio.load(text, where)
    meta = tree.setdefault("metadata", {})
    if not isinstance(meta.get("annotations"), dict):
        meta["annotations"] = {}
    meta["annotations"].update(annotations)
    return yamlio.dump(tree)


def _text_file(document: Document) -> tuple[str, int]:
    """The file and index an item's text says it came from, found without parsing it."""
    path = _text_path(document)
    found = dict(_annotation_lines(_FILE_LINE, document.text))
    index = next((found[k].strip("'\"") for k in INDEX_KEYS if k in found), "0")
    return path, int(index) if index.isdigit() else 0


def _text_path(document: Document) -> str:
    """The file an item's text says it came from (its path annotation), found without parsing
    it: a render per file must not cost a parse of every item."""
    found = dict(_annotation_lines(_PATH_LINE, document.text))
    if not found and "config.kubernetes.io/path" in document.text:  # flow style: parse it
        file = _file(yamlio.load(document.text, document.where))
        return file[0] if file else ""
    path = next((found[k] for k in PATH_KEYS if k in found), "")
    return path.strip().strip("'\"")


def _annotation_lines(pattern: re.Pattern[str], text: str) -> list[tuple[str, str]]:
    """``pattern.findall(text)`` for ``_FILE_LINE`` or ``_PATH_LINE``, tried only on the lines
    that name a ``config.kubernetes.io/`` annotation: a regex tried at every line start of
    every item (CRDs of 70 KB among them) took 44% of a 60-item KRM run's instructions."""
    return [(match.group(1), match.group(2)) for match in line_matches(pattern, text, _ANNOTATION)]


def _file(item: Any) -> tuple[str, int] | None:
    annotations = (item.get("metadata") or {}).get("annotations") or {}
    path = next((annotations[k] for k in PATH_KEYS if k in annotations), None)
    index = next((annotations[k] for k in INDEX_KEYS if k in annotations), 0)
    if path is None:
        return None
    return str(path), int(index) if str(index).isdigit() else 0


def _with_file(result: Result, file: tuple[str, int] | None) -> Result:
    return result._replace(file=file[0] if file else None, document=file[1] if file else None,
                           line=None)  # a line of the items' text is no line of that file


def _config_result(problem: Problem | None, config: Any, message: str) -> Result:
    """A result about the functionConfig: one of its problems, or ``message`` (a patch file
    it names cannot be used, an id or profile on the command line is unknown)."""
    ref = None
    if isinstance(config, dict):
        meta = config.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        ref = ResourceRef(str(config.get("apiVersion", "")), str(config.get("kind", "")),
                          meta.get("namespace"), meta.get("name"))
    if problem is None:
        return Result(Severity.ERROR, message, resource=ref)
    return Result(Severity.ERROR, problem.message, resource=ref, field=problem.field)
