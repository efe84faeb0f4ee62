#!/usr/bin/env bash
# Flux: the HelmRelease carries the post-renderer patches gloo-harden emitted for the render,
# and is checked by building it as Flux's helm-controller does (kustomize applies the patches
# to the render). Flux itself never runs gloo-harden.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
render=${RENDER:-$here/../pipe/gloo-rendered.yaml}   # in CI: helm template ... > render.yaml
kustomize=${KUSTOMIZE:-$(command -v kustomize || echo "$HOME/.cache/gloo-harden-ci/bin/kustomize")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. The patches, as emitted now (the results of the run go to stderr, as in a normal run).
gloo-harden emit flux "$render" -o "$work/postrenderers.yaml"

# 2. The HelmRelease in git carries exactly those postRenderers: else it is out of date.
python3 - "$here/helmrelease.yaml" "$work/postrenderers.yaml" <<'PY'
import sys
from ruamel.yaml import YAML
from gloo_harden.outputs.emit.stamp import stamped_hash
yaml = YAML(typ="safe")
release, emitted = open(sys.argv[1]).read(), open(sys.argv[2]).read()
if stamped_hash(release) != stamped_hash(emitted):
    sys.exit(f"helmrelease.yaml: the render changed since its postRenderers were emitted "
             f"(input {stamped_hash(release)}, now {stamped_hash(emitted)}); run: "
             "gloo-harden emit flux RENDER and paste it")
if yaml.load(release)["spec"]["postRenderers"] != yaml.load(emitted)["postRenderers"]:
    sys.exit("helmrelease.yaml: spec.postRenderers is not what gloo-harden emits for the "
             "render; run: gloo-harden emit flux RENDER and paste it")
PY
echo "helmrelease.yaml: postRenderers are current"

# 3. Build it as Flux does: the render, then each post-renderer's kustomize patches.
python3 - "$here/helmrelease.yaml" "$work" <<'PY'
import json, sys
from ruamel.yaml import YAML
yaml = YAML(typ="safe")
release = yaml.load(open(sys.argv[1]))
patches = [p for r in release["spec"]["postRenderers"] for p in r["kustomize"]["patches"]]
with open(f"{sys.argv[2]}/kustomization.yaml", "w") as out:
    json.dump({"resources": ["render.yaml"], "patches": patches}, out)  # JSON is YAML
PY
cp "$render" "$work/render.yaml"
"$kustomize" build "$work" > "$work/built.yaml"

# 4. What Flux would install is hardened: gloo-harden finds nothing left to change.
gloo-harden --check --quiet "$work/built.yaml"
echo "built as Flux does: nothing left to harden"
