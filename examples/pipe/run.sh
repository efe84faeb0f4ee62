#!/usr/bin/env bash
# The main job: harden a rendered Gloo manifest from a pipe, and show what changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# As in: helm template gloo gloo/gloo -n gloo-system | gloo-harden > hardened.yaml
gloo-harden < "$here/gloo-rendered.yaml" > "$out/hardened.yaml"

# The diff a reviewer sees: only the hardening.
diff -u "$here/gloo-rendered.yaml" "$out/hardened.yaml" | sed -n '3,$p' || true

# Hardening the hardened output again changes nothing.
gloo-harden --check --quiet "$out/hardened.yaml"
echo "second run: nothing left to change"
