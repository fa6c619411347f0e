"""The seed's components as catalogue instances: where each object of each instance is written.

The model builds every preset into workloads of the catalogue (``Components.instances``); the
registry renders them through the catalogue's templates like any application's ``workloads``.
What stays the preset's is only the seed's file layout (one file per object, under the seed's
file names) and the one object no workload owns (the ``services`` SecretStore).
"""

from __future__ import annotations

from collections.abc import Mapping

from gigrouter.layout.files import wave_annotation
from gigrouter.layout.inventory import Part
from gigrouter.layout.secrets import STORE_TEMPLATE, store_context, store_fact
from gigrouter.model import Application, Platform

# A component's instances, in order -> the file (in the app's directory) of each object kind
# of that instance; a kind not listed goes to the instance's own file, <name>.yaml.
_WEB = {"Deployment": "deployment.yaml", "Service": "service.yaml", "Ingress": "ingress.yaml"}
PLACEMENT: dict[str, tuple[Mapping[str, str], ...]] = {
    "backend": (
        {
            "ServiceAccount": "serviceAccount.yaml",
            "ConfigMap": "configMap.yaml",
            "SecretStore": "SecretStore.yaml",
            "ClusterSecretStore": "SecretStore.yaml",
            "ExternalSecret": "ExternalSecret.yaml",
            **_WEB,
        },
        {"Job": "job.yaml"},  # the migration hook
        {"Deployment": "redis.yaml", "Service": "redis-service.yaml"},
    ),
    "frontend": (_WEB,),
    "memcached": ({**_WEB, "NetworkPolicy": "networkpolicy.yaml"},),
    "logging": (
        {"Deployment": "elasticsearch.yaml", "Service": "elasticsearch.yaml"},
        {"Deployment": "kibana.yaml", "Service": "kibana.yaml", "Ingress": "ingress.yaml"},
        {"ConfigMap": "fluentd.yaml", "DaemonSet": "fluentd.yaml"},
    ),
}


def placement(component: str, index: int) -> Mapping[str, str]:
    """Where the objects of ``component``'s instance number ``index`` are written."""
    table = PLACEMENT.get(component, ())
    return table[index] if index < len(table) else {}


def shared_store(platform: Platform, app: Application, labels: Mapping[str, str]) -> Part:
    """The SecretStore the ``services`` preset's ExternalSecrets share, in its own file."""
    part = Part()
    s = platform.components.services
    if app.manifests != "services" or s is None or s.secret_store is None:
        return part
    store = s.secret_store
    view = {
        **store_context(platform, store, s.service_account, wave_annotation(s.store_wave())),
        "labels": labels,
    }
    document = {"template": STORE_TEMPLATE, "view": view}
    part.files.append(("secretstore.yaml", "workloads/file.yaml.j2", {"documents": [document]}))
    if s.service_account is not None:
        fact = store_fact(platform, app.name, app.namespace, store, s.service_account)
        part.facts.stores.append(fact)
    return part
