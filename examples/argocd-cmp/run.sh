#!/usr/bin/env bash
# Run the plugin's init and generate commands the way the Argo CD sidecar does: in a copy of the
# application's source folder, with the ARGOCD_* build environment and helm on PATH.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
chart=${CHART:-$here/../../tests/e2e/charts/gloo-like}   # the Application's source path
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

helm=${HELM3:-}
if [ -z "$helm" ]; then
  for candidate in "$HOME/.cache/gloo-harden-ci/helm3/helm" "$(command -v helm || true)"; do
    if [ -x "$candidate" ] && "$candidate" version --short 2>/dev/null | grep -q '^v3\.'; then
      helm=$candidate; break
    fi
  done
fi
[ -n "$helm" ] || { echo "run.sh: no Helm 3 found; set HELM3=/path/to/helm-v3" >&2; exit 1; }
mkdir "$work/bin" && ln -s "$helm" "$work/bin/helm"
cp -R "$chart" "$work/app"

# The commands, exactly as plugin.yaml gives them (command + args).
phase() {  # phase init|generate: print that phase's argv, one entry per NUL-terminated string
  python3 - "$here/plugin.yaml" "$1" <<'PY'
import sys
from ruamel.yaml import YAML  # installed with gloo-harden
step = YAML(typ="safe").load(open(sys.argv[1]))["spec"][sys.argv[2]]
sys.stdout.write("".join(f"{part}\0" for part in step["command"] + step.get("args", [])))
PY
}
run_phase() {  # run_phase init|generate [VAR=value…]
  local name=$1; shift
  local -a argv=()
  while IFS= read -r -d '' part; do argv+=("$part"); done < <(phase "$name")
  (cd "$work/app" && env PATH="$work/bin:$PATH" ARGOCD_APP_NAME=gloo \
     ARGOCD_APP_NAMESPACE=gloo-system KUBE_VERSION=1.30.0 "$@" "${argv[@]}")
}

run_phase init
run_phase generate > "$work/manifests.yaml"
grep -E 'readOnlyRootFilesystem|add: \[\]|automountServiceAccountToken|disableKubernetesDestinations' \
  "$work/manifests.yaml"
gloo-harden --check --quiet "$work/manifests.yaml"
echo "generate: only hardened objects on stdout"

# Every CRD of the chart's crds/ folder is in the desired state (Argo CD's Helm source has them).
for crd in "$work/app"/crds/*.yaml; do
  [ -e "$crd" ] || continue
  name=$(sed -n 's/^  name: //p' "$crd" | head -n 1)
  grep -qx "  name: $name" "$work/manifests.yaml" || { echo "run.sh: CRD $name is missing" >&2; exit 1; }
  echo "generate: CRD $name included"
done

# Application env arrives prefixed with ARGOCD_ENV_: a proxy on port 80 of the host, --strict.
if run_phase generate ARGOCD_ENV_GLOO_HARDEN_ARGS=--strict \
     ARGOCD_ENV_HELM_ARGS="--set gatewayProxy.hostNetwork=true --set gatewayProxy.httpPort=80" \
     > /dev/null 2> "$work/error.txt"; then
  echo "run.sh: expected generate to fail on the --strict refusal" >&2; exit 1
fi
cat "$work/error.txt"
echo "generate with --strict: refused, the sync fails with the reason shown"
