"""The workload catalogue's views: what each object of a workload holds (its companions:
ServiceAccount, ConfigMaps, SecretStore, ExternalSecrets; the workload itself; then Service,
Ingress, HPA, PDB, NetworkPolicy and extra manifests). An application's own workload is one
file, a preset's instances go to the seed's files (``layout.presets``).

Each object is rendered by its own template under ``templates/workloads/``; which objects exist
and what each template receives is the registry's table (``layout.registry``), read by the
layout and the docs alike. Views write the Kubernetes API's field names; templates give the
objects their shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gigrouter.layout.files import (
    container_view,
    ingress_view,
    probe_dict,
    wave_annotation,
)
from gigrouter.layout.secrets import store_context
from gigrouter.model import IngressSpec, Platform, WorkloadSpec
from gigrouter.model.catalogue import (
    ContainerSpec,
    PodSecurityContext,
    SeccompProfile,
    SecurityContext,
    Volume,
    VolumeClaimTemplate,
    WorkloadExternalSecret,
)

HOOK_DELETE_POLICY = "BeforeHookCreation"


def _drop_none(items: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in items.items() if v is not None and v != [] and v != {}}


def _seccomp(profile: SeccompProfile | None) -> dict[str, Any] | None:
    if profile is None:
        return None
    return _drop_none({"type": profile.type, "localhostProfile": profile.localhost_profile})


def security_context(sc: SecurityContext | None) -> dict[str, Any] | None:
    if sc is None:
        return None
    caps = None
    if sc.capabilities is not None:
        caps = _drop_none({"add": list(sc.capabilities.add), "drop": list(sc.capabilities.drop)})
    return _drop_none(
        {
            "runAsUser": sc.run_as_user,
            "runAsGroup": sc.run_as_group,
            "runAsNonRoot": sc.run_as_non_root,
            "readOnlyRootFilesystem": sc.read_only_root_filesystem,
            "allowPrivilegeEscalation": sc.allow_privilege_escalation,
            "privileged": sc.privileged,
            "capabilities": caps,
            "seccompProfile": _seccomp(sc.seccomp_profile),
        }
    )


def pod_security_context(sc: PodSecurityContext | None) -> dict[str, Any] | None:
    if sc is None:
        return None
    return _drop_none(
        {
            "runAsUser": sc.run_as_user,
            "runAsGroup": sc.run_as_group,
            "runAsNonRoot": sc.run_as_non_root,
            "fsGroup": sc.fs_group,
            "seccompProfile": _seccomp(sc.seccomp_profile),
        }
    )


def container(c: ContainerSpec, name: str) -> dict[str, Any]:
    """One container as the Kubernetes API writes it."""
    default_port: int | str = c.ports[0].container_port if c.ports else 0
    base = container_view(c)
    ports = [
        _drop_none({"name": p.name, "containerPort": p.container_port, "protocol": p.protocol})
        for p in c.ports
    ]
    mounts = [
        _drop_none(
            {
                "name": m.name,
                "mountPath": m.mount_path,
                "subPath": m.sub_path,
                "readOnly": True if m.read_only else None,
            }
        )
        for m in c.volume_mounts
    ]
    return _drop_none(
        {
            "name": name,
            "image": c.image,
            "imagePullPolicy": c.image_pull_policy,
            "command": base["command"],
            "args": base["args"],
            "ports": ports,
            "envFrom": base["env_from"],
            "env": base["env"],
            "resources": base["resources"],
            "readinessProbe": probe_dict(c.readiness_probe, default_port),
            "livenessProbe": probe_dict(c.liveness_probe, default_port),
            "startupProbe": probe_dict(c.startup_probe, default_port),
            "volumeMounts": mounts,
            "securityContext": security_context(c.security_context),
        }
    )


def volume(v: Volume) -> dict[str, Any]:
    if v.config_map is not None:
        source = {"configMap": _drop_none({"name": v.config_map, "optional": v.optional})}
    elif v.secret is not None:
        source = {"secret": _drop_none({"secretName": v.secret, "optional": v.optional})}
    elif v.empty_dir is not None:
        source = {
            "emptyDir": _drop_none(
                {"medium": v.empty_dir.medium or None, "sizeLimit": v.empty_dir.size_limit}
            )
        }
    elif v.host_path is not None:
        source = {"hostPath": _drop_none({"path": v.host_path.path, "type": v.host_path.type})}
    else:
        source = {"persistentVolumeClaim": {"claimName": v.claim}}
    return {"name": v.name, **source}


def claim_template(t: VolumeClaimTemplate) -> dict[str, Any]:
    return {
        "metadata": {"name": t.name},
        "spec": _drop_none(
            {
                "accessModes": list(t.access_modes),
                "storageClassName": t.storage_class,
                "resources": {"requests": {"storage": t.size}},
            }
        ),
    }


def selector(w: WorkloadSpec) -> dict[str, str]:
    return {"app": w.name}


def pod_template(w: WorkloadSpec, labels: Mapping[str, str]) -> dict[str, Any]:
    """The pod template of any kind: labels, annotations and the pod spec."""
    s = w.scheduling
    batch = w.kind in ("Job", "CronJob")
    restart = (w.job.restart_policy if w.job else "Never") if batch else None
    spec = _drop_none(
        {
            "restartPolicy": restart,
            "serviceAccountName": w.account_name(),
            "securityContext": pod_security_context(w.pod_security_context),
            "priorityClassName": s.priority_class_name,
            "nodeSelector": dict(s.node_selector),
            "tolerations": [
                _drop_none(
                    {
                        "key": t.key,
                        "operator": t.operator,
                        "value": t.value,
                        "effect": t.effect,
                        "tolerationSeconds": t.toleration_seconds,
                    }
                )
                for t in s.tolerations
            ],
            "affinity": dict(s.affinity),
            "topologySpreadConstraints": list(s.topology_spread_constraints),
            "terminationGracePeriodSeconds": w.termination_grace_period_seconds,
            "initContainers": [container(c, c.name) for c in w.init_containers],
            "containers": [container(w, w.name)] + [container(c, c.name) for c in w.sidecars],
            "volumes": [volume(v) for v in w.volumes],
        }
    )
    meta = _drop_none(
        {"labels": {**labels, **selector(w), **w.labels}, "annotations": dict(w.pod_annotations)}
    )
    return {"metadata": meta, "spec": spec}


def workload_object(w: WorkloadSpec, labels: Mapping[str, str]) -> dict[str, Any]:
    """What a kind's template needs: metadata, selector, pod template and the kind's settings."""
    annotations = wave_annotation(w.wave)
    if w.job is not None and w.job.hook is not None:
        annotations = {
            "argocd.argoproj.io/hook": w.job.hook,
            "argocd.argoproj.io/hook-delete-policy": HOOK_DELETE_POLICY,
            **annotations,
        }
    job = w.job
    job_spec = None
    if w.kind in ("Job", "CronJob"):
        job_spec = _drop_none(
            {
                "backoffLimit": job.backoff_limit if job else 3,
                "activeDeadlineSeconds": job.active_deadline_seconds if job else None,
                "ttlSecondsAfterFinished": job.ttl_seconds_after_finished if job else None,
                "template": pod_template(w, labels),
            }
        )
    # The `app` label selects long-running pods; a Job or CronJob is selected by nothing (its
    # pods carry the label in their template).
    own_labels = dict(labels) if w.kind in ("Job", "CronJob") else {**labels, **selector(w)}
    return {
        "name": w.name,
        "labels": own_labels,
        "annotations": annotations,
        "replicas": (w.replicas if w.replicas is not None else 1) if w.hpa is None else None,
        "selector": selector(w),
        "pod": pod_template(w, labels),
        "service_name": w.service_name(),
        "claims": [claim_template(t) for t in w.volume_claim_templates],
        "job": job_spec,
        "cron": w.cron,
    }


def service_object(w: WorkloadSpec, labels: Mapping[str, str]) -> dict[str, Any] | None:
    if w.service is None:
        return None
    svc = w.service
    return {
        "name": w.service_name(),
        "labels": {**labels, **selector(w)},
        "annotations": {**svc.annotations, **wave_annotation(svc.wave)},
        "type": svc.type,
        "headless": svc.headless,
        "selector": selector(w),
        "ports": w.service_ports(),
    }


def resolved_ingress(w: WorkloadSpec) -> IngressSpec | None:
    """The workload's Ingress with every route naming its Service and port (by default the
    workload's Service and its first port)."""
    if w.ingress is None:
        return None
    ports = w.service_ports()
    routes = [
        r.model_copy(
            update={
                "service": r.service or w.service_name(),
                "port": r.port if r.port is not None else ports[0]["port"],
            }
        )
        for r in w.ingress.routes
    ]
    return w.ingress.model_copy(update={"routes": routes})


def ingress_object(platform: Platform, w: WorkloadSpec) -> dict[str, Any] | None:
    ingress = resolved_ingress(w)
    return None if ingress is None else ingress_view(platform, ingress)


def hpa_object(w: WorkloadSpec, labels: Mapping[str, str]) -> dict[str, Any] | None:
    if w.hpa is None:
        return None
    metrics = [
        {
            "type": "Resource",
            "resource": {
                "name": name,
                "target": {"type": "Utilization", "averageUtilization": value},
            },
        }
        for name, value in (("cpu", w.hpa.cpu_utilization), ("memory", w.hpa.memory_utilization))
        if value is not None
    ]
    return {
        "name": w.name,
        "labels": {**labels, **selector(w)},
        "target": {"apiVersion": "apps/v1", "kind": w.kind, "name": w.name},
        "min": w.hpa.min_replicas,
        "max": w.hpa.max_replicas,
        "metrics": metrics,
    }


def pdb_object(w: WorkloadSpec, labels: Mapping[str, str]) -> dict[str, Any] | None:
    if w.pdb is None:
        return None
    budget = _drop_none(
        {"minAvailable": w.pdb.min_available, "maxUnavailable": w.pdb.max_unavailable}
    )
    return {
        "name": w.name,
        "labels": {**labels, **selector(w)},
        "selector": selector(w),
        "budget": budget,
    }


def account_object(w: WorkloadSpec, labels: Mapping[str, str]) -> dict[str, Any] | None:
    """The pods' ServiceAccount, in the earliest wave of what uses it: the workload's, or its
    SecretStore's, which authenticates as it."""
    sa = w.service_account
    if sa is None or not sa.create:
        return None
    waves = [x for x in (w.wave, store_wave(w) if w.secret_store else None) if x is not None]
    given = {**sa.annotations, **wave_annotation(min(waves) if waves else None)}
    annotations = dict(sorted(given.items()))
    return {"name": w.account_name(), "labels": labels, "annotations": annotations}


def policy_object(
    w: WorkloadSpec, labels: Mapping[str, str], namespace: str
) -> dict[str, Any] | None:
    np = w.network_policy
    if np is None:
        return None
    peers: list[dict[str, Any]] = [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}}
        for ns in np.allow_from_namespaces
    ]
    if np.same_namespace:
        peers.insert(0, {"podSelector": {}})
    # Only to the ports the containers declare (any port when they declare none).
    ports = [{"protocol": p.protocol, "port": p.container_port} for p in w.ports]
    rule: dict[str, Any] = {"from": peers, **({"ports": ports} if ports else {})}
    return {
        "name": np.name or f"{w.name}-ingress",
        "labels": labels,
        "selector": selector(w),
        "rules": [rule] if peers else [],
        "namespace": namespace,
    }


def config_map_objects(w: WorkloadSpec, labels: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "name": cm.name,
            "labels": labels,
            "annotations": wave_annotation(cm.wave),
            "data": dict(cm.data),
        }
        for cm in w.config_maps
    ]


def secret_wave(w: WorkloadSpec, es: WorkloadExternalSecret) -> int | None:
    """An ExternalSecret's wave: its own, else one before the workload whose pods read it."""
    if es.wave is not None:
        return es.wave
    return _or_default((w.wave or 0) - 1)


def store_wave(w: WorkloadSpec) -> int | None:
    """The workload's store's wave: its own, else one before the earliest ExternalSecret (or,
    without any, before the workload)."""
    assert w.secret_store is not None
    if w.secret_store.wave is not None:
        return w.secret_store.wave
    first = min((secret_wave(w, es) or 0 for es in w.external_secrets), default=w.wave or 0)
    return _or_default(first - 1)


def _or_default(wave: int) -> int | None:
    return None if wave == 0 else wave


def store_object(
    platform: Platform, w: WorkloadSpec, labels: Mapping[str, str]
) -> dict[str, Any] | None:
    """The workload's SecretStore or ClusterSecretStore (a cluster-scoped one has no namespace)."""
    store = w.secret_store
    if store is None:
        return None
    found = store_context(platform, store, w.account_name(), wave_annotation(store_wave(w)))
    return {**found, "labels": labels}


def external_secret_objects(w: WorkloadSpec, labels: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "name": es.name,
            "labels": labels,
            "annotations": wave_annotation(secret_wave(w, es)),
            "refresh": es.refresh_interval,
            "store": w.store_of(es)[0],
            "store_kind": w.store_of(es)[1],
            "target": es.target or es.name,
            "data": [
                {
                    "secretKey": item.secret_key,
                    "remoteRef": _drop_none(
                        {
                            "key": item.remote_key,
                            "property": item.property,
                            "conversionStrategy": "Default",
                            "decodingStrategy": "None",
                            "metadataPolicy": "None",
                        }
                    ),
                }
                for item in es.data
            ],
        }
        for es in w.external_secrets
    ]
