"""Argo CD's sync order (gitops-engine), shared by the validate rules and ``gigrouter plan``.

Inside one Application, tasks are sorted by phase (PreSync, Sync, PostSync, SyncFail), wave,
kind rank and name. Hooks are recognised from ``argocd.argoproj.io/hook`` or, when that is
absent, from ``helm.sh/hook``; the wave comes from ``argocd.argoproj.io/sync-wave`` or else
``helm.sh/hook-weight``, parsed like Go's ``strconv.Atoi``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gigrouter.validate.context import dig
from gigrouter.validate.tree import AppInfo, Document

HOOK = "argocd.argoproj.io/hook"
HOOK_DELETE_POLICY = "argocd.argoproj.io/hook-delete-policy"
WAVE = "argocd.argoproj.io/sync-wave"
HELM_HOOK = "helm.sh/hook"
HELM_WEIGHT = "helm.sh/hook-weight"
HELM_DELETE_POLICY = "helm.sh/hook-delete-policy"
PHASES = {"PreSync": -1, "Sync": 0, "PostSync": 1, "SyncFail": 2}
HOOK_TYPES = {*PHASES, "Skip", "PreDelete", "PostDelete"}
HELM_PHASES = {
    "pre-install": "PreSync",
    "pre-upgrade": "PreSync",
    "post-install": "PostSync",
    "post-upgrade": "PostSync",
}
DELETE_POLICIES = ("HookSucceeded", "HookFailed", "BeforeHookCreation")
HELM_DELETE_POLICIES = {
    "hook-succeeded": "HookSucceeded",
    "hook-failed": "HookFailed",
    "before-hook-creation": "BeforeHookCreation",
}
DEFAULT_DELETE_POLICY = "BeforeHookCreation"
# gitops-engine's kind order (from Helm's install order); other kinds rank 0, after these.
KIND_ORDER = [
    "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
    "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap",
    "StorageClass", "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition",
    "ClusterRole", "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role",
    "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
    "ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler",
    "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
]  # fmt: skip
KIND_RANK = {kind: i - len(KIND_ORDER) for i, kind in enumerate(KIND_ORDER)}
_ATOI = re.compile(r"^[+-]?[0-9]+$")


def atoi(value: object) -> int | None:
    """Go's strconv.Atoi as Argo CD uses it for waves; None where it would fail (silently)."""
    if not isinstance(value, str) or not _ATOI.fullmatch(value):
        return None
    number = int(value)
    return number if -(2**63) <= number < 2**63 else None


def phase_name(rank: int) -> str:
    return next(name for name, r in PHASES.items() if r == rank)


@dataclass(frozen=True, order=True)
class Step:
    """Where an object is applied in its Application's sync: (phase, wave)."""

    phase: int
    wave: int

    def describe(self) -> str:
        return f"{phase_name(self.phase)} phase, wave {self.wave}"


def _split(value: object) -> list[str]:
    return [t.strip() for t in str(value).split(",") if t.strip()]


def phases(doc: Document) -> list[str]:
    """The sync phases an object runs in; [] when it is skipped or an ignored hook."""
    ann = doc.annotations
    if HOOK in ann:
        types = _split(ann[HOOK])
        known = [t for t in types if t in PHASES]
        return known
    if HELM_HOOK in ann and str(ann[HELM_HOOK]).strip() != "crd-install":
        mapped = {HELM_PHASES[t] for t in _split(ann[HELM_HOOK]) if t in HELM_PHASES}
        return sorted(mapped, key=PHASES.__getitem__)
    return ["Sync"]


def wave(doc: Document) -> int:
    ann = doc.annotations
    for key in (WAVE, HELM_WEIGHT):
        parsed = atoi(ann.get(key))
        if parsed is not None:
            return parsed
    return 0


def step(doc: Document) -> Step | None:
    found = phases(doc)
    return Step(PHASES[found[0]], wave(doc)) if found else None


def order_key(doc: Document) -> tuple[int, int, int, str] | None:
    s = step(doc)
    if s is None:
        return None
    return (s.phase, s.wave, KIND_RANK.get(doc.kind, 0), doc.name)


def is_hook(doc: Document) -> bool:
    ann = doc.annotations
    return HOOK in ann or (HELM_HOOK in ann and str(ann[HELM_HOOK]).strip() != "crd-install")


def hook_source(doc: Document) -> str | None:
    """'argocd' or 'helm' for a hook (whose annotation decides its phases), None otherwise."""
    if HOOK in doc.annotations:
        return "argocd"
    return "helm" if is_hook(doc) else None


def delete_policies(doc: Document) -> tuple[tuple[str, ...], bool]:
    """A hook's delete policies (Argo CD's and Helm's, mapped) and whether none was set, in
    which case gitops-engine uses BeforeHookCreation."""
    ann = doc.annotations
    found: set[str] = set()
    if HOOK_DELETE_POLICY in ann:
        found.update(p for p in _split(ann[HOOK_DELETE_POLICY]) if p in DELETE_POLICIES)
    if HELM_DELETE_POLICY in ann:
        found.update(
            HELM_DELETE_POLICIES[p]
            for p in _split(ann[HELM_DELETE_POLICY])
            if p in HELM_DELETE_POLICIES
        )
    if not found:
        return (DEFAULT_DELETE_POLICY,), True
    return tuple(p for p in DELETE_POLICIES if p in found), False


def sync_options(app: AppInfo) -> set[str]:
    options = dig(app.document, "spec", "syncPolicy", "syncOptions")
    return {str(o) for o in options} if isinstance(options, list) else set()
