#!/usr/bin/env bash
# kpt fn render with gloo-harden as an exec mutator in the Kptfile pipeline.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/package" "$work/pkg"
cd "$here"   # harden.yaml names evidence/ relative to where kpt runs

# Exec functions in a Kptfile run only with --allow-exec.
kpt fn render "$work/pkg" --allow-exec --results-dir "$work/results"
diff -ru "$here/package" "$work/pkg" | grep -E '^[-+]([^-+]|$)' || true
grep -q 'kind: Kptfile' "$work/pkg/Kptfile"   # the Kptfile is an item too; it is left alone
diff -q "$here/package/Kptfile" "$work/pkg/Kptfile"

# Rendering is idempotent: a second render changes nothing.
cp -r "$work/pkg" "$work/once"
kpt fn render "$work/pkg" --allow-exec 2>/dev/null
diff -r "$work/once" "$work/pkg" && echo "second render: no change"
