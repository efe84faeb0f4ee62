"""Where pod specs live in workload kinds (after checkov's container walker), and Argo
Rollouts' ``Rollout`` (https://argoproj.github.io/argo-rollouts/migrating/)."""

from __future__ import annotations

from typing import Any

#: kind → path of keys from the object root to its pod spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    # Argo Rollouts (argoproj.io/v1alpha1): a Deployment-shaped ``spec.template``; one with
    # ``spec.workloadRef`` instead has no pod spec (its Deployment's template is the pods')
    "Rollout": ("spec", "template", "spec"),
}


def mapping(value: Any) -> Any:
    """``value`` if it is a mapping, else an empty one: hand-written YAML may put a string or a
    list where Kubernetes wants an object, and reading it must not crash (found by fuzzing)."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    """``value`` if it is a list, else no items (a string would iterate by character)."""
    return value if isinstance(value, list) else []


def pod_spec(tree: Any, kind: str) -> tuple[Any, str] | None:
    """The pod spec mapping of a workload and its field path, or None if it has none."""
    keys = POD_SPEC_PATHS.get(kind)
    if keys is None:
        return None
    node = tree
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        return None
    return node, ".".join(keys)


def pod_labels(tree: Any, kind: str) -> dict[str, str]:
    """Labels of the pods a workload creates (the template's, or the Pod's own)."""
    return _pod_metadata(tree, kind, "labels")


def pod_annotations(tree: Any, kind: str) -> dict[str, str]:
    """Annotations of the pods a workload creates (the template's, or the Pod's own)."""
    return _pod_metadata(tree, kind, "annotations")


def _pod_metadata(tree: Any, kind: str, field: str) -> dict[str, str]:
    keys = POD_SPEC_PATHS.get(kind, ())[:-1] + ("metadata", field)
    node = tree
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in node.items()}


def containers(spec: Any) -> list[Any]:
    """The ``containers`` of a pod spec that are mappings (others are not ours to judge)."""
    items = spec.get("containers") if isinstance(spec, dict) else None
    return [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []
