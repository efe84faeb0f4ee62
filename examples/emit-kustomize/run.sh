#!/usr/bin/env bash
# kustomize (Flux Kustomization, Argo CD, Fleet, Config Sync): the Component gloo-harden
# emitted for the render, checked in CI without ever running gloo-harden in the cluster.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
render=$here/../pipe/gloo-rendered.yaml   # in CI: helm template ... > render.yaml
kustomize=${KUSTOMIZE:-$(command -v kustomize || echo "$HOME/.cache/gloo-harden-ci/bin/kustomize")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. CI: the committed Component is still what gloo-harden decides for the render.
gloo-harden emit kustomize "$render" -o "$here/hardening" --check --quiet

# 2. The render plus the Component, built as any kustomize-based engine builds it ...
"$kustomize" build "$here" --load-restrictor LoadRestrictionsNone > "$work/built.yaml"
# ... leaves gloo-harden nothing to change.
gloo-harden --check --quiet "$work/built.yaml"
echo "kustomize build: hardened"

# 3. A values change that flips a guard (the Service now targets port 80, so the proxy must
#    keep NET_BIND_SERVICE) makes the check fail instead of shipping a stale patch.
sed 's/targetPort: 8080/targetPort: 80/' "$render" > "$work/render.yaml"
if gloo-harden emit kustomize "$work/render.yaml" -o "$here/hardening" --check --quiet \
    2> "$work/check.txt"; then
  echo "run.sh: expected emit --check to fail on the changed render" >&2; exit 1
fi
grep -o 'out of date: the render changed.*' "$work/check.txt" | cut -c1-60
