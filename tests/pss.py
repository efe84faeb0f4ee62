"""An offline reading of the Pod Security Standards ("latest", Kubernetes ~1.33) for tests.

Written after ../shared/notes/security-anchors-lab/pss_check.py (whose lists of capabilities,
sysctls, volume types and SELinux types follow the pod-security-admission library's
``policy/`` sources), as a typed helper that returns violations per container instead of
printing. It is a regression guard for our own output, not an authority: the real judge is
PodSecurity admission, and tests/e2e/test_pod_security_admission.py holds this reading to it on
the same inputs (every corpus workload hardened with ``--profile restricted``, and the unhardened
gloo 1.22.1 render): the controls named here must be exactly those the admission names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

BASELINE_CAPS = frozenset({"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
                           "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP",
                           "SETUID", "SYS_CHROOT"})
RESTRICTED_VOLUMES = frozenset({"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                                "image", "persistentVolumeClaim", "projected", "secret"})
SECCOMP_OK = ("RuntimeDefault", "Localhost")
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
TEMPLATE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
                  "ReplicationController")


@dataclass(frozen=True)
class Violation:
    resource: str  # "Kind namespace/name"
    control: str
    container: str | None  # None: a pod-level control
    detail: str = ""


def pod_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec") or {})
    elif kind not in TEMPLATE_KINDS:
        return None
    return (spec.get("template") or {}).get("spec") or {}


def _containers(pod: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for field in CONTAINER_LISTS:
        yield from (c for c in pod.get(field) or [] if isinstance(c, dict))


def check(obj: dict[str, Any], level: str = "restricted") -> list[Violation]:
    """Every violation of ``level`` ("baseline" or "restricted") in one object's pod."""
    pod = pod_of(obj)
    if pod is None:
        return []
    meta = obj.get("metadata") or {}
    ref = f"{obj.get('kind')} {meta.get('namespace') or '-'}/{meta.get('name')}"
    found = list(_baseline(pod))
    if level == "restricted":
        found += list(_restricted(pod))
    return [Violation(ref, control, container, detail) for control, container, detail in found]


def _baseline(pod: dict[str, Any]) -> Iterator[tuple[str, str | None, str]]:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(key) is True:
            yield "hostNamespaces", None, key
    for volume in pod.get("volumes") or []:
        if "hostPath" in volume:
            yield "hostPathVolumes", None, str(volume.get("name"))
    if ((pod.get("securityContext") or {}).get("seccompProfile") or {}).get("type") == "Unconfined":
        yield "seccompProfile", None, "Unconfined"
    for c in _containers(pod):
        name, sc = str(c.get("name")), c.get("securityContext") or {}
        if sc.get("privileged") is True:
            yield "privileged", name, ""
        extra = [a for a in (sc.get("capabilities") or {}).get("add") or [] if a not in BASELINE_CAPS]
        if extra:
            yield "capabilities", name, f"adds {extra}"
        for port in c.get("ports") or []:
            if port.get("hostPort"):
                yield "hostPorts", name, str(port["hostPort"])
        if (sc.get("seccompProfile") or {}).get("type") == "Unconfined":
            yield "seccompProfile", name, "Unconfined"


def _restricted(pod: dict[str, Any]) -> Iterator[tuple[str, str | None, str]]:
    psc = pod.get("securityContext") or {}
    for volume in pod.get("volumes") or []:
        kinds = [k for k in volume if k != "name"]
        if not any(k in RESTRICTED_VOLUMES for k in kinds):
            yield "restrictedVolumes", None, str(volume.get("name"))
    if psc.get("runAsNonRoot") is False:
        yield "runAsNonRoot", None, "pod runAsNonRoot false"
    if psc.get("runAsUser") == 0:
        yield "runAsUser", None, "pod runAsUser 0"
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    for c in _containers(pod):
        name, sc = str(c.get("name")), c.get("securityContext") or {}
        caps = sc.get("capabilities") or {}
        if sc.get("allowPrivilegeEscalation") is not False:
            yield "allowPrivilegeEscalation", name, ""
        non_root = sc.get("runAsNonRoot")
        if non_root is False or (non_root is None and psc.get("runAsNonRoot") is not True):
            yield "runAsNonRoot", name, ""
        if sc.get("runAsUser") == 0:
            yield "runAsUser", name, "0"
        seccomp = (sc.get("seccompProfile") or {}).get("type")
        if seccomp not in SECCOMP_OK and not (seccomp is None and pod_seccomp in SECCOMP_OK):
            yield "seccompProfile", name, str(seccomp or pod_seccomp)
        if "ALL" not in [str(x) for x in caps.get("drop") or []]:
            yield "capabilities", name, "does not drop ALL"
        extra = [str(x) for x in caps.get("add") or [] if str(x) != "NET_BIND_SERVICE"]
        if extra:
            yield "capabilities", name, f"adds {extra}"
