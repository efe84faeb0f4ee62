"""Promises every run checks on its own output before anything is written (black's safety nets).

1. The output splits into the same documents, in the same order, as the input; every
   document no hardening changed is byte for byte what was read, line endings, byte order
   marks and glued separators included (a line break may be added
   after a document that ended without one, and a ``---`` before a file's first document
   when files are joined, so the next document cannot run into it).
2. Every changed document re-parses, to exactly the hardened tree.
3. Every changed document still names the same objects: apiVersion, kind, namespace and name
   (each item of a ``kind: List``, in order). No built-in hardening removes or renames an
   object, so one that did would be a bug; a user's or profile's patch (``--patches``,
   ``--profile``) that does is refused as that patch's error (exit 2), naming it.

The fourth promise, idempotence, is asserted per target in ``apply._assert_stable`` on every
run, and for whole streams (second run == first run) by the property tests: running the
pipeline twice on every run would double its cost.

``check_written`` keeps 2 and 3 for each changed document as soon as it is written;
``check_pieces`` keeps 1 for the output, which is written document by document.
A broken promise raises ``InvariantError`` (exit 3, asking for a bug report): never output.
The cost is one regex pass over each document's window; the two parses per *changed*
document are the writer's own, shared through ``yamlio.verifying()``.
"""

from __future__ import annotations

from typing import Any

from gloo_harden.errors import InputError, InvariantError, PatchError
from gloo_harden.resources.model import list_items
from gloo_harden.yamltext import stream, yamlio
from gloo_harden.yamltext.stream import Document

Identity = tuple[str, str, str, str]


def check_pieces(documents: list[Document], texts: dict[int, str],
                 pieces: list[stream.Piece]) -> None:
    """Promise 1 for an output written piece by piece, never joined (a big stream is then held
    once). Each document's window (its separator, its text and the line end written after it)
    is split on its own: that is the split of the whole output when every window but the last
    ends a line and every one but the first starts with a separator, both checked here."""
    if len(pieces) != len(documents):
        raise InvariantError(f"the output has {len(pieces)} documents where the input has "
                             f"{len(documents)}")
    for position, (doc, (_, separator, body)) in enumerate(zip(documents, pieces, strict=True)):
        after = pieces[position + 1][0] if position + 1 < len(pieces) else ""
        window = separator + body + after
        if doc.raw is not None:  # written in its own line endings: read back as the pipeline reads
            window = stream.normalised(window)
        found = stream.spans(window)
        last = position + 1 == len(pieces)
        if len(found) != 1 or (position > 0 and not separator) or \
                (not last and window and not window.endswith("\n")):
            raise InvariantError(f"{doc.where}: the document would not be read back as one "
                                 "document where it was written")
        (start, end), original = found[0], texts.get(position, doc.text)
        if not (end - start in (len(original), len(original) + 1)
                and window.startswith(original, start)
                and window[start + len(original):end] in ("", "\n")):
            raise InvariantError(f"{doc.where}: the document was written differently "
                                 "from how it was hardened")


def check_written(doc: Document, text: str, patches: list[str]) -> None:
    """Promises 2 and 3 for one changed document, as soon as it is written."""
    reparsed = yamlio.to_plain(doc.tree)
    try:  # inside yamlio.verifying() the writer has parsed both texts already
        same = yamlio.parses_to(text, reparsed, doc.where)
        original = yamlio.load_plain(doc.text, doc.where) if doc.text.strip() else doc.tree
    except InputError as exc:
        raise InvariantError(f"the hardened document does not parse ({exc})") from None
    if not same:
        raise InvariantError(f"{doc.where}: the written document does not re-parse to the "
                             "hardened object")
    before, after = identities(original), identities(reparsed)
    if before != after and patches:
        names = ", ".join(f'"{p}"' for p in sorted(set(patches)))
        raise PatchError(f"{doc.where}: patch {names} turns {_show(before)} into {_show(after)}; "
                         "expected patches that keep apiVersion, kind, namespace and name "
                         "(gloo-harden never renames or deletes objects)")
    if before != after:
        raise InvariantError(f"{doc.where}: hardening changed which objects the document "
                             f"holds, from {_show(before)} to {_show(after)}")


def identities(tree: Any) -> list[Identity]:
    """apiVersion/kind/namespace/name of the object (or of each ``kind: List`` item)."""
    if not isinstance(tree, dict):
        return []
    if list_items(tree) is not None:
        return [i for item in tree["items"] for i in identities(item)]
    metadata = tree.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    return [(str(tree.get("apiVersion", "")), str(tree.get("kind", "")),
             str(metadata.get("namespace", "")), str(metadata.get("name", "")))]


def _show(objects: list[Identity]) -> str:
    return "[" + ", ".join("/".join(part for part in o if part) for o in objects) + "]"
