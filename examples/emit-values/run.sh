#!/usr/bin/env bash
# Argo CD's Helm source, k3s's helm-controller, Fleet: values only. gloo-harden emits the
# values overlay that makes the Gloo chart do as much of the hardening itself as its release
# allows, and names on stderr what no value can do.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
charts=${GLOO_HARDEN_CHARTS:-$here/../../../shared/charts}   # real Gloo charts
chart=$charts/gloo-1.22.1
helm=${HELM3:-$HOME/.cache/gloo-harden-ci/helm3/helm}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -d "$chart" ] || { echo "run.sh: no chart at $chart; set GLOO_HARDEN_CHARTS" >&2; exit 1; }

# 1. Render with the user's values; the committed overlay is still what gloo-harden decides.
"$helm" template gloo "$chart" -n gloo-system -f "$here/user-values.yaml" > "$work/render.yaml"
gloo-harden emit values "$work/render.yaml" -o "$here/values-hardening.yaml" --check \
  --results "$work/emitted.json" --quiet

# 2. Render again with the overlay after the user's values.
"$helm" template gloo "$chart" -n gloo-system -f "$here/user-values.yaml" \
  -f "$here/values-hardening.yaml" > "$work/hardened-by-values.yaml"

# 3. What gloo-harden still finds there is exactly what emit named as not doable by values.
gloo-harden --check --quiet --results "$work/left.json" "$work/hardened-by-values.yaml" || true
python3 - "$work/emitted.json" "$work/left.json" <<'PY'
import json, sys
named = {(r["hardening"], r["resource"]["kind"], r["resource"]["name"])
         for r in json.load(open(sys.argv[1])) if r.get("tag") == "not-expressible"}
left = {(r["hardening"], r["resource"]["kind"], r["resource"]["name"])
        for r in json.load(open(sys.argv[2]))
        if r["severity"] == "info" and r.get("field") and r.get("resource") and "tag" not in r}
if left != named:
    sys.exit(f"left after the values: {sorted(left)}; named by emit values: {sorted(named)}")
for item in sorted(named):
    print("left to the post-renderer or patches: %s on %s %s" % item)
PY
