#!/usr/bin/env bash
# kpt fn eval with gloo-harden as an exec KRM function: in place on a package, with a typed
# functionConfig, with `-- key=value`, and from stdin to stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/package" "$work/pkg"

echo "# 1. in place, every built-in hardening (kpt prints the results on stderr)"
kpt fn eval "$work/pkg" --exec gloo-harden --results-dir "$work/results"
diff -ru "$here/package" "$work/pkg" | grep -E '^[-+]([^-+]|$)' || true
grep -c 'gloo-harden.dev/hardening' "$work/results/results.yaml"

echo "# 2. again: nothing left to change"
cp -r "$work/pkg" "$work/once"
kpt fn eval "$work/pkg" --exec gloo-harden 2>/dev/null
diff -r "$work/once" "$work/pkg" && echo "second run: no change"

echo "# 3. a typed functionConfig, and the same as -- key=value"
rm -rf "$work/pkg" && cp -r "$here/package" "$work/pkg"
kpt fn eval "$work/pkg" --exec gloo-harden --fn-config "$here/harden.yaml" 2>/dev/null
grep -q 'disableKubernetesDestinations: false' "$work/pkg/settings.yaml"
rm -rf "$work/pkg" && cp -r "$here/package" "$work/pkg"
kpt fn eval "$work/pkg" --exec gloo-harden -- disable=disable-kubernetes-destinations strict=true 2>/dev/null
grep -q 'disableKubernetesDestinations: false' "$work/pkg/settings.yaml"
echo "Settings left alone in both"

echo "# 4. from stdin, as in: helm template … | kpt fn eval - --exec gloo-harden -o unwrap"
for f in "$here"/package/*.yaml; do echo "---"; cat "$f"; done \
  | kpt fn eval - --exec gloo-harden -o unwrap 2>/dev/null > "$work/hardened.yaml"
grep -E 'add: \[\]|readOnlyRootFilesystem|automount|disableKubernetesDestinations' "$work/hardened.yaml"
