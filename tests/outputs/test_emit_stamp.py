"""``emit.stamp``: the input hash is of the render as data — another Helm's whitespace, comments
or key order give the same hash, any value or object order another — and ``emit --check``
reads it back from a comment or an annotation."""

from __future__ import annotations

import yaml

from gloo_harden.outputs.emit import stamp

RENDER = """\
# Source: gloo/templates/18-settings.yaml
apiVersion: gloo.solo.io/v1
kind: Settings
metadata: {name: default, namespace: gloo-system}
spec:
  gloo: {disableKubernetesDestinations: false}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: gateway-proxy, namespace: gloo-system}
"""


def _hash(text: str) -> str:
    return stamp.input_hash(d for d in yaml.safe_load_all(text) if d is not None)


def test_the_hash_is_of_the_data() -> None:
    same = ("\n\n" + RENDER.replace("# Source: gloo/templates/18-settings.yaml\n", "")
            .replace("metadata: {name: default, namespace: gloo-system}",
                     "metadata:\n  namespace: gloo-system\n  name: default") + "\n---\n")
    assert _hash(same) == _hash(RENDER)
    assert _hash(RENDER.replace("false", "true")) != _hash(RENDER)
    first, second = RENDER.split("---\n")
    assert _hash(second + "---\n" + first) != _hash(RENDER)


def test_the_stamp_is_read_back_from_a_comment_or_an_annotation() -> None:
    provenance = stamp.Provenance("0.1.0", "gloo-1.22.1", _hash(RENDER))
    assert stamp.stamped_hash(provenance.comment("flux")) == provenance.input_hash
    annotated = yaml.safe_dump({"metadata": {"annotations": provenance.annotations()}})
    assert stamp.stamped_hash(annotated) == provenance.input_hash
    assert stamp.stamped_hash("postRenderers: []\n") is None


def test_release_names() -> None:
    assert stamp.release_of("kgateway", "2.1.2") == "kgateway-2.1.2"
    assert stamp.release_of("gloo", None) == "gloo"
    assert stamp.release_of(None, None) == "unknown"
