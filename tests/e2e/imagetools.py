"""The KRM function image, built once per test session by ``image/build``, and how to run it.

Under pytest-xdist every worker asks for the image; the first builds it under a file lock and
the others find it built. Its tag is a hash of what goes into it (the package, patches, pyproject,
image/), so a change to the checkout is always in the image under test, and two sessions (two
worktrees on one machine) never run each other's image. podman is a required client:
missing, it fails the test under ``GLOO_HARDEN_REQUIRE_CLIENTS=1`` (CI) and skips it otherwise.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from krmtools import REPO, env

BUILD = REPO / "image" / "build"
SHIM_DIR = REPO / "image" / "shim"  # its `docker` runs podman: kustomize calls docker
INPUTS = ("transformer/gloo_harden", "patches", "pyproject.toml", "image")


def require(*names: str) -> None:
    """Fail (CI) or skip when a container tool is missing."""
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        message = f"{', '.join(missing)} not found on PATH (apt-get install podman runc mmdebstrap)"
        if os.environ.get("GLOO_HARDEN_REQUIRE_CLIENTS") == "1":
            pytest.fail(message)
        pytest.skip(message)


@functools.lru_cache(maxsize=1)
def containers_conf() -> str:
    """podman's configuration for this machine (``image/containers-conf``), unless set."""
    if os.environ.get("CONTAINERS_CONF"):
        return os.environ["CONTAINERS_CONF"]
    done = subprocess.run([str(REPO / "image" / "containers-conf")], capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


def image_env(**extra: str) -> dict[str, str]:
    """The clients' environment: podman configured, kpt told to use it, the docker shim first."""
    out = env(CONTAINERS_CONF=containers_conf(), KPT_FN_RUNTIME="podman", **extra)
    out["PATH"] = f"{SHIM_DIR}{os.pathsep}{out['PATH']}"
    return out


def checkout_hash() -> str:
    """A hash of every file that goes into the image."""
    digest = hashlib.sha256()
    for top in INPUTS:
        root = REPO / top
        for path in sorted([root] if root.is_file() else root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def build_once() -> str:
    """The reference of the image built from this checkout (once: later calls reuse it)."""
    require("podman", "runc", "mmdebstrap")
    tag = f"localhost/gloo-harden:e2e-{checkout_hash()}"
    with open(Path(tempfile.gettempdir()) / "gloo-harden-image.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time on this machine
        if podman("image", "exists", tag).returncode == 0:  # built from these very files
            return tag
        done = subprocess.run([str(BUILD), tag], capture_output=True, text=True,
                              env=image_env(), timeout=1800)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == tag, done.stdout
        return tag


def podman(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["podman", *args], input=stdin, capture_output=True,
                          env=image_env(), timeout=300, check=False)


def run_image(image: str, data: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    """``gloo-harden ARGS`` in the image, run as kpt and kustomize run a function: stdin in,
    stdout out, no network, user nobody."""
    return podman("run", "--rm", "-i", "--network", "none", "--user", "nobody",
                  "--security-opt=no-new-privileges", image, *args, stdin=data)
