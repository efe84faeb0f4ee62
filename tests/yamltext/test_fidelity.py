"""The minimal-diff writer: a changed document differs only in the lines of the change."""

from __future__ import annotations

import difflib

import pytest

from gloo_harden.yamltext import fidelity, yamlio

MIXED = """\
# Source: gloo/templates/5-resource-cleanup-job.yaml
apiVersion: batch/v1
kind: Job
metadata:
  name: gloo-resource-cleanup
spec:
  template:
    spec:
      containers:
        - name: kubectl
          image: quay.io/solo-io/kubectl:1.22.1
          securityContext:
            runAsUser: 10101
          command:
          - /bin/sh
          - -c
          - |
            kubectl delete upstreams -l app=gloo || exit $?   

            echo done
      restartPolicy: OnFailure
"""


def _changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_mixed_sequence_indentation_changes_only_the_new_lines() -> None:
    tree = yamlio.load(MIXED, "job")
    container = tree["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["allowPrivilegeEscalation"] = False
    tree["spec"]["template"]["spec"]["securityContext"] = {"seccompProfile": {"type": "RuntimeDefault"}}
    written = fidelity.render(MIXED, tree, "job")
    assert _changed_lines(MIXED, written) == [
        "+            allowPrivilegeEscalation: false",
        "+      securityContext:",
        "+        seccompProfile:",
        "+          type: RuntimeDefault",
    ]
    assert yamlio.to_plain(yamlio.load(written, "job")) == yamlio.to_plain(tree)


def test_unplaceable_change_falls_back_to_a_correct_full_dump() -> None:
    assert fidelity.replay("a: 1\n", "b: 2\n", "b: 3\n") is None
    tree = yamlio.load("a: 1\n", "doc")
    tree["a"] = 2
    assert fidelity.render("a: 1\n", tree, "doc") == "a: 2\n"


def test_the_c_parser_reads_and_checks_and_the_output_is_the_same_without_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import REPO
    from gloo_harden.run import hardenings
    from gloo_harden.run.pipeline import Options, Source, harden

    assert yamlio._c_reader() is not None  # ruamel.yaml.clib is a dependency on CPython
    source = [Source("pipe", (REPO / "examples" / "pipe" / "gloo-rendered.yaml").read_bytes())]
    options = Options(hardenings.builtin())
    fast = harden(source, options).text
    monkeypatch.setattr(yamlio, "_c_reader", lambda: None)  # no C extension: rt only
    assert harden(source, options).text == fast
    assert yamlio.parses_to("a: [1, 2]\n", {"a": [1, 2]}, "x")
    assert not yamlio.parses_to("a: [1, 2]\n", {"a": [2, 1]}, "x")
    assert yamlio.parses_to("a: !custom 1\n", {"a": "1"}, "x")  # a tag: the C path declines
