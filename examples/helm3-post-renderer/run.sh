#!/usr/bin/env bash
# Helm 3: gloo-harden as --post-renderer (an executable on PATH), options through
# --post-renderer-args, and a --strict refusal that fails the Helm command.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
chart=${CHART:-$here/../../tests/e2e/charts/gloo-like}   # any Gloo chart works the same way
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

helm=${HELM3:-}
if [ -z "$helm" ]; then
  for candidate in "$HOME/.cache/gloo-harden-ci/helm3/helm" "$(command -v helm || true)"; do
    if [ -x "$candidate" ] && "$candidate" version --short 2>/dev/null | grep -q '^v3\.'; then
      helm=$candidate; break
    fi
  done
fi
[ -n "$helm" ] || { echo "run.sh: no Helm 3 found; set HELM3=/path/to/helm-v3" >&2; exit 1; }

# 1. Render through the post-renderer. Helm keeps gloo-harden's stderr to itself on success,
#    so this prints nothing but the manifests (written to a file here).
"$helm" template gloo "$chart" -n gloo-system \
  --post-renderer gloo-harden --post-renderer-args --quiet > "$out/hardened.yaml"
grep -E 'readOnlyRootFilesystem|add: \[\]|automountServiceAccountToken|disableKubernetesDestinations' \
  "$out/hardened.yaml"
gloo-harden --check --quiet "$out/hardened.yaml"
echo "helm template --post-renderer gloo-harden: hardened"

# 2. A proxy that binds port 80 on the host keeps NET_BIND_SERVICE; with --strict that is a
#    refusal, and Helm fails with gloo-harden's reason in its error message.
if "$helm" template gloo "$chart" -n gloo-system \
     --set gatewayProxy.hostNetwork=true --set gatewayProxy.httpPort=80 \
     --post-renderer gloo-harden --post-renderer-args --strict --post-renderer-args --quiet \
     > /dev/null 2> "$out/error.txt"; then
  echo "run.sh: expected Helm to fail on the --strict refusal" >&2; exit 1
fi
cat "$out/error.txt"
grep -q 'kept for container "gateway-proxy": containerPort 80' "$out/error.txt"
echo "helm template --post-renderer-args --strict: refused, with the reason"
