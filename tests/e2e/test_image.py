"""The KRM function image (image/build) under the real clients, against the exec route.

The image is built once per session from this checkout (``imagetools.build_once``). Every
client route runs it as production does — ``kpt fn eval --image`` (a package directory and
stdin), ``kpt fn render`` with a Kptfile ``image:`` mutator and validator, standalone
``kustomize`` and ``kubectl kustomize`` with a ``container:`` function — and its answer must
be the exec route's, byte for byte, and idempotent. On every corpus file the image's answer
(plain stream and ResourceList) is the installed script's, byte for byte.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

from conftest import corpus_files, needs_corpus, run_tool
from imagetools import build_once, image_env, podman, run_image
from krmtools import HOST_NETWORK, PACKAGE, REPO, client, commit, diff, package

pytestmark = pytest.mark.e2e

PATCHES = REPO / "examples" / "user-patches" / "patches"
#: 110 MB, uncompressed, as podman counts (decimal megabytes)
SIZE_LIMIT = 110_000_000


@pytest.fixture(scope="module")
def image() -> str:
    return build_once()


def kpt(*args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([client("kpt"), *map(str, args)], capture_output=True, text=True,
                          input=stdin, env=image_env(), timeout=600, check=False)


def kustomize(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*map(str, args)], capture_output=True, text=True, env=image_env(),
                          timeout=600, check=False)


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".git" not in p.parts}


def resource_list(text: str) -> bytes:
    """``text``'s objects as the items of a ResourceList, in kpt's compact shape (a document
    with nothing but comments is no object)."""
    docs = re.split(r"(?m)^---[^\n]*\n", text.replace("\r\n", "\n"))
    objects = [d for d in docs if any(line.strip() and not line.lstrip().startswith("#")
                                      for line in d.splitlines())]
    items = "".join("- " + "\n".join(("  " if i and line else "") + line for i, line
                                      in enumerate(d.rstrip("\n").split("\n"))) + "\n"
                    for d in objects)
    return ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
            + items).encode()


def test_the_image_is_small_non_root_and_labelled(image: str) -> None:
    done = podman("image", "inspect", image)
    assert done.returncode == 0, done.stderr
    (info,) = json.loads(done.stdout)
    config = info["Config"]
    assert config["User"] == "65534:65534"
    assert config["Entrypoint"] == ["/usr/local/bin/gloo-harden"]
    labels = config["Labels"]
    assert labels["org.opencontainers.image.version"] == metadata.version("gloo-harden")
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    assert labels["org.opencontainers.image.source"]
    assert "Gloo" in labels["org.opencontainers.image.description"]
    assert info["Size"] <= SIZE_LIMIT, f"{info['Size'] / 1e6:.1f} MB"
    version = run_image(image, b"", "--version")
    assert version.stdout.decode() == f"gloo-harden, version {metadata.version('gloo-harden')}\n"
    whoami = podman("run", "--rm", "--entrypoint", "/usr/bin/id", image, "-u")
    assert whoami.stdout.decode().strip() == "65534"


@needs_corpus
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_the_image_answers_as_the_exec_route_on_every_corpus_file(image: str,
                                                                   path: Path) -> None:
    text = path.read_text()
    for data in (text.encode(), resource_list(text)):
        by_exec = run_tool(input=data)
        by_image = run_image(image, data)
        assert (by_image.returncode, by_image.stdout, by_image.stderr) == \
            (by_exec.returncode, by_exec.stdout, by_exec.stderr)
        assert by_image.returncode in (0, 1), by_image.stderr
        assert (b"kind: ResourceList" in by_image.stdout) is (data != text.encode())
    plain = run_image(image, text.encode()).stdout
    again = run_image(image, plain)
    assert again.stdout == plain  # idempotent through the image


def test_kpt_eval_image_on_a_package_equals_exec(image: str, tmp_path: Path) -> None:
    by_exec = package(PACKAGE, tmp_path / "exec")
    by_image = package(PACKAGE, tmp_path / "image")
    config = REPO / "examples" / "kpt-eval" / "harden.yaml"
    done = kpt("fn", "eval", by_exec, "--exec", "gloo-harden", "--fn-config", config)
    assert done.returncode == 0, done.stderr
    done = kpt("fn", "eval", by_image, "--image", image, "--image-pull-policy", "never",
               "--fn-config", config)
    assert done.returncode == 0, done.stderr
    assert diff(by_image) != "" and tree(by_image) == tree(by_exec)
    commit(by_image)
    again = kpt("fn", "eval", by_image, "--image", image, "--image-pull-policy", "never",
                "--fn-config", config)
    assert again.returncode == 0 and diff(by_image) == ""


@needs_corpus
@pytest.mark.parametrize("name", ["gloo-1.17.0-kubegateway.yaml", "gloo-1.13.0-istio-sds.yaml"])
def test_kpt_eval_image_on_stdin_equals_exec(image: str, name: str) -> None:
    text = (REPO.parent / "shared" / "corpus" / name).read_text()
    by_exec = kpt("fn", "eval", "-", "--exec", "gloo-harden", "-o", "unwrap", stdin=text)
    by_image = kpt("fn", "eval", "-", "--image", image, "--image-pull-policy", "never",
                   "-o", "unwrap", stdin=text)
    assert by_image.returncode == by_exec.returncode == 0, by_image.stderr
    assert by_image.stdout == by_exec.stdout and by_image.stdout != text
    again = kpt("fn", "eval", "-", "--image", image, "--image-pull-policy", "never",
                "-o", "unwrap", stdin=by_image.stdout)
    assert again.returncode == 0 and again.stdout == by_image.stdout


def test_kpt_eval_image_reads_patch_folders_from_a_mount(image: str, tmp_path: Path) -> None:
    by_exec = package(PACKAGE, tmp_path / "exec")
    by_image = package(PACKAGE, tmp_path / "image")
    done = kpt("fn", "eval", by_exec, "--exec", "gloo-harden", "--", f"patches={PATCHES}")
    assert done.returncode == 0, done.stderr
    done = kpt("fn", "eval", by_image, "--image", image, "--image-pull-policy", "never",
               "--mount", f"type=bind,src={PATCHES},dst=/patches", "--", "patches=/patches")
    assert done.returncode == 0, done.stderr
    assert "memory: 1Gi" in diff(by_image) and tree(by_image) == tree(by_exec)
    unmounted = kpt("fn", "eval", package(PACKAGE, tmp_path / "unmounted"), "--image", image,
                    "--image-pull-policy", "never", "--", "patches=/patches")
    assert unmounted.returncode != 0
    assert '"/patches" is not a directory' in unmounted.stderr
    assert "a mounted folder" in unmounted.stderr


KPTFILE = """\
apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: gloo-gateway
  annotations:
    config.kubernetes.io/local-config: "true"
pipeline:
{mutators}{validators}"""


def kptfile(image: str | None, config: dict[str, str], mutator: bool = True) -> str:
    """A Kptfile running gloo-harden by ``image`` (else exec) with the ConfigMap ``config``:
    a mutator (unless not ``mutator``) and the same function with ``check: true`` as the
    validator."""
    function = f"image: {image}" if image else "exec: gloo-harden"

    def step(data: dict[str, str]) -> str:
        lines = "".join(f'        {key}: "{value}"\n' for key, value in data.items())
        return f"    - {function}\n" + (f"      configMap:\n{lines}" if lines else "")

    mutators = f"  mutators:\n{step(config)}" if mutator else ""
    return KPTFILE.format(mutators=mutators,
                          validators=f"  validators:\n{step({**config, 'check': 'true'})}")


def render(pkg: Path, image: bool) -> subprocess.CompletedProcess[str]:
    flag = ("--image-pull-policy", "never") if image else ("--allow-exec",)
    return kpt("fn", "render", pkg, *flag)


def test_kpt_render_image_mutator_and_validator_equal_exec(image: str, tmp_path: Path) -> None:
    strict = {"strict": "true", "disable": "disable-kubernetes-destinations"}
    by_image = _rendered_alike(tmp_path, (image, strict), strict)
    assert "readOnlyRootFilesystem: true" in diff(by_image)
    commit(by_image)
    again = render(by_image, image=True)  # the validator passes and nothing changes
    assert again.returncode == 0, again.stderr
    assert diff(by_image) == ""


def test_kpt_render_takes_patches_from_a_derived_image(image: str, tmp_path: Path) -> None:
    """Where nothing can be mounted (a Kptfile): an image FROM ours with the patches copied in,
    as image/README.md says, answers as the exec route with --patches does."""
    context = tmp_path / "context"
    shutil.copytree(PATCHES, context / "patches")
    (context / "Containerfile").write_text(f"FROM {image}\nCOPY patches /patches\n")
    derived = f"{image}-acme"
    built = podman("build", "-q", "--network", "none", "--pull=never", "-t", derived,
                   str(context))
    assert built.returncode == 0, built.stderr
    try:
        by_image = _rendered_alike(tmp_path, (derived, {"patches": "/patches"}),
                                   {"patches": str(PATCHES)})
        assert "memory: 1Gi" in diff(by_image)
    finally:
        podman("rmi", derived)


@pytest.mark.parametrize("case", ["validator finds work left", "strict mutator refuses"])
def test_kpt_render_refusal_fails_and_leaves_the_package(image: str, tmp_path: Path,
                                                         case: str) -> None:
    if case == "validator finds work left":
        pkg = package(PACKAGE, tmp_path / "pkg")
        (pkg / "Kptfile").write_text(kptfile(image, {}, mutator=False))
        expected = "would be hardened"
    else:  # a proxy that binds port 80 on the host network keeps NET_BIND_SERVICE
        pkg = package(HOST_NETWORK, tmp_path / "pkg")
        (pkg / "Kptfile").write_text(kptfile(image, {"strict": "true"}))
        expected = "1 kept by a guard"
    commit(pkg)
    done = render(pkg, image=True)
    assert done.returncode != 0
    assert expected in done.stderr
    assert diff(pkg) == ""


FUNCTION = """\
apiVersion: gloo-harden.dev/v1alpha1
kind: GlooHardening
metadata:
  name: gloo-harden
  annotations:
    config.kubernetes.io/function: |
{function}
spec:
  disable: [disable-kubernetes-destinations]
"""


def kustomization(folder: Path, function: str, *resources: Path) -> Path:
    folder.mkdir(parents=True)
    for path in resources:
        shutil.copy(path, folder / path.name)
    (folder / "harden.yaml").write_text(FUNCTION.format(function=function))
    names = ", ".join(p.name for p in resources)
    (folder / "kustomization.yaml").write_text(f"resources: [{names}]\n"
                                               "transformers: [harden.yaml]\n")
    return folder


def test_kustomize_container_function_equals_exec(image: str, tmp_path: Path) -> None:
    resources = sorted(PACKAGE.glob("*.yaml"))
    exec_dir = kustomization(tmp_path / "exec", "      exec:\n        path: gloo-harden",
                             *resources)
    image_dir = kustomization(tmp_path / "image", f"      container:\n        image: {image}",
                              *resources)
    standalone = client("kustomize")
    by_exec = kustomize(standalone, "build", "--enable-alpha-plugins", "--enable-exec", exec_dir)
    assert by_exec.returncode == 0, by_exec.stderr
    by_image = kustomize(standalone, "build", "--enable-alpha-plugins", image_dir)
    assert by_image.returncode == 0, by_image.stderr
    assert by_image.stdout == by_exec.stdout and "readOnlyRootFilesystem: true" in by_image.stdout
    by_kubectl = kustomize(client("kubectl"), "kustomize", "--enable-alpha-plugins", image_dir)
    assert by_kubectl.returncode == 0, by_kubectl.stderr
    assert by_kubectl.stdout == by_image.stdout
    (tmp_path / "hardened.yaml").write_text(by_image.stdout)
    again_dir = kustomization(tmp_path / "again", f"      container:\n        image: {image}",
                              tmp_path / "hardened.yaml")
    again = kustomize(standalone, "build", "--enable-alpha-plugins", again_dir)
    assert again.returncode == 0 and again.stdout == by_image.stdout
    again = kustomize(client("kubectl"), "kustomize", "--enable-alpha-plugins", again_dir)
    assert again.returncode == 0 and again.stdout == by_image.stdout


def run_example(script: Path, image: str) -> list[str]:
    done = subprocess.run([str(script)], capture_output=True,
                          text=True, env=image_env(GLOO_HARDEN_IMAGE=image), timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.splitlines()


def test_kpt_image_example(image: str) -> None:
    shown = run_example(REPO / "examples" / "kpt-image" / "run.sh", image)
    assert "+          readOnlyRootFilesystem: true" in shown
    assert shown[shown.index("second render: no change") + 1:] == [
        "would be hardened", "unhardened package left as it was",
        "user patches applied from /patches"]


def test_kustomize_container_example(image: str) -> None:
    shown = run_example(REPO / "examples" / "kustomize-container" / "run.sh", image)
    assert "+automountServiceAccountToken: false" in shown
    assert shown[-2:] == ["kubectl kustomize: same output", "second build: no change"]


def test_examples_name_the_image_image_build_makes_by_default() -> None:
    default = f"localhost/gloo-harden:{metadata.version('gloo-harden')}"
    for path in [*(REPO / "examples").glob("*/package/Kptfile"),
                 *(REPO / "examples").glob("*/gloo-harden.yaml"), REPO / "image" / "README.md"]:
        named = set(re.findall(r"localhost/gloo-harden:[\w.]+", path.read_text()))
        assert named <= {default}, path


def _rendered_alike(tmp_path: Path, by_image: tuple[str, dict[str, str]],
                    exec_config: dict[str, str]) -> Path:
    """``kpt fn render`` of the package with the image (``(reference, config)``) and with the
    exec function (``exec_config``): both succeed and agree on every file but the Kptfile.
    Returns the image-rendered package."""
    reference, image_config = by_image
    packages = {image: package(PACKAGE, tmp_path / ("image" if image else "exec"))
                for image in (False, True)}
    packages[False].joinpath("Kptfile").write_text(kptfile(None, exec_config))
    packages[True].joinpath("Kptfile").write_text(kptfile(reference, image_config))
    for image, folder in packages.items():
        commit(folder)
        done = render(folder, image=image)
        assert done.returncode == 0, done.stderr
    rendered = [{k: v for k, v in tree(folder).items() if k != "Kptfile"}
                for folder in packages.values()]
    assert rendered[0] == rendered[1]
    return packages[True]
