"""Every message that formats a value writes it as YAML, never as a Python repr, and no
result is said twice: over every corpus render, every golden input (with its own flags) and
a stream whose fields hold values of the wrong type, each under every option set."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO, corpus_files
from gloo_harden.errors import TransformerError
from gloo_harden.resources.results import Result
from gloo_harden.run.options import Request, resolve
from gloo_harden.run.pipeline import Source, harden

#: What Python writes and YAML never does: list/dict reprs with quoted items, None/True/False
#: as words, object reprs.
REPR = re.compile(r"\[['\"]|\{['\"]|['\"]\]|\bNone\b|\bTrue\b|\bFalse\b|<[\w.]+ object at|"
                  r"Commented(?:Map|Seq)|ordereddict|\bb['\"]")
OPTION_SETS: dict[str, dict[str, Any]] = {
    "default": {},
    "restricted": {"profile_names": ("restricted",)},
    "strict": {"strict": True},
    "sidecars": {"sidecars": True},
    "restricted-sidecars": {"profile_names": ("restricted",), "sidecars": True},
    "kgateway-2.1.2": {"assume_version": "kgateway-2.1.2"},
    "istio-all": {"istio_injected": ("all",)},
}
#: Names, references, capabilities and directives of the wrong type, in every place a
#: message quotes them (GatewayParameters references, overlays, omitDefaultSecurityContext
#: under kgateway 2.1) ...
ODD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: kgateway, namespace: kgateway-system, labels: {app.kubernetes.io/name: kgateway}}
spec:
  template:
    spec:
      containers:
      - name: kgateway
        image: cr.kgateway.dev/kgateway-dev/kgateway:v2.1.2
        env: [{name: KGW_GATEWAY_CLASS_PARAMETERS_REFS, value: '{"kgateway": {"name": 7}}'}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: kgateway}
spec:
  controllerName: kgateway.dev/kgateway
  parametersRef: {group: gateway.kgateway.dev, kind: GatewayParameters, name: [a, b]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: apps}
spec:
  gatewayClassName: kgateway
  infrastructure: {parametersRef: {group: gateway.kgateway.dev, kind: GatewayParameters, name: 42}}
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {name: team, namespace: apps}
spec:
  kube:
    omitDefaultSecurityContext: true
    envoyContainer:
      securityContext: {capabilities: {add: [NET_BIND_SERVICE, 7, null]}}
    deploymentOverlay:
      spec:
        template:
          spec:
            containers:
            - name: kgateway-proxy
              securityContext: {capabilities: {add: [NET_ADMIN, SYS_TIME]}}
"""
#: The same for Gloo Edge (its proxies and VirtualServices).
ODD_GLOO = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: gateway-proxy, namespace: gloo-system, labels: {gloo: gateway-proxy}}
spec:
  template:
    metadata: {labels: {gloo: gateway-proxy}}
    spec:
      containers:
      - name: 8080
        securityContext: {capabilities: {add: [NET_BIND_SERVICE]}}
      - name: [istio-proxy]
      - name: null
        securityContext: {capabilities: {add: [NET_BIND_SERVICE]}}
---
apiVersion: gateway.solo.io/v1
kind: VirtualService
metadata: {name: vs, namespace: apps}
spec:
  virtualHost:
    routes:
    - routeAction: {single: {kube: {ref: {name: [svc], namespace: apps}, port: 80}}}
    - routeAction: {single: {upstream: {name: null, namespace: gloo-system}}}
---
apiVersion: gloo.solo.io/v1
kind: Settings
metadata: {name: default, namespace: gloo-system}
spec: {gloo: {disableKubernetesDestinations: false}}
"""


def _golden() -> list[tuple[str, Path, dict[str, Any]]]:
    cases = []
    for folder in sorted((REPO / "tests" / "golden").glob("*/*")):
        args = (yaml.safe_load((folder / "case.yaml").read_text()) or {}).get("args", []) \
            if (folder / "case.yaml").is_file() else []
        cases.append((f"golden/{folder.parent.name}/{folder.name}", folder / "input.yaml",
                      _flags(args)))
    return cases


def _flags(args: list[str]) -> dict[str, Any]:
    """The Request fields of the flags golden cases use."""
    chosen: dict[str, Any] = {}
    pending = list(args)
    while pending:
        flag = pending.pop(0)
        if flag in ("--strict", "--sidecars"):
            chosen[flag[2:]] = True
        elif flag == "--profile":
            chosen["profile_names"] = (*chosen.get("profile_names", ()), pending.pop(0))
        elif flag == "--istio-injected":
            chosen["istio_injected"] = (*chosen.get("istio_injected", ()), pending.pop(0))
        elif flag == "--assume-version":
            chosen["assume_version"] = pending.pop(0)
        elif flag == "--enable":  # one more built-in: every built-in runs here anyway
            pending.pop(0)
        else:
            raise AssertionError(f"a golden case's flag this test does not know: {flag}")
    return chosen


def _inputs() -> list[tuple[str, list[Source], dict[str, Any]]]:
    corpus = [(f"corpus/{p.name}", [Source(p.name, p.read_bytes())], {}) for p in corpus_files()]
    together = [("corpus, separate renders",
                 [Source(p.name, p.read_bytes()) for p in corpus_files()],
                 {"separate_renders": True})] if corpus else []
    golden = [(name, [Source(path.name, path.read_bytes())], flags)
              for name, path, flags in _golden()]
    return corpus + together + golden + [
        ("odd values", [Source("odd.yaml", ODD.encode())], {}),
        ("odd Gloo values", [Source("odd-gloo.yaml", ODD_GLOO.encode())], {})]


def _said(sources: list[Source], chosen: dict[str, Any]) -> list[Result]:
    _, options = resolve(Request(**chosen))
    try:
        return harden(sources, options).results
    except TransformerError as exc:  # a refusal of the input is a message too
        return [Result(severity=None, message=str(exc))]  # type: ignore[arg-type]


@pytest.mark.parametrize("option_set", OPTION_SETS)
def test_no_message_holds_a_python_repr_and_none_is_said_twice(option_set: str) -> None:
    problems = []
    for name, sources, flags in _inputs():
        results = _said(sources, {**flags, **OPTION_SETS[option_set]})
        lines = [str(r) for r in results] + [r.message for r in results]
        problems += [f"{name}: {line}" for line in lines if REPR.search(line)]
        # a statement is made once, whatever hardenings it concerns (one about the whole
        # stream too: "no Gloo proxy container in the stream" for two hardenings of one scope)
        said = [(r.severity, r.resource, r.field, r.message, r.file, r.document, r.tag, r.guard)
                for r in results]
        problems += [f"{name}: said {said.count(s)} times: {s[3]}" for s in set(said)
                     if said.count(s) > 1]
    assert problems == []


def test_the_odd_stream_reaches_every_message_that_quotes_a_value() -> None:
    """The odd stream is read where it should be: else the test above proves nothing."""
    said = "\n".join(str(r) for text in (ODD, ODD_GLOO) for chosen in OPTION_SETS.values()
                     for r in _said([Source("odd.yaml", text.encode())], chosen))
    for expected in ('container "8080"', 'container "absent"', 'container "[istio-proxy]"',
                     'the writable paths of container "[istio-proxy]"',
                     "adds capabilities [NET_ADMIN, SYS_TIME] to the proxy",
                     'names GatewayParameters "42"', "names GatewayParameters -/[a, b]",
                     "discards the whole class-level GatewayParameters"):
        assert expected in said, expected
    default = "\n".join(map(str, _said([Source("odd.yaml", ODD.encode())], {})))
    assert default.count("discards the whole class-level GatewayParameters") == 1
