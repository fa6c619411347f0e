"""object-owned-twice: no object deployed by two Applications, across every tree of a run."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from treeutil import app, metadata, obj, write

from gigrouter.validate.findings import Finding, Resource, Severity
from gigrouter.validate.runner import validate_memory, validate_path
from gigrouter.validate.tree import MemoryFiles

OUT = Path(__file__).resolve().parents[2] / "out"
IN_CLUSTER = "https://kubernetes.default.svc"
ENV = "environments/staging/"


def tree_meta(path: str = "", instance: str | None = None) -> dict[str, Any]:
    meta = metadata()
    meta["gitops"]["path"] = path
    if instance is not None:
        meta["argocd"]["instance"] = instance
    return meta


def web_app(
    app_name: str,
    path: str,
    namespace: str = "web",
    server: str | None = IN_CLUSTER,
    name: str | None = None,
) -> dict[str, Any]:
    """An Application syncing ``path``; its destination is ``server`` or the cluster ``name``."""
    doc = app(app_name, path, namespace)
    destination: dict[str, str] = {"namespace": namespace}
    if server is not None:
        destination["server"] = server
    if name is not None:
        destination["name"] = name
    doc["spec"]["destination"] = destination
    return doc


CONFIG_MAP = obj("ConfigMap", "settings", data={"mode": "a"})


def two_trees(
    root: Path,
    env_app: dict[str, Any],
    base_app: dict[str, Any] | None = None,
    doc: dict[str, Any] = CONFIG_MAP,
    env_instance: str | None = None,
) -> Path:
    """A base tree with app 'web' syncing web/, and an environment tree whose app syncs its
    web/ too (``env_app`` decides where to)."""
    write(
        root,
        {
            "gigrouter-metadata.yaml": tree_meta(),
            "argocd/web.yaml": base_app or web_app("web", "web"),
            "web/objects.yaml": doc,
            ENV + "gigrouter-metadata.yaml": tree_meta("environments/staging", env_instance),
            ENV + "argocd/web.yaml": env_app,
            ENV + "web/objects.yaml": doc,
        },
    )
    return root


def owned_twice(root: Path) -> list[Finding]:
    return [f for f in validate_path(root).findings if f.rule == "object-owned-twice"]


def test_an_environment_on_the_base_destination_owns_the_base_objects(tmp_path: Path) -> None:
    two_trees(tmp_path, web_app("staging-web", "environments/staging/web"))
    [finding] = owned_twice(tmp_path)
    assert (finding.severity, finding.file, finding.line) == (
        Severity.ERROR,
        ENV + "web/objects.yaml",
        1,
    )
    assert finding.resource == Resource("v1", "ConfigMap", "web", "settings")
    message = finding.message
    assert "ConfigMap web/settings (API group core)" in message
    assert "Application 'web' (argocd/web.yaml, from web/objects.yaml)" in message
    assert (
        f"Application 'staging-web' ({ENV}argocd/web.yaml, from {ENV}web/objects.yaml)" in message
    )


@pytest.mark.parametrize(
    ("base", "env"),
    [
        ({"server": IN_CLUSTER}, {"server": None, "name": "in-cluster"}),
        ({"server": IN_CLUSTER + "/"}, {"server": IN_CLUSTER}),
        ({"server": "https://eks.example.com"}, {"server": "https://eks.example.com/"}),
        ({"server": None, "name": "prod"}, {"server": None, "name": "prod"}),
    ],
)
def test_one_cluster_written_two_ways(
    tmp_path: Path, base: dict[str, Any], env: dict[str, Any]
) -> None:
    two_trees(
        tmp_path,
        web_app("staging-web", "environments/staging/web", **env),
        base_app=web_app("web", "web", **base),
    )
    assert len(owned_twice(tmp_path)) == 1


@pytest.mark.parametrize(
    "env",
    [
        {"server": None, "name": "staging"},
        {"server": "https://staging.eks.example.com"},
        {"namespace": "staging-web"},
    ],
)
def test_another_cluster_or_namespace_owns_nothing_twice(
    tmp_path: Path, env: dict[str, Any]
) -> None:
    two_trees(tmp_path, web_app("staging-web", "environments/staging/web", **env))
    assert owned_twice(tmp_path) == []


def test_cluster_scoped_objects_clash_whatever_the_namespaces(tmp_path: Path) -> None:
    role = obj("ClusterRole", "reader", api="rbac.authorization.k8s.io/v1", rules=[])
    two_trees(
        tmp_path,
        web_app("staging-web", "environments/staging/web", namespace="staging-web"),
        doc=role,
    )
    [finding] = owned_twice(tmp_path)
    assert finding.resource == Resource("rbac.authorization.k8s.io/v1", "ClusterRole", "", "reader")
    assert "ClusterRole reader (API group rbac.authorization.k8s.io)" in finding.message


def test_an_explicit_namespace_clashes_whatever_the_destinations(tmp_path: Path) -> None:
    pinned = obj("ConfigMap", "settings", "shared", data={"mode": "a"})
    two_trees(
        tmp_path,
        web_app("staging-web", "environments/staging/web", namespace="staging-web"),
        doc=pinned,
    )
    [finding] = owned_twice(tmp_path)
    assert finding.resource == Resource("v1", "ConfigMap", "shared", "settings")


def test_in_cluster_of_two_argo_cd_instances_is_two_clusters(tmp_path: Path) -> None:
    two_trees(tmp_path, web_app("web", "environments/staging/web"), env_instance="staging")
    assert owned_twice(tmp_path) == []


def test_a_server_url_is_one_cluster_for_every_instance(tmp_path: Path) -> None:
    eks = "https://eks.example.com"
    two_trees(
        tmp_path,
        web_app("web", "environments/staging/web", server=eks),
        base_app=web_app("web", "web", server=eks),
        env_instance="staging",
    )
    assert len(owned_twice(tmp_path)) == 1


def test_the_same_name_in_another_api_group_is_another_object(tmp_path: Path) -> None:
    calico = obj("NetworkPolicy", "settings", api="crd.projectcalico.org/v1", spec={})
    write(
        tmp_path,
        {
            "gigrouter-metadata.yaml": tree_meta(),
            "argocd/web.yaml": web_app("web", "web"),
            "argocd/calico.yaml": web_app("calico", "calico"),
            "web/policy.yaml": obj(
                "NetworkPolicy", "settings", api="networking.k8s.io/v1", spec={"podSelector": {}}
            ),
            "calico/policy.yaml": calico,
        },
    )
    assert owned_twice(tmp_path) == []


def test_two_applications_of_one_tree_syncing_one_directory(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "gigrouter-metadata.yaml": tree_meta(),
            "argocd/web.yaml": web_app("web", "web"),
            "argocd/web-copy.yaml": web_app("web-copy", "web"),
            "web/objects.yaml": CONFIG_MAP,
        },
    )
    [finding] = owned_twice(tmp_path)
    assert finding.file == "web/objects.yaml"
    assert "Application 'web' (argocd/web.yaml, from web/objects.yaml)" in finding.message
    assert "Application 'web-copy' (argocd/web-copy.yaml, from web/objects.yaml)" in (
        finding.message
    )


def test_a_recursing_application_above_another_owns_its_files_too(tmp_path: Path) -> None:
    everything = web_app("everything", "")
    everything["spec"]["source"]["directory"] = {"recurse": True}
    write(
        tmp_path,
        {
            "gigrouter-metadata.yaml": tree_meta(),
            "argocd/everything.yaml": everything,
            "apps/web.yaml": web_app("web", "web"),
            "web/objects.yaml": CONFIG_MAP,
        },
    )
    found = {(f.file, str(f.resource)) for f in owned_twice(tmp_path)}
    assert ("web/objects.yaml", "ConfigMap/web/settings") in found


def test_each_object_is_reported_once_with_every_owner(tmp_path: Path) -> None:
    files: dict[str, Any] = {"gigrouter-metadata.yaml": tree_meta(), "web/objects.yaml": CONFIG_MAP}
    for name in ("a", "b", "c"):
        files[f"argocd/{name}.yaml"] = web_app(name, "web")
    write(tmp_path, files)
    [finding] = owned_twice(tmp_path)
    assert "deployed by 3 Applications" in finding.message


def test_the_finding_is_waived_on_the_object(tmp_path: Path) -> None:
    waived = obj("ConfigMap", "settings", data={"mode": "a"})
    waived["metadata"]["annotations"] = {
        "ignore-check.gigrouter.io/object-owned-twice": "moving it to staging this week"
    }
    two_trees(tmp_path, web_app("staging-web", "environments/staging/web"), doc=waived)
    [finding] = owned_twice(tmp_path)
    assert finding.severity is Severity.INFO
    assert finding.waived_because == "moving it to staging this week"


def test_memory_and_disk_report_the_same_clash(tmp_path: Path) -> None:
    two_trees(tmp_path, web_app("staging-web", "environments/staging/web"))
    texts = {
        p.relative_to(tmp_path).as_posix(): p.read_text()
        for p in tmp_path.rglob("*")
        if p.is_file()
    }
    in_memory = [
        f for f in validate_memory(MemoryFiles(texts)).findings if f.rule == "object-owned-twice"
    ]
    assert in_memory == owned_twice(tmp_path) != []


def test_the_rendered_out_tree_owns_each_object_once() -> None:
    assert [f for f in validate_path(OUT).findings if f.rule == "object-owned-twice"] == []


def test_staging_on_the_base_cluster_clashes_with_the_base(tmp_path: Path) -> None:
    tree = tmp_path / "out"
    shutil.copytree(OUT, tree)
    app_file = tree / "environments/staging/argocd/frontend-app.yaml"
    text = app_file.read_text()
    assert "    name: gig-route-staging\n" in text
    app_file.write_text(
        text.replace("    name: gig-route-staging\n", f"    server: {IN_CLUSTER}\n")
    )
    found = owned_twice(tree)
    assert sorted(f.file for f in found) == [
        "environments/staging/frontend/deployment.yaml",
        "environments/staging/frontend/ingress.yaml",
        "environments/staging/frontend/service.yaml",
    ]
    assert all("Application 'frontend' (argocd/frontend-app.yaml" in f.message for f in found)
