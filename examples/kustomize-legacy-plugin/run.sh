#!/usr/bin/env bash
# kubectl kustomize with gloo-harden as a legacy exec plugin (works in kubectl's kustomize).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Install the plugin tree, as kustomize-plugin/README.md says (here into a private home).
export XDG_CONFIG_HOME="$work/config"
mkdir -p "$XDG_CONFIG_HOME/kustomize/plugin"
cp -r "$repo/kustomize-plugin/gloo-harden.dev" "$XDG_CONFIG_HOME/kustomize/plugin/"

kubectl kustomize --enable-alpha-plugins "$here" > "$work/hardened.yaml"

# What the transformer changed: the same build without it, compared.
mkdir "$work/plain" && cp "$here"/*.yaml "$work/plain/"
sed -i '/^transformers:/,$d' "$work/plain/kustomization.yaml"
kubectl kustomize "$work/plain" > "$work/plain.yaml"
diff -u "$work/plain.yaml" "$work/hardened.yaml" | grep -E '^[-+]([^-+]|$)' || true

# Building the hardened output again changes nothing.
mkdir "$work/again" && cp "$work/hardened.yaml" "$here/harden.yaml" "$work/again/"
printf 'resources: [hardened.yaml]\ntransformers: [harden.yaml]\n' > "$work/again/kustomization.yaml"
kubectl kustomize --enable-alpha-plugins "$work/again" | diff -q "$work/hardened.yaml" - \
  && echo "second build: no change"
