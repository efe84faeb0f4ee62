"""The pure core: split → parse → index → harden (scope · guard · patch) → check → write.

No I/O here: adapters hand in text and options and get back text and results.
"""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from gloo_harden.errors import InputError
from gloo_harden.gloo import additions, embedded, release_detection
from gloo_harden.gloo.evidence import NO_EVIDENCE, Evidence, collected_resource
from gloo_harden.gloo.index import PROXY_ROLES, StreamIndex, proxy_accounts
from gloo_harden.patching.hardening import Hardening
from gloo_harden.resources.model import Resource, list_items
from gloo_harden.resources.podspec import POD_SPEC_PATHS
from gloo_harden.resources.results import Result, Severity, said_once
from gloo_harden.run import invariants
from gloo_harden.run.apply import RunState, apply_all
from gloo_harden.scopes import SCOPES, ScopeOptions
from gloo_harden.yamltext import fidelity, limits, stream, yamlio
from gloo_harden.yamltext.limits import Limits
from gloo_harden.yamltext.stream import Document

#: Kinds the guards, the index, release detection and the Gateway API review read, whatever
#: runs; the enabled hardenings' scopes add theirs (``Reading``). Every other document is
#: copied through as bytes, unparsed.
INDEXED_KINDS = frozenset(POD_SPEC_PATHS) | {
    "ServiceAccount", "Service", "Settings", "GatewayParameters", "Namespace",
    "Gateway", "MatchableHttpGateway", "MatchableTcpGateway", "GatewayClass", "HTTPRoute",
    "VirtualService", "RouteTable", "UpstreamGroup", "List", "ListenerSet", "XListenerSet",
    "ListenerOption", "HTTPListenerPolicy", "ListenerPolicy",
}


class Reading(NamedTuple):
    """Which documents a run parses, derived from the enabled hardenings' scopes (``READS``).

    ``kinds`` None: every document (a user patch's ``target`` may select any kind).
    Workloads: Gloo proxies always; every workload when a scope reads every workload; else
    those whose text holds one of ``markers``.
    """

    kinds: frozenset[str] | None = INDEXED_KINDS
    every_workload: bool = False
    markers: tuple[str, ...] = ()


def reading(hardenings: Iterable[Hardening]) -> Reading:
    """What ``hardenings`` read: the union of their scopes' ``READS``."""
    chosen = list(hardenings)
    if any(h.target is not None for h in chosen):
        return Reading(None, True)
    reads = [SCOPES[scope].READS for h in chosen for scope in h.scopes]
    return Reading(INDEXED_KINDS.union(*(r.kinds for r in reads)),
                   any(r.every_workload for r in reads),
                   tuple(sorted({m for r in reads for m in r.markers})))


class Options(NamedTuple):
    """Everything a run can be told (the adapters build it from flags or functionConfig)."""

    hardenings: tuple[Hardening, ...]
    strict: bool = False
    scope: ScopeOptions = ScopeOptions()
    limits: Limits | None = None  # None: the active limits (limits.using), else these
    validate_all: bool = False  # parse every document, not only those a scope or guard reads
    patches: tuple[Hardening, ...] = ()  # profiles' and users' patches, after the built-ins
    fail_on_unmatched: bool = False  # a user patch that matches nothing is an error
    #: no object in the input is an error (also under ``strict``): a failed ``helm template``
    #: upstream hands on an empty stream, and an empty install makes Argo CD prune the app
    fail_on_empty: bool = False
    #: the release to assume when the stream shows none (``--assume-version``)
    assume_version: tuple[release_detection.Product, release_detection.Version] | None = None
    separate_renders: bool = False  # each input file is a render of its own (``harden_renders``)
    client: str | None = None  # who handed the stream over, when it matters (``clients``)
    #: objects read from outside the stream (``--evidence``): guards read, nothing writes them
    evidence: Evidence = NO_EVIDENCE


class Outcome(NamedTuple):
    """What a run produced: the hardened stream and every result."""

    pieces: list[stream.Piece]  # the stream, document by document (write them in order)
    results: list[Result]
    changed: list[int] = []  # positions of changed documents (never mutated)
    #: positions of added documents (``Document.added``): each belongs to the file of the
    #: input document before it, the last of its render (``outputs.diffs`` reads this)
    added: frozenset[int] = frozenset()

    @property
    def text(self) -> str:
        """The hardened stream as one text (a second copy of it: ``pieces`` is the stream)."""
        return stream.joined(self.pieces)

    @property
    def refused(self) -> bool:
        return any(r.severity is Severity.ERROR for r in self.results)


class Source(NamedTuple):
    """One input: a name for messages and its bytes."""

    name: str
    data: bytes


def read(sources: Iterable[Source]) -> list[Document]:
    """Decode and split every input into one list of documents.

    ``sources`` may be a generator: each input's bytes are then let go once it is split.
    """
    documents: list[Document] = []
    names: list[str] = []
    size = 0
    for source in sources:
        names.append(source.name)
        size += len(source.data)
        if size > limits.active().max_input_bytes:
            raise limits.too_large(", ".join(names))
        exact = stream.decode_exact(source.data, source.name)
        del source  # its bytes: else a big stream is held three times over while it is split
        text = stream.normalised(exact)
        documents += stream.split(text, names[-1], exact if exact is not text else None)
        del exact
        limits.check_documents(len(documents), names[-1])
    return documents


def read_evidence(sources: Iterable[Source], options: Options) -> Evidence:
    """The objects of ``sources`` (``--evidence``), every document parsed (any kind may be
    evidence), and the resources their files are named after (``evidence.collected_resource``).
    Read once per run, whatever the number of renders; never written."""
    sources = list(sources)
    with limits.using(options.limits or limits.active()):
        documents = read(sources)
        resources: list[Resource] = []
        for position, doc in enumerate(documents):
            if doc.is_blank:
                continue
            doc.tree = yamlio.load(doc.text, doc.where, doc.origin)
            if doc.tree is None:
                continue
            resources += _resources(doc, position, [])
    collected = {name for s in sources if (name := collected_resource(s.name))}
    return Evidence(tuple(resources), frozenset(collected))


def harden(sources: Iterable[Source], options: Options) -> Outcome:
    """Run the whole pipeline over ``sources`` (stream mode)."""
    with limits.using(options.limits or limits.active()):
        with yamlio.verifying():
            documents = read(sources)
            changed, results = harden_renders(documents, options)
            patched_by = _patched_by(documents, results, options)
            texts, to_write = {}, set(changed)
            for position, document in enumerate(documents):
                if position in to_write:
                    texts[position] = text_of(document)
                    invariants.check_written(document, texts[position],
                                             patched_by.get(position, []))
                # checked: only the texts are needed from here on (a big stream's trees
                # would otherwise be held, four copies each, while the output is built)
                document.tree, document.pristine, document.replay = None, None, []
        written = stream.pieces(documents, texts)
        invariants.check_pieces(documents, texts, written)
    added = frozenset(p for p, document in enumerate(documents) if document.added)
    return Outcome(written, results, changed, added)


def _patched_by(documents: list[Document], results: list[Result],
                options: Options) -> dict[int, list[str]]:
    """Positions changed by ``--patches``/profile patches, with their ids: renaming or deleting
    an object there is the user's doing (a clear error), not a bug of ours."""
    ids = {p.id for p in options.patches}
    where: dict[tuple[str | None, int | None], int] = {
        (d.source, d.index): position for position, d in enumerate(documents)}
    found: dict[int, list[str]] = {}
    for r in results:
        if r.hardening in ids and (r.file, r.document) in where:
            found.setdefault(where[(r.file, r.document)], []).append(r.hardening)
    return found


def harden_renders(documents: list[Document], options: Options,
                   render_of: Callable[[Document], str] | None = None,
                   ) -> tuple[list[int], list[Result]]:
    """``harden_documents`` over one render (the default), or over each render apart with
    ``options.separate_renders``: a guard then sees only the evidence of its own render.

    A render is named by ``render_of`` (default: the document's source file). One render per
    file is right for independent renders handed over together (a CI gate, a pre-commit
    hook); one for the whole stream is right for a render split into files (``helm template
    --output-dir``), where the Service in one file is the evidence for the proxy in another.
    Every result names a file: a result about the whole render gets the render's name (with
    one stream, the only input's, if there is one).
    """
    name = render_of or _source
    renders: dict[str, list[int]] = {}
    for position, document in enumerate(documents):
        renders.setdefault(name(document) if options.separate_renders else "", []).append(position)
    if not options.separate_renders:
        given = documents[:]  # the documents as they came (hardenings may add some)
        changed, results = harden_documents(documents, options)
        if all(r.file is not None for r in results):
            return changed, results  # nothing to name (a KRM item's name is read from its text)
        names = {name(d) for d in given}
        return changed, _named(results, names.pop() if len(names) == 1 else "")
    changed, results = [], []
    # each file's documents together, in stream order: a render's added objects follow it
    in_order = [p for positions in renders.values() for p in positions] == list(range(len(documents)))
    ordered: list[Document] = []
    for render, positions in renders.items() or [("", [])]:
        part = [documents[p] for p in positions]
        part_changed, part_results = harden_documents(part, options)
        for p in part_changed:
            if p >= len(positions):  # added by a hardening
                positions.append(len(documents) + len(ordered))
                ordered.append(part[p])
        changed += [positions[p] for p in part_changed]
        results += _named(part_results, render)
    if in_order:
        rebuilt = [d for positions in renders.values() for d in
                   [documents[p] if p < len(documents) else ordered[p - len(documents)]
                    for p in positions]]
        where = {id(d): i for i, d in enumerate(rebuilt)}
        flat = [documents[p] if p < len(documents) else ordered[p - len(documents)]
                for p in changed]
        documents[:] = rebuilt
        return sorted(where[id(d)] for d in flat), results
    documents += ordered  # renders interleaved (KRM items by path): added objects at the end
    return sorted(changed), results


def _source(document: Document) -> str:
    return document.source


def _named(results: list[Result], render: str) -> list[Result]:
    """``results``, each without a file given ``render`` (when there is a name to give)."""
    if not render:
        return results
    return [r if r.file is not None else r._replace(file=render) for r in results]


def harden_documents(documents: list[Document], options: Options) -> tuple[list[int], list[Result]]:
    """Parse what is needed, index, and harden the trees in place (any adapter).

    Documents may arrive already parsed (``tree`` set, as KRM items do); the rest are parsed
    here only when a scope or guard needs them. Returns the positions of changed documents,
    and of documents a hardening added at the end of ``documents`` (``Document.added``;
    ``text_of`` writes them).
    """
    with limits.using(options.limits or limits.active()):
        resources, results = parse(documents, options.validate_all,
                                   reading(options.hardenings + options.patches))
    results += [Result(Severity.WARNING, f"line {line}, column 1: a byte order mark (U+FEFF) "
                       "inside the stream, as where files were joined; read as YAML 1.2 allows "
                       "it before a document (libyaml, which kubectl and Helm use, skips it) "
                       "and kept as it is", file=doc.source, document=doc.index, line=line)
                for doc, line in stream.inner_byte_order_marks(documents)]
    if not resources and not any(d.tree is not None or d.sniff_kind() for d in documents):
        results.append(_empty(options.strict or options.fail_on_empty))
    found = release_detection.detect(documents, options.assume_version)
    results += generation_results(found, options.assume_version,
                                  any(h.needs_release for h in options.hardenings))
    index = StreamIndex(resources, frozenset(options.scope.istio_injected), found,
                        options.client, options.evidence)
    added: list[additions.Addition] = []

    def add(addition: additions.Addition) -> None:
        """Put an added object at the end of the stream and in the index."""
        last = documents[-1] if documents else None
        doc = Document(len(added), last.source if last else additions.SOURCE, "---\n",
                       addition.text)
        doc.added, doc.beside = True, addition.beside
        doc.tree, doc.round_trip = yamlio.load_for_reading(doc.text, doc.where)
        if last is not None and last.raw is not None and "\r\n" in last.raw[1]:
            doc.raw = ("---\r\n", doc.text.replace("\n", "\r\n"))  # the stream's line ends
        documents.append(doc)
        added.append(addition)
        index.add(Resource(doc, len(documents) - 1, doc.tree, ""))

    first = len(documents)
    changed, applied = apply_all(options.hardenings + options.patches,
                                 RunState(index, options.scope, options.strict,
                                          options.fail_on_unmatched, add))
    changed.update(range(first, len(documents)))
    if found.gateway_api:  # imported only for a stream with Gateway API kinds
        from gloo_harden.run import gateway_review

        applied += gateway_review.review(index, gateway_review.owners(options.hardenings),
                                         any(a.ref.kind == "GatewayClass" for a in added),
                                         options.strict)
    return sorted(changed), said_once(results + applied)


def text_of(document: Document) -> str:
    """The text of a changed document: an added one as it was added, unless a later hardening
    changed it too (a profile's, a user's patch)."""
    if document.added and document.pristine is None:
        return document.text
    return fidelity.write(document)


def _empty(refuse: bool) -> Result:
    if refuse:  # --strict or --fail-on-empty
        return Result(Severity.ERROR, "the input holds no Kubernetes objects; expected rendered "
                      "manifests (did the render upstream, e.g. helm template, fail?)")
    return Result(Severity.WARNING, "the input holds no Kubernetes objects")


def generation_results(found: release_detection.Generation,
                       assumed: tuple[release_detection.Product, release_detection.Version] | None,
                       depends: bool = False) -> list[Result]:
    """Say which release the version-dependent decisions (Gateway API generation) assume;
    ``depends``: a hardening that needs the release runs (its patch file says
    ``needsRelease: true``; not knowing the release is then a warning)."""
    out = []
    if assumed is not None and not found.assumed and found.version is not None \
            and (found.product, found.version) != assumed:
        out.append(Result(Severity.WARNING, f"--assume-version {assumed[0].value}-{assumed[1]} "
                          f"not used: the stream shows {found.describe()}"))
    if not found.gateway_api:
        return out
    if found.version is None:
        kgateway = found.product is release_detection.Product.KGATEWAY
        severity = Severity.WARNING if depends and kgateway else Severity.INFO
        out.append(Result(severity, f"Gateway API generation: {found.describe()}; "
                          "version-dependent hardenings are limited to what holds for every "
                          "version (give --assume-version, e.g. kgateway-2.1.2)"))
    else:
        out.append(Result(Severity.INFO, f"Gateway API generation: decisions assume "
                          f"{found.describe()}"))
    if found.conflicts:
        out.append(Result(Severity.WARNING, "the stream also shows " + ", ".join(found.conflicts)
                          + f"; decisions assume {found.describe()}"))
    return out


def parse(documents: list[Document], validate_all: bool = False,
          read: Reading | None = None) -> tuple[list[Resource], list[Result]]:
    """Parse the documents ``read`` needs (default: what the built-ins read); describe the
    rest as pass-through."""
    if read is None:
        from gloo_harden.run import hardenings

        read = reading(hardenings.builtin())
    resources: list[Resource] = []
    results: list[Result] = []
    workloads: list[int] = []  # positions of workloads left unread: not proxies
    for position, doc in enumerate(documents):
        if doc.tree is None:
            if doc.is_blank:
                continue
            if not _needed(doc, read):
                if validate_all:  # --validate-all: parse to find errors, still copy the bytes
                    _resources(Document(doc.index, doc.source, doc.separator, doc.text,
                                        yamlio.load(doc.text, doc.where, doc.origin)),
                               position, results)
                if doc.sniff_kind() in POD_SPEC_PATHS:
                    workloads.append(position)
                continue
            doc.tree, doc.round_trip = yamlio.load_for_reading(doc.text, doc.where, doc.origin)
        resources += _resources(doc, position, results)
    return _with_account_users(documents, workloads, resources, results), results


def _with_account_users(documents: list[Document], workloads: list[int],
                        resources: list[Resource], results: list[Result]) -> list[Resource]:
    """``resources`` and the unread workloads whose text names a proxy's ServiceAccount: a
    workload that shares it keeps the account's token (guard ``only-proxies-use-account``)."""
    accounts = proxy_accounts(resources) if workloads else set()
    found = [position for position in workloads
             if any(name in documents[position].text for name in accounts)]
    if not found:
        return resources
    for position in found:
        doc = documents[position]
        doc.tree, doc.round_trip = yamlio.load_for_reading(doc.text, doc.where)
        resources += _resources(doc, position, results)
    return sorted(resources, key=lambda r: r.position)  # stable: List items stay in order


def _needed(doc: Document, read: Reading) -> bool:
    kind = doc.sniff_kind()
    if kind is None or read.kinds is None:
        return True  # flow style, JSON, or not an object at all: parse to find out
    if kind == "ConfigMap":
        return embedded.CUSTOM_RESOURCE_CONFIGMAP in doc.text or kind in read.kinds
    if kind == "Job":  # a rollout script that may apply embedded Gateways
        return "<<" in doc.text or read.every_workload
    if kind in POD_SPEC_PATHS:
        return read.every_workload or _maybe_proxy(doc.text) \
            or any(marker in doc.text for marker in read.markers)
    if kind.endswith("List") and kind[:-len("List")] in read.kinds:
        return True  # a typed list (DeploymentList…) of a kind we read
    return kind in read.kinds


def _maybe_proxy(text: str) -> bool:
    """Could this workload be a Gloo proxy? Only a ``gloo: <role>`` label makes it one.

    Without a role's name anywhere in its text, and without an escape that could spell one,
    it is not, and a scope that reads proxies only reads no other workload (gloo, discovery,
    certgen… are a quarter to a half of the bytes a real render would otherwise parse). A
    scope that reads every workload (``Reads.every_workload``: ``gloo-pod``, ``gloo-container``)
    has them all parsed.
    """
    return "\\" in text or any(role in text for role in PROXY_ROLES)


def _resources(doc: Document, position: int, results: list[Result]) -> list[Resource]:
    tree = doc.tree
    if not isinstance(tree, dict):
        raise InputError(f"{doc.where}: the document is a {_shape(tree)}; "
                         "expected a mapping with apiVersion and kind")
    if not tree.get("apiVersion") or not tree.get("kind"):
        results.append(Result(Severity.WARNING, "a mapping without apiVersion/kind; passed "
                              "through untouched", file=doc.source, document=doc.index,
                              line=doc.first_line))
        return []
    listed = list_items(tree)
    if listed is not None:
        return [Resource(doc, position, item, f"items[{i}]", listed)
                for i, item in enumerate(tree["items"]) if isinstance(item, dict)]
    return [Resource(doc, position, tree, "")]


def _shape(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    return "scalar" if value is not None else "null"

