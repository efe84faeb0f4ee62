#!/usr/bin/env bash
# Helm 4: install helm-plugin/gloo-harden (a postrenderer/v1 plugin) into a throw-away Helm
# home, render through it, and keep the reasons of a --strict refusal in a results file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
chart=${CHART:-$repo/tests/e2e/charts/gloo-like}   # any Gloo chart works the same way
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT

helm=${HELM4:-}
if [ -z "$helm" ]; then
  for candidate in "$HOME/.cache/gloo-harden-ci/helm4/helm" "$(command -v helm || true)"; do
    if [ -x "$candidate" ] && "$candidate" version --short 2>/dev/null | grep -q '^v4\.'; then
      helm=$candidate; break
    fi
  done
fi
[ -n "$helm" ] || { echo "run.sh: no Helm 4 found; set HELM4=/path/to/helm-v4" >&2; exit 1; }

# A private Helm home, so your own plugins are left alone.
export HELM_DATA_HOME=$home/data HELM_CONFIG_HOME=$home/config HELM_CACHE_HOME=$home/cache
# The plugin goes into a plugins folder of Helm 4's own, never the one Helm 3 shares (Helm 3
# cannot read it and would then load none of its plugins). Helm 4.2 installs a local plugin
# under $HELM_DATA_HOME/plugins, and looks in every folder of $HELM_PLUGINS.
gh4=$home/gloo-harden-helm4
HELM_DATA_HOME=$gh4 HELM_PLUGINS=$gh4/plugins "$helm" plugin install "$repo/helm-plugin/gloo-harden"
export HELM_PLUGINS="$("$helm" env HELM_PLUGINS):$gh4/plugins"
"$helm" plugin list

# 1. Render through the plugin. Helm 4 also sends hooks; gloo-harden hands them back untouched.
"$helm" template gloo "$chart" -n gloo-system --post-renderer gloo-harden \
  --post-renderer-args --quiet > "$home/hardened.yaml"
grep -E 'readOnlyRootFilesystem|add: \[\]|automountServiceAccountToken|disableKubernetesDestinations' \
  "$home/hardened.yaml"
if grep -q 'generated-by-postrender' "$home/hardened.yaml"; then
  echo "run.sh: an object lost its postrender-filename annotation" >&2; exit 1
fi
gloo-harden --check --quiet "$home/hardened.yaml"
echo "helm template --post-renderer gloo-harden (plugin): hardened"

# 2. A --strict refusal fails Helm. Helm 4.2 drops a plugin's stderr, so ask for --results.
if "$helm" template gloo "$chart" -n gloo-system \
     --set gatewayProxy.hostNetwork=true --set gatewayProxy.httpPort=80 \
     --post-renderer gloo-harden --post-renderer-args --strict \
     --post-renderer-args "--results=$home/results.json" > /dev/null 2> "$home/error.txt"; then
  echo "run.sh: expected Helm to fail on the --strict refusal" >&2; exit 1
fi
cat "$home/error.txt"
grep -A3 '"severity": "error"' "$home/results.json"
grep -q 'containerPort 80 on the host network' "$home/results.json"
echo "helm template --post-renderer-args --strict: refused; the reason is in the results file"
