"""What every run must satisfy, whatever the input: the checks the fuzzers share.

``check(data)`` runs the whole stream pipeline on ``data`` and raises ``AssertionError`` (a bug)
when it crashes with anything but a ``TransformerError``, reports an invariant break, writes a
multi-line error, loses or adds a document, changes a document it did not harden, or changes
anything on a second run over its own output.
"""

from __future__ import annotations

from gloo_harden.errors import InvariantError, TransformerError
from gloo_harden.run import hardenings, pipeline
from gloo_harden.scopes import ScopeOptions
from gloo_harden.yamltext import stream

OPTIONS = pipeline.Options(hardenings.builtin())
SIDECARS = pipeline.Options(hardenings.builtin(), scope=ScopeOptions(sidecars=True))


def check(data: bytes, options: pipeline.Options = OPTIONS) -> pipeline.Outcome | None:
    """Run and verify; None when the input was refused (cleanly)."""
    source = pipeline.Source("fuzz.yaml", data)
    try:
        outcome = pipeline.harden([source], options)
    except InvariantError:
        raise
    except TransformerError as exc:
        message = str(exc)
        assert message and "\n" not in message, f"not one line: {message!r}"
        assert message.startswith(("fuzz.yaml", "stdin")), f"no location: {message!r}"
        return None
    documents = pipeline.read([source])
    written = pipeline.read([pipeline.Source("out", outcome.text.encode())])
    added = sum(1 for p in outcome.changed if p >= len(documents))  # a hardening's objects
    assert len(written) == len(documents) + added, "documents lost or added"
    for position, (before, after) in enumerate(zip(documents, written, strict=False)):
        if position not in outcome.changed:  # byte for byte: line ends, BOMs, glued separators
            assert _exact(after) in (_exact(before), _exact(before) + "\n"), \
                f"doc {position} touched"
    again = pipeline.harden([pipeline.Source("fuzz.yaml", outcome.text.encode())], options)
    assert again.changed == [], f"second run changed documents {again.changed}"
    assert again.text == outcome.text, "second run output differs from the first"
    return outcome


def _exact(document: stream.Document) -> str:
    """A document's separator and text exactly as read."""
    return "".join(document.raw or (document.separator, document.text))
