#!/usr/bin/env bash
# Standalone kustomize and kubectl kustomize with gloo-harden as a container KRM function.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kustomize=$(command -v kustomize || echo "$HOME/.cache/gloo-harden-ci/bin/kustomize")
# kustomize runs `docker run ... IMAGE`; the shim hands that to podman.
export PATH="$repo/image/shim:$PATH"
if [ -z "${CONTAINERS_CONF:-}" ] && command -v runc >/dev/null; then
  CONTAINERS_CONF=$("$repo/image/containers-conf"); export CONTAINERS_CONF
fi
named=localhost/gloo-harden:0.1.0
image=${GLOO_HARDEN_IMAGE:-$("$repo/image/build" "$named" | tail -n1)}
cp "$here"/*.yaml "$work/" && mkdir "$work/k" && mv "$work"/*.yaml "$work/k/"
sed -i "s#image: $named#image: $image#" "$work/k/gloo-harden.yaml"

"$kustomize" build --enable-alpha-plugins "$work/k" > "$work/hardened.yaml"
# What the function changed: the same build without it, compared.
mkdir "$work/plain" && cp "$work"/k/*.yaml "$work/plain/"
sed -i '/^transformers:/,$d' "$work/plain/kustomization.yaml"
"$kustomize" build "$work/plain" > "$work/plain.yaml"
diff -u "$work/plain.yaml" "$work/hardened.yaml" | grep -E '^[-+]([^-+]|$)' || true

# kubectl's embedded kustomize runs container functions too, with the same answer.
kubectl kustomize --enable-alpha-plugins "$work/k" | diff -q "$work/hardened.yaml" - \
  && echo "kubectl kustomize: same output"

# Building the hardened output again changes nothing.
mkdir "$work/again" && cp "$work/hardened.yaml" "$work/k/gloo-harden.yaml" "$work/again/"
printf 'resources: [hardened.yaml]\ntransformers: [gloo-harden.yaml]\n' > "$work/again/kustomization.yaml"
"$kustomize" build --enable-alpha-plugins "$work/again" 2>/dev/null \
  | diff -q "$work/hardened.yaml" - && echo "second build: no change"
