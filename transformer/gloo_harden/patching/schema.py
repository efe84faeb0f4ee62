"""Merge keys of the Kubernetes types a Gloo install uses, as apimachinery declares them.

Each type maps a field to ``(child type, merge key)``: a list field with a merge key is merged
element by element; a list field with the ``None`` key is a primitive list merged as a set
(``patchStrategy: merge`` without a key); a list field not named here is replaced, as is every
list of a custom resource, because CRDs carry no merge keys.
"""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

from typing import NamedTuple


class FieldInfo(NamedTuple):
    type: str | None
    merge_key: str | None = None
    strategy: str = ""  # "merge" for lists with patchStrategy merge; "retainKeys" for maps


_CONTAINER = {
    "ports": FieldInfo(None, "containerPort", "merge"),
    "env": FieldInfo("EnvVar", "name", "merge"),
    "volumeMounts": FieldInfo(None, "mountPath", "merge"),
    "volumeDevices": FieldInfo(None, "devicePath", "merge"),
    "resizePolicy": FieldInfo(None, None),
    "securityContext": FieldInfo("SecurityContext"),
    "resources": FieldInfo(None),
}

SCHEMA: dict[str, dict[str, FieldInfo]] = {
    "Workload": {
        "metadata": FieldInfo("ObjectMeta"),
        "spec": FieldInfo("WorkloadSpec"),
    },
    "WorkloadSpec": {
        "template": FieldInfo("PodTemplate"),
        "jobTemplate": FieldInfo("JobTemplate"),
        "strategy": FieldInfo(None, None, "retainKeys"),
        "updateStrategy": FieldInfo(None, None, "retainKeys"),
    },
    "JobTemplate": {"metadata": FieldInfo("ObjectMeta"), "spec": FieldInfo("WorkloadSpec")},
    "PodTemplate": {"metadata": FieldInfo("ObjectMeta"), "spec": FieldInfo("PodSpec")},
    "Pod": {"metadata": FieldInfo("ObjectMeta"), "spec": FieldInfo("PodSpec")},
    "ObjectMeta": {
        "finalizers": FieldInfo(None, None, "merge"),
        "ownerReferences": FieldInfo(None, "uid", "merge"),
    },
    "PodSpec": {
        "containers": FieldInfo("Container", "name", "merge"),
        "initContainers": FieldInfo("Container", "name", "merge"),
        "ephemeralContainers": FieldInfo("Container", "name", "merge"),
        "volumes": FieldInfo("Volume", "name", "merge"),
        "imagePullSecrets": FieldInfo(None, "name", "merge"),
        "hostAliases": FieldInfo(None, "ip", "merge"),
        "topologySpreadConstraints": FieldInfo(None, "topologyKey", "merge"),
        "resourceClaims": FieldInfo(None, "name", "merge"),
        "schedulingGates": FieldInfo(None, "name", "merge"),
        "securityContext": FieldInfo("PodSecurityContext"),
    },
    "Volume": {},
    "Container": _CONTAINER,
    "EnvVar": {},
    "SecurityContext": {"capabilities": FieldInfo("Capabilities")},
    "Capabilities": {},
    "PodSecurityContext": {},
    "ServiceAccount": {
        "metadata": FieldInfo("ObjectMeta"),
        "secrets": FieldInfo(None, "name", "merge"),
    },
    "Service": {"metadata": FieldInfo("ObjectMeta"), "spec": FieldInfo("ServiceSpec")},
    "ServiceSpec": {"ports": FieldInfo(None, "port", "merge")},
    "ConfigMap": {"metadata": FieldInfo("ObjectMeta")},
    "CustomResource": {"metadata": FieldInfo("ObjectMeta")},
}

#: kind → schema type of a whole object of that kind (anything else is a custom resource).
KIND_TYPES: dict[str, str] = {
    "Deployment": "Workload",
    "DaemonSet": "Workload",
    "StatefulSet": "Workload",
    "ReplicaSet": "Workload",
    "Job": "Workload",
    "CronJob": "Workload",
    "Pod": "Pod",
    "ServiceAccount": "ServiceAccount",
    "Service": "Service",
    "ConfigMap": "ConfigMap",
    "Secret": "ConfigMap",
}


def field_info(type_name: str | None, key: str) -> FieldInfo:
    """What the schema says about ``key`` inside ``type_name`` (unknown: no merge semantics)."""
    if type_name is None:
        return FieldInfo(None)
    return SCHEMA.get(type_name, {}).get(key, FieldInfo(None))
