#!/usr/bin/env bash
# The CI gate, run locally: the "gate" step of gloo-harden-gate.yml, taken from the workflow
# file and run in a scratch repository, once on hardened renders and once with one that is not.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
chart=${CHART:-$here/../../tests/e2e/charts/gloo-like}   # any Gloo chart works the same way
repo=$(mktemp -d)
trap 'rm -rf "$repo"' EXIT

helm=${HELM3:-}
if [ -z "$helm" ]; then
  for candidate in "$HOME/.cache/gloo-harden-ci/helm3/helm" "$(command -v helm || true)"; do
    if [ -x "$candidate" ] && "$candidate" version --short 2>/dev/null | grep -q '^v3\.'; then
      helm=$candidate; break
    fi
  done
fi
[ -n "$helm" ] || { echo "run.sh: no Helm 3 found; set HELM3=/path/to/helm-v3" >&2; exit 1; }

# The gate step's script, exactly as the workflow has it.
python3 - "$here/gloo-harden-gate.yml" > "$repo/gate.sh" <<'PY'
import sys
from ruamel.yaml import YAML  # installed with gloo-harden
workflow = YAML(typ="safe").load(open(sys.argv[1]))
(step,) = [s for s in workflow["jobs"]["gloo-harden"]["steps"] if s.get("id") == "gate"]
sys.stdout.write(step["run"])
PY
gate() { (cd "$repo" && bash -e gate.sh); }

# The cluster's evidence, as `gloo-harden explain evidence`'s commands collect it: here a
# cluster with no route and no Gloo Gateway yet (one empty kubectl List per resource).
mkdir -p "$repo/evidence"
for r in gateways.gateway.solo.io virtualservices.gateway.solo.io routetables.gateway.solo.io \
         upstreamgroups.gloo.solo.io; do
  printf 'apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n' \
    > "$repo/evidence/$r.yaml"
done

# 1. Renders made through the post-renderer pass (Helm 3 hands it no hooks: the evidence shows
#    the Gateways the chart's hook Job applies cannot already bind below 1024).
mkdir -p "$repo/rendered/prod"
"$helm" template gloo "$chart" -n gloo-system --post-renderer gloo-harden \
  --post-renderer-args --evidence --post-renderer-args "$repo/evidence" \
  > "$repo/rendered/prod/gloo.yaml"
gate
echo "gate: hardened renders pass"

# 2. A render that skipped gloo-harden fails the gate, and the results file says what is left.
mkdir -p "$repo/rendered/staging"
"$helm" template gloo "$chart" -n gloo-staging > "$repo/rendered/staging/gloo.yaml"
if gate; then echo "run.sh: expected the gate to fail on an unhardened render" >&2; exit 1; fi
python3 - "$repo/gloo-harden.sarif" <<'PY'
import json, sys
(run,) = json.load(open(sys.argv[1]))["runs"]  # SARIF 2.1.0, as upload-sarif gets it
for result in run["results"]:
    where = result["locations"][0]["physicalLocation"]
    print(f'left to do: {where["artifactLocation"]["uri"]}:{where["region"]["startLine"]}: '
          f'{result["ruleId"]}: {result["message"]["text"]}')
PY
echo "gate: an unhardened render fails"
