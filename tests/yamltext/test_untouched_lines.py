"""Untouched lines keep their bytes when a line beside them changes, whichever writer writes
the document (the text editor, or the round-trip writer a document with anchors goes to):
explicit tags, a list's own indentation, flow style, quoting and comments next to the change.

Each case is a proxy whose hardening removes NET_BIND_SERVICE and adds
``readOnlyRootFilesystem`` and ``automountServiceAccountToken``; every mix of the neighbours
below is written around the change, and the only input lines that may go are the two of
``capabilities.add``."""

from __future__ import annotations

import difflib
import itertools

import pytest

from conftest import empty_cluster
from gloo_harden.run import hardenings
from gloo_harden.run.pipeline import Options, Source, harden

OPTIONS = Options(hardenings.builtin(), evidence=empty_cluster())  # no Gateway, no route
#: (name, text before the change, text after it), at the container's indentation (8)
NEIGHBOURS = {
    "tagged": ('        ports:\n        - containerPort: !!int "8080"\n', ""),
    "wide-args": ('        args:\n          - "--disable-hot-restart"\n          - --foo   # why\n', ""),
    "flow": ("        resources: {limits: {cpu: '1'}}\n", ""),
    "comment-above": ("        # capabilities come from the chart\n", ""),
    "comment-below": ("", "        # nothing else here\n"),
    "quoted-after": ("", "        image: 'quay.io/solo-io/gloo-envoy-wrapper:1.17.0'\n"),
    "tagged-after": ("", '        terminationMessagePath: !!str /dev/termination-log\n'),
}


def _proxy(chosen: tuple[str, ...], anchors: bool) -> str:
    before = "".join(NEIGHBOURS[n][0] for n in chosen)
    after = "".join(NEIGHBOURS[n][1] for n in chosen)
    labels = "  labels: &labels {gloo: gateway-proxy}\n" if anchors else \
        "  labels: {gloo: gateway-proxy}\n"
    pod_labels = "      labels: *labels\n" if anchors else "      labels: {gloo: gateway-proxy}\n"
    return ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: gateway-proxy\n"
            "  namespace: gloo-system\n" + labels + 'spec:\n  replicas: !!int "1"\n'
            "  template:\n    metadata:\n" + pod_labels + "    spec:\n      containers:\n"
            "      - name: gateway-proxy\n" + before
            + "        securityContext:\n          capabilities:\n            add:\n"
            "            - NET_BIND_SERVICE\n" + after)


CASES = [(chosen, anchors) for size in (1, 2, 3)
         for chosen in itertools.combinations(NEIGHBOURS, size) for anchors in (False, True)]


@pytest.mark.parametrize("chosen, anchors", CASES,
                         ids=["+".join(c) + ("+anchors" if a else "") for c, a in CASES])
def test_only_the_changed_lines_go(chosen: tuple[str, ...], anchors: bool) -> None:
    text = _proxy(chosen, anchors)
    outcome = harden([Source("proxy.yaml", text.encode())], OPTIONS)
    assert outcome.changed == [0]
    old, new = text.splitlines(keepends=True), outcome.text.splitlines(keepends=True)
    gone = [line for tag, i1, i2, _, _ in
            difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
            if tag != "equal" for line in old[i1:i2]]
    assert gone == ["            add:\n", "            - NET_BIND_SERVICE\n"], outcome.text
    assert "add: []" in outcome.text and "readOnlyRootFilesystem: true" in outcome.text
