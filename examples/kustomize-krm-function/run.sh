#!/usr/bin/env bash
# Standalone kustomize with gloo-harden as an exec KRM function.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kustomize=$(command -v kustomize || echo "$HOME/.cache/gloo-harden-ci/bin/kustomize")

# Exec functions need both flags, and the standalone kustomize (kubectl's has no --enable-exec).
"$kustomize" build --enable-alpha-plugins --enable-exec "$here" > "$work/hardened.yaml"

# What the function changed: the same build without it, compared.
mkdir "$work/plain" && cp "$here"/*.yaml "$work/plain/"
sed -i '/^transformers:/,$d' "$work/plain/kustomization.yaml"
"$kustomize" build "$work/plain" > "$work/plain.yaml"
diff -u "$work/plain.yaml" "$work/hardened.yaml" | grep -E '^[-+]([^-+]|$)' || true

# Building the hardened output again changes nothing.
mkdir "$work/again" && cp "$work/hardened.yaml" "$here/gloo-harden.yaml" "$work/again/"
printf 'resources: [hardened.yaml]\ntransformers: [gloo-harden.yaml]\n' > "$work/again/kustomization.yaml"
"$kustomize" build --enable-alpha-plugins --enable-exec "$work/again" 2>/dev/null \
  | diff -q "$work/hardened.yaml" - && echo "second build: no change"
