"""Security and operating practice for pod templates and Secrets.

Pod templates come from ``ctx.index.pod_templates`` (Deployments, StatefulSets, DaemonSets,
ReplicaSets, Jobs, CronJobs and bare Pods). Each finding names the container by its field path
inside the owning manifest, e.g. ``spec.template.spec.containers[0]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gigrouter.validate.context import Context, PodTemplate
from gigrouter.validate.findings import Finding, Severity
from gigrouter.validate.tree import Document

RULES: dict[str, str] = {
    "secret-in-git": "A v1 Secret carries data or stringData, so its values are stored in Git.",
    "image-tag": "A container image has no tag or digest, or uses the tag 'latest'.",
    "resources-missing": "A container has no CPU/memory requests or no memory limit.",
    "readiness-probe-missing": (
        "A Deployment, StatefulSet or DaemonSet container has no readinessProbe."
    ),
    "privileged": (
        "A container runs privileged, or may escalate privileges with powerful capabilities."
    ),
    "hostpath-writable": "A hostPath volume is mounted writable by a container.",
}

PROBED_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
# Capabilities that amount to (near) root on the node when privilege escalation is allowed.
DANGEROUS_CAPABILITIES = frozenset({"SYS_ADMIN", "NET_ADMIN", "ALL"})


def check(ctx: Context) -> Iterator[Finding]:
    yield from _secrets(ctx)
    for template in ctx.index.pod_templates:
        yield from _containers(ctx, template)
        yield from _host_paths(ctx, template)


def _secrets(ctx: Context) -> Iterator[Finding]:
    for doc in ctx.index.of_kind("Secret"):
        if doc.api_version != "v1":
            continue
        fields = [
            f for f in ("data", "stringData") if isinstance(doc.data.get(f), dict) and doc.data[f]
        ]
        if not fields:
            continue
        keys = sorted({str(k) for f in fields for k in doc.data[f]})
        yield ctx.finding(
            doc,
            Severity.ERROR,
            "secret-in-git",
            f"Secret {doc.namespace}/{doc.name} has {' and '.join(fields)} ({', '.join(keys)}), so "
            "the values are committed to Git in clear text (base64 is not encryption); remove "
            "the Secret from the repository and create it from a secret store instead (an "
            "ExternalSecret, a SealedSecret or SOPS), then rotate the exposed values",
        )


def image_problem(image: str) -> str | None:
    """Why an image reference is not pinned, or None when it has a tag or digest."""
    if "@" in image:
        return None  # a digest pins the content
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag, so it means ':latest'"
    tag = last.rsplit(":", 1)[1]
    if tag == "latest":
        return "uses the tag 'latest'"
    return None


def _quantity_set(resources: dict[str, Any], section: str, name: str) -> bool:
    values = resources.get(section)
    return isinstance(values, dict) and values.get(name) not in (None, "")


def missing_resources(container: dict[str, Any]) -> list[str]:
    """What is missing of requests.cpu, requests.memory and limits.memory.

    A request the API server defaults from the limit of the same resource counts as set.
    """
    resources = container.get("resources")
    if not isinstance(resources, dict):
        resources = {}
    missing = [
        f"requests.{name}"
        for name in ("cpu", "memory")
        if not _quantity_set(resources, "requests", name)
        and not _quantity_set(resources, "limits", name)
    ]
    if not _quantity_set(resources, "limits", "memory"):
        missing.append("limits.memory")
    return missing


def _capabilities(security: dict[str, Any]) -> set[str]:
    caps = security.get("capabilities")
    added = caps.get("add") if isinstance(caps, dict) else None
    if not isinstance(added, list):
        return set()
    return {str(c).upper().removeprefix("CAP_") for c in added}


def _containers(ctx: Context, template: PodTemplate) -> Iterator[Finding]:
    doc = template.owner
    owner = f"{doc.kind} {doc.namespace}/{doc.name}" if doc.namespace else f"{doc.kind} {doc.name}"
    # A container that serves no port (a log shipper beside the app) needs no probe of its
    # own once another container's readiness gates the pod's.
    gated = any(
        isinstance(c.get("readinessProbe"), dict)
        for p, c in template.containers()
        if ".initContainers[" not in p
    )
    for path, container in template.containers():
        name = str(container.get("name", "?"))
        where = f"container '{name}' of {owner} ({path})"
        init = ".initContainers[" in path
        image = container.get("image")
        if isinstance(image, str) and image.strip():
            problem = image_problem(image.strip())
            if problem is not None:
                yield ctx.finding(
                    doc,
                    Severity.WARNING,
                    "image-tag",
                    f"{where}: image {image.strip()!r} {problem}, which changes under you and "
                    "makes rollbacks and Argo CD diffs meaningless; pin a version tag or a "
                    "digest (image@sha256:...)",
                )
        missing = missing_resources(container)
        if missing:
            yield ctx.finding(
                doc,
                Severity.WARNING,
                "resources-missing",
                f"{where} sets no {', '.join(missing)}; without requests the scheduler packs pods "
                "blindly and without a memory limit one container can exhaust the node; set "
                "resources.requests (cpu and memory) and resources.limits.memory",
            )
        if (
            doc.kind in PROBED_KINDS
            and not init
            and not isinstance(container.get("readinessProbe"), dict)
            and not (gated and not container.get("ports"))
        ):
            yield ctx.finding(
                doc,
                Severity.WARNING,
                "readiness-probe-missing",
                f"{where} has no readinessProbe, so the Service sends traffic (and Argo CD "
                "reports it healthy) as soon as the process starts; add a readinessProbe "
                "(httpGet, tcpSocket or exec) that succeeds only when it can serve",
            )
        yield from _privileged(ctx, doc, where, container)


def _privileged(
    ctx: Context, doc: Document, where: str, container: dict[str, Any]
) -> Iterator[Finding]:
    security = container.get("securityContext")
    if not isinstance(security, dict):
        return
    if security.get("privileged") is True:
        yield ctx.finding(
            doc,
            Severity.WARNING,
            "privileged",
            f"{where} runs with securityContext.privileged: true, which gives it every "
            "capability and all host devices; remove it and add only the capabilities the "
            "process needs",
        )
        return
    dangerous = sorted(_capabilities(security) & DANGEROUS_CAPABILITIES)
    escalation = security.get("allowPrivilegeEscalation")
    if escalation is not False and dangerous:  # unset means true
        how = "sets" if escalation is True else "leaves (unset means true)"
        yield ctx.finding(
            doc,
            Severity.WARNING,
            "privileged",
            f"{where} {how} allowPrivilegeEscalation: true and adds {', '.join(dangerous)}, "
            "which together are close to root on the node; drop the capabilities it does not "
            "need and set allowPrivilegeEscalation: false",
        )


def _host_paths(ctx: Context, template: PodTemplate) -> Iterator[Finding]:
    volumes = template.spec.get("volumes")
    if not isinstance(volumes, list):
        return
    host_paths = {
        str(v.get("name")): str(v["hostPath"].get("path", ""))
        for v in volumes
        if isinstance(v, dict) and isinstance(v.get("hostPath"), dict)
    }
    if not host_paths:
        return
    doc = template.owner
    for path, container in template.containers():
        mounts = container.get("volumeMounts")
        if not isinstance(mounts, list):
            continue
        for mount in mounts:
            if not isinstance(mount, dict) or str(mount.get("name")) not in host_paths:
                continue
            if mount.get("readOnly") is True:
                continue
            volume = str(mount.get("name"))
            yield ctx.finding(
                doc,
                Severity.WARNING,
                "hostpath-writable",
                f"container '{container.get('name', '?')}' of {doc.kind} {doc.namespace}/"
                f"{doc.name} ({path}) mounts hostPath volume '{volume}' "
                f"({host_paths[volume]}) at {mount.get('mountPath', '?')} writable, so it can "
                "change files on the node; add readOnly: true to the volumeMount (or use "
                "another volume type if it must write)",
            )
