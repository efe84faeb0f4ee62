#!/usr/bin/env bash
# GatewayParameters application teams apply, and the proxy Pods made from them, are in no render:
# gloo-harden emits ValidatingAdmissionPolicies (Kubernetes 1.30+) that hold the line at run time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. CI: the committed policy is still what gloo-harden decides for the render.
gloo-harden emit policy "$here/render.yaml" --assume-version kgateway-2.2.0 \
  -o "$here/policy.yaml" --check --quiet

# 2. What it enforces (on every policy and binding), and what it cannot (stderr, one line each).
grep -m1 'Enforces:' "$here/policy.yaml" | sed 's/^# //'
gloo-harden emit policy "$here/render.yaml" --assume-version kgateway-2.2.0 \
  -o "$work/policy.yaml" 2> "$work/stderr.txt"
sed -n 's/.*not expressible: \([^:;]*\).*(\([a-z-]*\))$/limit, \2: \1/p' "$work/stderr.txt"

# 3. Apply it (kubectl apply -f policy.yaml) to a cluster: a team's GatewayParameters adding
#    NET_BIND_SERVICE is refused with the message naming drop-net-bind-service and the opt-out
#    gloo-harden.dev/skip: "drop-net-bind-service=<reason>" (proved against a real API server
#    by tests/e2e/test_emit_policy_admission.py).
