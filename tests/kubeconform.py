"""An outside judge: kubeconform (Go, yannh/kubeconform) with offline schemas.

- Kubernetes: the JSON schemas the PyPI package ``kubernetes-validate`` bundles, made
  self-contained per kind (``k8s_schemas``; as ../shared/notes/container-image.md, Q5, found:
  pointed at them unmodified, kubeconform finds no schema at all).
- Custom resources: the CRDs in ``$GLOO_HARDEN_CRDS`` (default ``../shared/crds``), one folder
  per release, converted by kubeconform's own ``scripts/openapi2jsonschema.py`` from its Go
  module, named by full group so ``gateway.solo.io`` and ``gateway.networking.k8s.io``
  Gateways do not collide.

Built once into ``$GLOO_HARDEN_SCHEMAS`` (default ``~/.cache/gloo-harden-ci/schemas``), each
folder written aside and renamed into place, so parallel test workers share it. kubeconform
is ``$KUBECONFORM``, else on PATH, else in ``~/.cache/gloo-harden-ci/bin`` (``.ci/run``
installs it there). Strict mode: an unknown field is an error, as ``kubectl --validate=strict``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from conftest import REPO, unavailable

KUBERNETES_VERSION = "1.32.0"
KUBECONFORM_MODULE = "github.com/yannh/kubeconform"
KUBECONFORM_VERSION = "v0.8.0"
CACHE = Path.home() / ".cache" / "gloo-harden-ci"
CRDS = Path(os.environ.get("GLOO_HARDEN_CRDS") or REPO.parent / "shared" / "crds")
SCHEMAS = Path(os.environ.get("GLOO_HARDEN_SCHEMAS") or CACHE / "schemas")


class Finding(NamedTuple):
    """One thing kubeconform says is wrong with one object (a missing schema included)."""

    kind: str
    name: str
    path: str  # the JSON pointer of the invalid field; "" for the object as a whole
    message: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name} {self.path}: {self.message}".replace(" : ", ": ")


@functools.cache
def binary() -> str:
    candidates = [os.environ.get("KUBECONFORM", ""), shutil.which("kubeconform") or "",
                  str(CACHE / "bin" / "kubeconform")]
    for candidate in filter(None, candidates):
        if os.access(candidate, os.X_OK):
            return candidate
    unavailable("kubeconform not found ($KUBECONFORM, PATH or ~/.cache/gloo-harden-ci/bin); "
                f"go install {KUBECONFORM_MODULE}/cmd/kubeconform@{KUBECONFORM_VERSION}")


def _built(folder: Path, build: Any) -> Path:
    """``folder``, built by ``build(into)`` unless it is there already (atomically)."""
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        build(aside)
        os.rename(aside, folder)
    except OSError:
        if not folder.is_dir():
            raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)
    return folder


@functools.cache
def k8s_schemas() -> Path:
    """Self-contained Kubernetes schemas, kubeconform's layout (``vX.Y.Z-standalone-strict/``)."""
    try:
        import kubernetes_validate
    except ImportError:
        unavailable("the PyPI package kubernetes-validate is not installed (pip install -e "
                    "'.[test]')")
    source = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    version = f"v{KUBERNETES_VERSION}"
    return _built(SCHEMAS / f"k8s-{kubernetes_validate.__version__}",
                  lambda into: _standalone(source / f"{version}-local-strict",
                                           into / f"{version}-standalone-strict"))


def _standalone(source: Path, into: Path) -> None:
    """Each kind's schema with only the definitions it reaches, under its own ``$defs``: the
    bundled files point at one shared ``_definitions.json`` through an ``$id`` URL."""
    definitions = json.loads((source / "_definitions.json").read_text())["$defs"]
    into.mkdir(parents=True)
    for path in source.glob("*.json"):
        if path.name in ("_definitions.json", "all.json"):
            continue
        schema = json.loads(path.read_text())
        wanted = set(_localized(schema))
        own: dict[str, Any] = {}
        while wanted:
            name = wanted.pop()
            if name not in own:
                own[name] = json.loads(json.dumps(definitions[name]))
                wanted |= set(_localized(own[name])) - own.keys()
        if own:
            schema["$defs"] = own
        (into / path.name).write_text(json.dumps(schema, separators=(",", ":")))


def _localized(node: Any) -> Iterator[str]:
    """Make every ``$ref`` in ``node`` local (``#/$defs/NAME``) and drop ``$id``; yield NAMEs."""
    if isinstance(node, dict):
        node.pop("$id", None)
        ref = node.get("$ref")
        if isinstance(ref, str) and "#/$defs/" in ref:
            name = ref.rsplit("/", 1)[1]
            node["$ref"] = f"#/$defs/{name}"
            yield name
        for value in node.values():
            yield from _localized(value)
    elif isinstance(node, list):
        for value in node:
            yield from _localized(value)


@functools.cache
def crd_sets() -> tuple[str, ...]:
    """The CRD folders (one per release), or the test cannot judge custom resources."""
    if not CRDS.is_dir() or not any(CRDS.glob("*/*.yaml")):
        unavailable(f"no CRDs at {CRDS}: set GLOO_HARDEN_CRDS (default ../shared/crds)")
    return tuple(sorted(p.name for p in CRDS.iterdir() if p.is_dir()))


@functools.cache
def crd_schemas(name: str) -> Path:
    files = sorted((CRDS / name).glob("*.yaml"))
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()[:16]
    return _built(SCHEMAS / f"crd-{name}-{digest}", lambda into: _convert(files, into))


def _convert(files: list[Path], into: Path) -> None:
    done = subprocess.run(["go", "mod", "download", "-json",
                           f"{KUBECONFORM_MODULE}@{KUBECONFORM_VERSION}"],
                          capture_output=True, text=True, cwd=into, timeout=600, check=False)
    if done.returncode != 0:
        unavailable(f"go mod download {KUBECONFORM_MODULE}: {done.stderr.strip()}")
    script = Path(json.loads(done.stdout)["Dir"]) / "scripts" / "openapi2jsonschema.py"
    subprocess.run([sys.executable, str(script), *map(str, files)], cwd=into, check=True,
                   capture_output=True, timeout=600,
                   env={**os.environ, "FILENAME_FORMAT": "{fullgroup}_{kind}_{version}"})


def crd_order(text: str) -> list[str]:
    """The CRD folders to look in for a render, the release it comes from first: kgateway,
    else Gloo's (by the version of its images), then the others for kinds it lacks."""
    sets = list(crd_sets())
    if "gateway.kgateway.dev/" in text:
        first = "kgateway"
    else:
        version = re.search(r"solo-io/gloo[\w-]*:v?1\.(\d+)", text)
        first = "gloo-1.22" if version and int(version.group(1)) >= 22 else "gloo-1.17"
    return sorted(sets, key=lambda name: not name.startswith(first))


def validate(path: Path, crd_text: str | None = None) -> tuple[int, list[Finding]]:
    """kubeconform's verdict on ``path``: how many objects it saw, and every finding."""
    locations = ["-schema-location", str(k8s_schemas()) + "/{{ .NormalizedKubernetesVersion }}"
                 "-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"]
    for name in crd_order(crd_text if crd_text is not None else path.read_text()):
        locations += ["-schema-location", str(crd_schemas(name)) +
                      "/{{ .Group }}_{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"]
    done = subprocess.run([binary(), "-kubernetes-version", KUBERNETES_VERSION, "-strict",
                           "-output", "json", "-verbose", *locations, str(path)],
                          capture_output=True, text=True, timeout=600, check=False)
    try:
        resources = json.loads(done.stdout)["resources"] or []
    except (ValueError, KeyError):
        raise AssertionError(f"kubeconform: {done.stdout}{done.stderr}") from None
    resources = [r for r in resources if r["status"] not in ("", "statusEmpty")]  # no object
    findings: list[Finding] = []
    for resource in resources:
        if resource["status"] == "statusValid":
            continue
        errors = resource.get("validationErrors") or [{"path": "", "msg": resource["msg"]}]
        findings += [Finding(resource["kind"], resource["name"], e["path"], e["msg"])
                     for e in errors]
    return len(resources), findings
