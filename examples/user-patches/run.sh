#!/usr/bin/env bash
# Your own patches after the built-ins (--patches DIR), then the opt-in restricted profile.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# 1. Built-ins, then every *.yaml in patches/ in file-name order.
gloo-harden --patches "$here/patches" "$here/rendered.yaml" > "$out/hardened.yaml"
diff -u "$here/rendered.yaml" "$out/hardened.yaml" | sed -n '3,$p' || true
grep -q 'config-sync: enabled' "$out/hardened.yaml"
grep -q 'memory: 1Gi' "$out/hardened.yaml"

# 2. A patch that matches nothing is a warning; --fail-on-unmatched makes it an error (exit 1).
mkdir "$out/strict"
cat > "$out/strict/typo.yaml" <<'YAML'
apiVersion: gloo-harden.dev/v1alpha1
kind: Hardening
metadata: {name: typo}
target: {kind: Deployment, name: gatewayproxy}
strategic: {spec: {replicas: 2}}
YAML
if gloo-harden --quiet --fail-on-unmatched --patches "$out/strict" "$here/rendered.yaml" > /dev/null; then
  echo "expected --fail-on-unmatched to fail"; exit 1
fi

# 3. A broken patch file stops the run before anything is written: one line, exit 2.
printf 'apiVersion: gloo-harden.dev/v1alpha1\nkind: Hardening\nmetadata: {name: bad}\ntarget: {labelSelector: "a in (b"}\nstrategic: {}\n' > "$out/strict/typo.yaml"
set +e
gloo-harden --patches "$out/strict" "$here/rendered.yaml" > "$out/none.yaml"
code=$?
set -e
test "$code" = 2 && test ! -s "$out/none.yaml"

# 4. The restricted profile: every Gloo pod to Pod Security "restricted", what is unsafe kept.
gloo-harden --profile restricted "$here/rendered.yaml" > "$out/restricted.yaml"
grep -q 'type: RuntimeDefault' "$out/restricted.yaml"
gloo-harden --check --quiet --profile restricted "$out/restricted.yaml"
echo "restricted profile applied; a second run changes nothing"
