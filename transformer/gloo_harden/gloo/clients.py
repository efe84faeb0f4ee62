"""Which client handed the stream over, when that decides what the stream can hold. An edge
module (it reads ``/proc``); the core only sees its answer, ``pipeline.Options.client``.

Helm 3 runs ``--post-renderer PATH`` as a child process with the rendered manifests on stdin,
sets no environment of its own for it, and hands it no hook documents (``helm.sh/hook``: they
are split off before the post-renderer runs; helm v3.21.4 ``pkg/action/action.go``
``renderResources``, helm/helm#7891; ``tests/e2e/test_helm3_post_renderer.py`` records it).
Helm 4 runs a ``postrenderer/v1`` plugin with ``HELM_PLUGIN_NAME`` set and sends hooks too,
each document annotated ``postrenderer.helm.sh/postrender-filename``; ``helm template |
gloo-harden`` sees everything. So a Helm 3 post-renderer is: an ancestor process (a wrapper
script may sit between) that is ``helm`` with a ``--post-renderer`` argument, and neither
Helm 4 sign.
"""

from __future__ import annotations

import os

HELM3_POST_RENDERER = "helm3-post-renderer"
HELM4_ANNOTATION = b"postrenderer.helm.sh/postrender-filename"
_ANCESTORS = 4  # helm → (wrapper scripts…) → gloo-harden


def detect(head: bytes) -> str | None:
    """``HELM3_POST_RENDERER`` when a Helm 3 ``--post-renderer`` runs us on a stream that
    begins with ``head``, else None (also off Linux, where there is no ``/proc`` to read)."""
    if HELM4_ANNOTATION in head or "HELM_PLUGIN_NAME" in os.environ:
        return None
    pid = os.getppid()
    for _ in range(_ANCESTORS):
        if pid <= 1:
            return None
        args = _cmdline(pid)
        if args and _is_helm(os.path.basename(args[0])):
            renders = any(a == "--post-renderer" or a.startswith("--post-renderer=")
                          for a in args)
            return HELM3_POST_RENDERER if renders else None
        pid = _parent(pid)
    return None


def _cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return [a.decode("utf-8", "replace") for a in handle.read().split(b"\0") if a]
    except OSError:
        return []


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            # "pid (comm) state ppid …": comm may hold spaces and parentheses
            return int(handle.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _is_helm(name: str) -> bool:
    """``helm``, also as installed side by side (``helm3``, ``helm-v3.21.4``); not helmfile."""
    return name == "helm" or (name.startswith("helm") and name[4:5] in ("3", "-", "."))
