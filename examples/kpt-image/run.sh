#!/usr/bin/env bash
# kpt with gloo-harden as a container image: fn render with a Kptfile image: mutator and
# validator, then fn eval --image with a folder of your own patches mounted.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export KPT_FN_RUNTIME=podman  # kpt's default runtime is docker
# On CI-like VMs podman needs runc, cgroupfs and lower limits (see image/containers-conf).
if [ -z "${CONTAINERS_CONF:-}" ] && command -v runc >/dev/null; then
  CONTAINERS_CONF=$("$repo/image/containers-conf"); export CONTAINERS_CONF
fi
# The image the Kptfile names, built from this checkout (or the one a test built already).
named=localhost/gloo-harden:0.1.0
image=${GLOO_HARDEN_IMAGE:-$("$repo/image/build" "$named" | tail -n1)}
cp -r "$here/package" "$work/pkg"
sed -i "s#image: $named#image: $image#" "$work/pkg/Kptfile"

# 1. Render: the mutator hardens, the validator (check: true) finds nothing left.
kpt fn render "$work/pkg" --image-pull-policy never
diff -ru "$here/package" "$work/pkg" | grep -E '^[-+] ' || true
cp -r "$work/pkg" "$work/once"
kpt fn render "$work/pkg" --image-pull-policy never 2>/dev/null
diff -r "$work/once" "$work/pkg" && echo "second render: no change"

# 2. The validator alone fails the render of an unhardened package, and kpt writes nothing.
cp -r "$here/package" "$work/unhardened"
sed -i -e "s#image: $named#image: $image#" -e '/^  mutators:/,/^  validators:/{/^  validators:/!d}' \
  "$work/unhardened/Kptfile"
if kpt fn render "$work/unhardened" --image-pull-policy never 2>"$work/refused.txt"; then
  echo "expected the validator to fail the render"; exit 1
fi
grep -o 'would be hardened' "$work/refused.txt" | head -n1
diff -r "$here/package/gateway-proxy.yaml" "$work/unhardened/gateway-proxy.yaml" \
  && echo "unhardened package left as it was"

# 3. fn eval --image with your own patches: the folder is mounted, and functionConfig names
#    the mount point (a Kptfile cannot mount: see README.md).
cp -r "$here/package" "$work/eval" && rm "$work/eval/Kptfile" "$work/eval/harden.yaml"
kpt fn eval "$work/eval" --image "$image" --image-pull-policy never \
  --mount "type=bind,src=$repo/examples/user-patches/patches,dst=/patches" -- patches=/patches
grep -q 'memory: 1Gi' "$work/eval/gateway-proxy.yaml" && echo "user patches applied from /patches"
