"""The API server's defaulting, applied to each document once when the tree is read.

``kubectl apply --dry-run=server`` checks an object after the API server has filled in its
defaults, so a Service port written ``targetPort: 0`` (or with no targetPort) targets the
port itself, and a port with no protocol is TCP. The rules look at the object the cluster
stores, so they see these defaults too; :attr:`Document.written
<gigrouter.validate.tree.Document.written>` keeps what the file says, for a rule about the
text itself (a ``replicas`` the author wrote beside an HPA, say).

What is filled, as ``pkg/apis/*/v1/defaults.go`` does for the built-in versions still served
(``v1``, ``apps/v1``, ``batch/v1``), only where the field is absent (or, for the fields
Kubernetes defaults from their zero value, empty):

- Service: ``type`` ClusterIP, ``sessionAffinity`` None; each port's ``protocol`` TCP and a
  ``targetPort`` that is absent, ``0`` or ``""`` becomes the port (a valid port only: an
  invalid port is reported once, at the port).
- Every container, init container and ephemeral container of a pod spec (a Pod, a
  PodTemplate, the template of a workload, a CronJob's job template): each port's
  ``protocol`` TCP.
- Deployment: ``replicas`` 1, ``revisionHistoryLimit`` 10, ``progressDeadlineSeconds`` 600,
  ``strategy`` RollingUpdate with ``maxUnavailable`` and ``maxSurge`` 25%.
- StatefulSet: ``replicas`` 1, ``revisionHistoryLimit`` 10, ``podManagementPolicy``
  OrderedReady, ``updateStrategy`` RollingUpdate with ``partition`` 0.
- DaemonSet: ``revisionHistoryLimit`` 10, ``updateStrategy`` RollingUpdate with
  ``maxUnavailable`` 1 and ``maxSurge`` 0. ReplicaSet and ReplicationController: ``replicas`` 1.
- Job: ``parallelism`` and ``completions`` 1 (completions only when neither is given),
  ``backoffLimit`` 6, ``completionMode`` NonIndexed, ``suspend`` false.
- CronJob: ``concurrencyPolicy`` Allow, ``suspend`` false, ``successfulJobsHistoryLimit`` 3,
  ``failedJobsHistoryLimit`` 1.

``networking.k8s.io/v1`` Ingress has no defaults the rules read: ``pathType`` is required
there (only the removed ``v1beta1`` defaulted it) and a backend's service port must be given.

Nothing here modifies its input: a container that changes is copied, the rest is shared, and
an object that needs no default comes back as the same object (so a render's parsed documents,
validated in memory, stay as they will be written).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

Obj = dict[str, Any]
Edit = Callable[[Obj], Obj]

_POD_SPEC_PATHS: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("v1", "Pod"): ("spec",),
    ("v1", "PodTemplate"): ("template", "spec"),
    ("v1", "ReplicationController"): ("spec", "template", "spec"),
    ("apps/v1", "Deployment"): ("spec", "template", "spec"),
    ("apps/v1", "StatefulSet"): ("spec", "template", "spec"),
    ("apps/v1", "DaemonSet"): ("spec", "template", "spec"),
    ("apps/v1", "ReplicaSet"): ("spec", "template", "spec"),
    ("batch/v1", "Job"): ("spec", "template", "spec"),
    ("batch/v1", "CronJob"): ("spec", "jobTemplate", "spec", "template", "spec"),
}
_CONTAINER_LISTS: Final = ("containers", "initContainers", "ephemeralContainers")


def apply(data: Obj) -> Obj:
    """``data`` with the API server's defaults filled in (``data`` itself when none apply)."""
    version, kind = data.get("apiVersion"), data.get("kind")
    if not isinstance(version, str) or not isinstance(kind, str):
        return data
    out = data
    edit = _SPEC_DEFAULTS.get((version, kind))
    if edit is not None:
        out = _at(out, ("spec",), edit)
    path = _POD_SPEC_PATHS.get((version, kind))
    if path is not None:
        out = _at(out, path, _pod_spec)
    return out


# --- copy-on-write helpers --------------------------------------------------------------------


def _at(obj: Obj, path: tuple[str, ...], edit: Edit) -> Obj:
    """``obj`` with the mapping at ``path`` replaced by ``edit`` of it (``obj`` itself when
    there is no mapping there or ``edit`` changes nothing)."""
    child = obj.get(path[0])
    if not isinstance(child, dict):
        return obj
    new = edit(child) if len(path) == 1 else _at(child, path[1:], edit)
    return obj if new is child else {**obj, path[0]: new}


def _fill(obj: Obj, defaults: Obj, empty_string: bool = False) -> Obj:
    """``obj`` with each key of ``defaults`` that it lacks or holds as null set (or as ''
    too, with ``empty_string``: the string fields Kubernetes defaults from their zero value)."""
    missing = {
        k: v
        for k, v in defaults.items()
        if (value := obj.get(k)) is None or (empty_string and value == "")
    }
    return {**obj, **missing} if missing else obj


def _each(obj: Obj, key: str, edit: Edit) -> Obj:
    """``obj`` with ``edit`` applied to every mapping of the list at ``key``."""
    items = obj.get(key)
    if not isinstance(items, list):
        return obj
    new = [edit(item) if isinstance(item, dict) else item for item in items]
    if all(a is b for a, b in zip(new, items, strict=True)):
        return obj
    return {**obj, key: new}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- the kinds -------------------------------------------------------------------------------


def _protocol(port: Obj) -> Obj:
    return _fill(port, {"protocol": "TCP"}, empty_string=True)


def _service_port(port: Obj) -> Obj:
    out = _protocol(port)
    number, target = out.get("port"), out.get("targetPort")
    unset = target is None or target == "" or (_is_int(target) and target == 0)
    if unset and isinstance(number, int) and _is_int(number) and 1 <= number <= 65535:
        out = {**out, "targetPort": number}
    return out


def _service(spec: Obj) -> Obj:
    out = _fill(spec, {"type": "ClusterIP", "sessionAffinity": "None"}, empty_string=True)
    return _each(out, "ports", _service_port)


def _container(container: Obj) -> Obj:
    return _each(container, "ports", _protocol)


def _pod_spec(spec: Obj) -> Obj:
    out = spec
    for key in _CONTAINER_LISTS:
        out = _each(out, key, _container)
    return out


def _deployment(spec: Obj) -> Obj:
    out = _fill(spec, {"replicas": 1, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600})
    return _rolling_strategy(out, "strategy", {"maxUnavailable": "25%", "maxSurge": "25%"})


def _rolling_strategy(out: Obj, key: str, rolling_defaults: Obj) -> Obj:
    """``out`` with its ``key`` strategy defaulted as a Deployment's or a DaemonSet's: type
    RollingUpdate, and for it ``rollingUpdate`` with ``rolling_defaults``."""
    strategy = out.get(key)
    if strategy is None:
        strategy = {}
    if not isinstance(strategy, dict):
        return out
    filled = _fill(strategy, {"type": "RollingUpdate"}, empty_string=True)
    if filled.get("type") == "RollingUpdate":
        rolling = filled.get("rollingUpdate")
        if rolling is None:
            rolling = {}
        if isinstance(rolling, dict):
            rolling_filled = _fill(rolling, rolling_defaults)
            if rolling_filled is not rolling or "rollingUpdate" not in filled:
                filled = {**filled, "rollingUpdate": rolling_filled}
    if filled is strategy and key in out:
        return out
    return {**out, key: filled}


def _stateful_set(spec: Obj) -> Obj:
    out = _fill(
        spec, {"replicas": 1, "revisionHistoryLimit": 10, "podManagementPolicy": "OrderedReady"}
    )
    strategy = out.get("updateStrategy")
    if strategy is None:
        strategy = {}
    if not isinstance(strategy, dict):
        return out
    filled = strategy
    if filled.get("type") in (None, ""):
        filled = {**filled, "type": "RollingUpdate"}
        if filled.get("rollingUpdate") is None:
            filled["rollingUpdate"] = {}
    rolling = filled.get("rollingUpdate")
    if filled.get("type") == "RollingUpdate" and isinstance(rolling, dict):
        rolling_filled = _fill(rolling, {"partition": 0})
        if rolling_filled is not rolling:
            filled = {**filled, "rollingUpdate": rolling_filled}
    if filled is strategy and "updateStrategy" in out:
        return out
    return {**out, "updateStrategy": filled}


def _daemon_set(spec: Obj) -> Obj:
    out = _fill(spec, {"revisionHistoryLimit": 10})
    return _rolling_strategy(out, "updateStrategy", {"maxUnavailable": 1, "maxSurge": 0})


def _replicas(spec: Obj) -> Obj:
    return _fill(spec, {"replicas": 1})


def _job(spec: Obj) -> Obj:
    out = spec
    if out.get("completions") is None and out.get("parallelism") is None:
        out = {**out, "completions": 1, "parallelism": 1}
    return _fill(
        out, {"parallelism": 1, "backoffLimit": 6, "completionMode": "NonIndexed", "suspend": False}
    )


def _cron_job(spec: Obj) -> Obj:
    return _fill(
        spec,
        {
            "concurrencyPolicy": "Allow",
            "suspend": False,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 1,
        },
    )


_SPEC_DEFAULTS: Final[dict[tuple[str, str], Edit]] = {
    ("v1", "Service"): _service,
    ("v1", "ReplicationController"): _replicas,
    ("apps/v1", "Deployment"): _deployment,
    ("apps/v1", "StatefulSet"): _stateful_set,
    ("apps/v1", "DaemonSet"): _daemon_set,
    ("apps/v1", "ReplicaSet"): _replicas,
    ("batch/v1", "Job"): _job,
    ("batch/v1", "CronJob"): _cron_job,
}
