#!/usr/bin/env bash
# kgateway 2.1: the platform team hardens the chart render, the shop team its own Gateway and
# GatewayParameters; both are needed, because the controller merges them into one proxy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== platform: the kgateway chart render (controller only)"
gloo-harden < "$here/kgateway-rendered.yaml" > "$out/platform.yaml"
diff -u "$here/kgateway-rendered.yaml" "$out/platform.yaml" | sed -n '3,$p' || true

echo "== shop team: the CI gate finds work in its own objects"
# The team's objects show no release: say which one the platform runs. Nor do they show the
# GatewayClass and its GatewayParameters, which the team's are merged over: an empty
# capabilities.add would replace what they add, so hand them in as evidence (read, never
# written): here the platform's output, in a cluster `kubectl get gatewayclasses...`.
team=(--assume-version kgateway-2.1.2 --evidence "$out/platform.yaml" "$here"/team/*.yaml)
if gloo-harden --check --quiet "${team[@]}"; then
  echo "expected --check to find NET_BIND_SERVICE and readOnlyRootFilesystem: false" >&2
  exit 1
fi

echo "== shop team: hardened before it is applied"
gloo-harden --diff --quiet "${team[@]}"
gloo-harden --quiet "${team[@]}" -o "$out/team.yaml"

# Both outputs are stable: a second run finds nothing left to change.
gloo-harden --check --quiet "$out/platform.yaml" "$out/team.yaml"
echo "second run: nothing left to change"
