"""Cluster-scoped custom kinds: the scope of a kind comes from the CRDs read (the trees', then
--crd), then from tables keyed by API group; two trees on one cluster deploying the same
cluster-scoped custom object are refused at render and reported by validate."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from gigrouter import safeyaml
from gigrouter.validate.scope import CUSTOM, Scopes, declared, from_crd_files, known

CLUSTER_ISSUER = (
    "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: letsencrypt\n"
    "spec:\n  acme:\n    server: https://acme-v02.api.letsencrypt.org/directory\n"
    "    privateKeySecretRef: {name: letsencrypt-key}\n    solvers: [{http01: {ingress: {}}}]\n"
)
CERTIFICATE = (
    "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: web\n"
    "spec:\n  secretName: web-tls\n  dnsNames: [web.example.com]\n"
    "  issuerRef: {name: letsencrypt, kind: ClusterIssuer}\n"
)


def widget_crd(scope: str) -> str:
    """A CRD of kind Widget (group widgets.example.com) with ``scope``."""
    return (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n"
        "  name: widgets.widgets.example.com\nspec:\n  group: widgets.example.com\n"
        "  names: {kind: Widget, plural: widgets, singular: widget}\n"
        f"  scope: {scope}\n  versions:\n    - name: v1\n      served: true\n"
        "      storage: true\n      schema:\n        openAPIV3Schema:\n          type: object\n"
        "          x-kubernetes-preserve-unknown-fields: true\n"
    )


WIDGET = "apiVersion: widgets.example.com/v1\nkind: Widget\nmetadata:\n  name: shared\nspec: {}\n"


# --- the facts, against the upstream CRDs ------------------------------------------------------


def upstream_crds(folder: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted(folder.glob("*.yaml")):
        docs = safeyaml.load_all(safeyaml.read_text(path))
        found += [
            d for d in docs if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"
        ]
    return found


def test_the_tables_agree_with_every_upstream_crd(shared_crds: Path) -> None:
    """Differential: each upstream CRD's spec.scope (Argo CD, ESO v0.9.13, ServiceMonitor) is
    what the tables say of its kind, and what reading the CRD files with --crd gives."""
    crds = upstream_crds(shared_crds)
    assert len(crds) == 6
    read = from_crd_files([str(shared_crds)])
    for crd in crds:
        spec = crd["spec"]
        key = (spec["group"], spec["names"]["kind"])
        cluster = spec["scope"] == "Cluster"
        assert declared(crd) == (key, cluster)
        assert known(*key) is cluster, key
        assert read.crds[key] is cluster, key
    assert len(read.crds) == len(crds)


def test_the_table_is_keyed_by_group(shared_crds: Path) -> None:
    """A kind the table names is cluster-scoped in its group only; the group's other kinds (the
    upstream SecretStore, namespaced) stay namespaced."""
    eso = from_crd_files([str(shared_crds / "eso-secretstore-crd.yaml")])
    assert eso.crds == {("external-secrets.io", "SecretStore"): False}
    assert eso.of("external-secrets.io/v1beta1", "SecretStore") is False
    assert eso.of("external-secrets.io/v1beta1", "ClusterSecretStore") is True
    assert eso.of("cert-manager.io/v1", "ClusterIssuer") is True
    assert eso.of("cert-manager.io/v1", "Issuer") is False
    # the same kind names in other groups are namespaced
    assert eso.of("issuers.example.com/v1", "ClusterIssuer") is False
    assert eso.of("stores.example.com/v1", "ClusterSecretStore") is False
    assert eso.of("v1", "Namespace") is True
    assert eso.of("example.com/v1", "Namespace") is False
    # every kind of Gatekeeper's constraints group, named by its templates
    assert eso.of("constraints.gatekeeper.sh/v1beta1", "K8sRequiredLabels") is True
    assert all(CUSTOM.values())


def test_a_crd_read_overrides_the_table() -> None:
    said = Scopes().with_documents(
        [yaml.safe_load(widget_crd("Cluster")), {"kind": "ConfigMap", "apiVersion": "v1"}]
    )
    assert said.of("widgets.example.com/v1", "Widget") is True
    back = said.with_documents([yaml.safe_load(widget_crd("Namespaced"))])
    assert back.of("widgets.example.com/v1", "Widget") is False
    odd = yaml.safe_load(widget_crd("Cluster").replace("kind: Widget", "kind: ClusterIssuer"))
    odd["spec"]["group"] = "cert-manager.io"
    odd["spec"]["scope"] = "Namespaced"
    assert Scopes().with_documents([odd]).of("cert-manager.io/v1", "ClusterIssuer") is False
    assert declared({**odd, "spec": {**odd["spec"], "scope": "Global"}}) is None


# --- render: two environments on one cluster ---------------------------------------------------


def init_project(tmp_path: Path, exe: str) -> Path:
    """A platform from ``gigrouter init`` (one app, ingress-nginx, no AWS) in tmp_path."""
    subprocess.run([exe, "init", str(tmp_path)], check=True, capture_output=True)
    (tmp_path / "config" / "environments").mkdir()
    return tmp_path / "config" / "platform.yaml"


def add_app(config: Path, text: str) -> None:
    body = config.read_text(encoding="utf-8")
    assert body.count("\ncomponents:\n") == 1
    config.write_text(body.replace("\ncomponents:\n", text + "\ncomponents:\n"), encoding="utf-8")


def add_directory_app(config: Path, files: dict[str, str], name: str = "platform-issuers") -> None:
    """An application deploying the hand-written files in config/<name>/."""
    folder = config.parent / name
    folder.mkdir()
    for file, text in files.items():
        (folder / file).write_text(text, encoding="utf-8")
    add_app(
        config,
        f"  - name: {name}\n    file: {name}.yaml\n    namespace: cert-manager\n"
        f"    path: apps/{name}\n    directory: {name}\n",
    )


def render(exe: str, config: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, "render", "-c", str(config), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=config.parent.parent,
    )


def test_a_cluster_issuer_in_two_suffixed_environments_is_refused(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    config = init_project(tmp_path, gigrouter_exe)
    add_directory_app(config, {"issuer.yaml": CLUSTER_ISSUER})
    overlay = config.parent / "environments" / "qa.yaml"
    overlay.write_text("# qa\nnamespace_suffix: qa\n", encoding="utf-8")
    done = render(gigrouter_exe, config, tmp_path / "out")
    assert done.returncode == 2, done.stderr
    assert not (tmp_path / "out").exists()
    (line,) = [x for x in done.stderr.splitlines() if "would both deploy" in x]
    assert line.startswith(
        f"error: {overlay}:2: namespace_suffix: the base platform and environment 'qa' would"
        " both deploy to the cluster Argo CD instance 'default' runs on (in-cluster) and own the"
        " same 1 object: ClusterIssuer/letsencrypt. Cluster-scoped objects have no namespace,"
        " so namespaces of its own do not move it: give environment 'qa' its own cluster"
    )
    assert line.endswith(
        "deploy it from one tree only (in this overlay, applications: [{name: platform-issuers,"
        " enabled: false}])"
    )
    # a namespaced kind of the same API group, in the same copied directory, is apart
    (config.parent / "platform-issuers" / "issuer.yaml").write_text(CERTIFICATE, encoding="utf-8")
    done = render(gigrouter_exe, config, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    qa = tmp_path / "out" / "environments" / "qa" / "apps" / "platform-issuers" / "issuer.yaml"
    assert yaml.safe_load(qa.read_text())["kind"] == "Certificate"


def test_a_cluster_issuer_in_extra_manifests_of_two_trees_is_refused(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    config = init_project(tmp_path, gigrouter_exe)
    issuer = json.dumps(yaml.safe_load(CLUSTER_ISSUER))
    add_app(
        config,
        "  - name: jobs\n    file: jobs.yaml\n    namespace: jobs\n    path: apps/jobs\n"
        "    workloads:\n      - name: worker\n"
        "        image: docker.io/library/busybox:1.36.1\n"
        f"        extra_manifests: [{issuer}]\n",
    )
    (config.parent / "environments" / "qa.yaml").write_text("namespace_suffix: qa\n")
    done = render(gigrouter_exe, config, tmp_path / "out")
    assert done.returncode == 2, done.stderr
    assert "own the same 1 object: ClusterIssuer/letsencrypt." in done.stderr


def test_a_crd_in_one_tree_gives_its_scope_to_the_other(tmp_path: Path, gigrouter_exe: str) -> None:
    """The base tree installs the Widget CRD; the environment copies only a Widget: a
    cluster-scoped CRD makes the two Widgets one object, a namespaced one keeps them apart."""
    config = init_project(tmp_path, gigrouter_exe)
    add_directory_app(config, {"crd.yaml": widget_crd("Cluster"), "widget.yaml": WIDGET})
    qa_files = config.parent / "qa-widgets"
    qa_files.mkdir()
    (qa_files / "widget.yaml").write_text(WIDGET, encoding="utf-8")
    (config.parent / "environments" / "qa.yaml").write_text(
        "namespace_suffix: qa\napplications:\n  - name: platform-issuers\n"
        "    directory: qa-widgets\n",
        encoding="utf-8",
    )
    done = render(gigrouter_exe, config, tmp_path / "out")
    assert done.returncode == 2, done.stderr
    assert "own the same 1 object: Widget/shared." in done.stderr
    crd = config.parent / "platform-issuers" / "crd.yaml"
    crd.write_text(widget_crd("Namespaced"), encoding="utf-8")
    done = render(gigrouter_exe, config, tmp_path / "out")
    assert done.returncode == 0, done.stderr


# --- validate: hand-written trees ---------------------------------------------------------------


def application(name: str, path: str, namespace: str) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": name, "namespace": "argocd"},
            "spec": {
                "project": "default",
                "source": {
                    "repoURL": "https://git.example.com/gitops.git",
                    "targetRevision": "main",
                    "path": path,
                },
                "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            },
        },
        sort_keys=False,
    )


def metadata(path: str) -> str:
    """The metadata file that makes a folder a tree of its own (gitops.path ``path``)."""
    return yaml.safe_dump(
        {
            "gigrouter": {"format": 1},
            "gitops": {"repoURL": "https://git.example.com/gitops.git", "revision": "main"}
            | {"path": path},
            "argocd": {"namespace": "argocd", "applicationHealthCheck": True},
            "crds": [],
            "externals": [],
        }
    )


def hand_written(root: Path, objects: str, trees: bool = False) -> Path:
    """Two Applications, each syncing a folder that holds ``objects`` into its own namespace:
    one in the tree, one in environments/qa/, a tree of its own with ``trees`` (metadata
    files), else a folder of the one tree."""
    files = {
        "argocd/issuers.yaml": application("issuers", "issuers", "cert-manager"),
        "issuers/objects.yaml": objects,
        "environments/qa/argocd/issuers.yaml": application(
            "qa-issuers", "environments/qa/issuers", "cert-manager-qa"
        ),
        "environments/qa/issuers/objects.yaml": objects,
    }
    if trees:
        files["gigrouter-metadata.yaml"] = metadata("")
        files["environments/qa/gigrouter-metadata.yaml"] = metadata("environments/qa")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def owned_twice(exe: str, tree: Path, *flags: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        [exe, "validate", str(tree), "-o", "json", *flags], capture_output=True, text=True
    )
    assert done.returncode in (0, 1), done.stderr
    findings = json.loads(done.stdout)["findings"]
    return [f for f in findings if f["rule"] == "object-owned-twice"]


@pytest.mark.parametrize(
    ("trees", "second"),
    [(True, "environments/qa/issuers/objects.yaml"), (False, "issuers/objects.yaml")],
)
def test_validate_finds_a_cluster_issuer_owned_twice(
    tmp_path: Path, gigrouter_exe: str, trees: bool, second: str
) -> None:
    """Across two trees, or two Applications of one hand-written tree: the ClusterIssuer has
    no namespace, so both deploy the one object (reported at the later file)."""
    tree = hand_written(tmp_path / "tree", CLUSTER_ISSUER, trees)
    (finding,) = owned_twice(gigrouter_exe, tree)
    assert finding["file"] == second
    assert finding["message"].startswith(
        "ClusterIssuer letsencrypt (API group cert-manager.io) on cluster in-cluster"
    )
    assert "Application 'issuers'" in finding["message"]
    assert "Application 'qa-issuers'" in finding["message"]
    # other namespaces cannot set a cluster-scoped object apart: only a cluster can
    assert "cluster-scoped, so other namespaces do not set it apart" in finding["message"]
    assert "other namespaces)" not in finding["message"]
    # the namespaced Certificate of each tree lands in its Application's namespace: apart
    assert owned_twice(gigrouter_exe, hand_written(tmp_path / "apart", CERTIFICATE, trees)) == []


def test_validate_reads_the_scope_of_a_kind_from_a_crd_file(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    tree = hand_written(tmp_path / "tree", WIDGET)
    assert owned_twice(gigrouter_exe, tree) == []  # unknown kinds are namespaced
    crd = tmp_path / "widget-crd.yaml"
    crd.write_text(widget_crd("Cluster"), encoding="utf-8")
    (finding,) = owned_twice(gigrouter_exe, tree, "--crd", str(crd))
    assert finding["message"].startswith("Widget shared (API group widgets.example.com)")
    crd.write_text(widget_crd("Namespaced"), encoding="utf-8")
    assert owned_twice(gigrouter_exe, tree, "--crd", str(crd)) == []


def test_validate_reads_the_scope_of_a_kind_from_a_crd_in_the_trees(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    """The base tree installs the CRD; the environment tree, read apart, learns the scope."""
    tree = hand_written(tmp_path / "tree", WIDGET, trees=True)
    assert owned_twice(gigrouter_exe, tree) == []
    (tree / "crds").mkdir()
    (tree / "crds" / "widget.yaml").write_text(widget_crd("Cluster"), encoding="utf-8")
    (tree / "argocd" / "crds.yaml").write_text(application("crds", "crds", "default"))
    (finding,) = owned_twice(gigrouter_exe, tree)
    assert finding["file"] == "environments/qa/issuers/objects.yaml"


@pytest.mark.parametrize(
    ("kind", "api_version", "twice"),
    [
        ("ClusterSecretStore", "external-secrets.io/v1beta1", True),
        ("SecretStore", "external-secrets.io/v1beta1", False),
    ],
)
def test_validate_with_the_upstream_eso_crd(
    tmp_path: Path, gigrouter_exe: str, shared_crds: Path, kind: str, api_version: str, twice: bool
) -> None:
    """Differential: with the upstream SecretStore CRD given (namespaced), a SecretStore of each
    tree stays in its namespace, while the table's ClusterSecretStore is one object."""
    store = (
        f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: vault\n"
        "spec:\n  provider:\n    vault:\n      server: https://vault.example.com\n"
        "      auth: {tokenSecretRef: {name: vault-token, key: token, namespace: vault}}\n"
    )
    tree = hand_written(tmp_path / "tree", store)
    found = owned_twice(gigrouter_exe, tree, "--crd", str(shared_crds / "eso-secretstore-crd.yaml"))
    assert len(found) == (1 if twice else 0)


@pytest.mark.parametrize(
    ("group", "kind", "cluster"),
    [
        ("external-secrets.io", "ClusterPushSecret", True),
        ("generators.external-secrets.io", "ClusterGenerator", True),
        ("certificates.k8s.io", "ClusterTrustBundle", True),
        ("storagemigration.k8s.io", "StorageVersionMigration", True),
        ("crd.projectcalico.org", "GlobalNetworkPolicy", True),
        ("crd.projectcalico.org", "NetworkPolicy", False),
        ("cilium.io", "CiliumClusterwideNetworkPolicy", True),
        ("cilium.io", "CiliumNetworkPolicy", False),
        ("networking.k8s.io", "NetworkPolicy", False),
    ],
)
def test_the_table_knows_the_cluster_wide_policies_and_secrets(
    group: str, kind: str, cluster: bool
) -> None:
    assert known(group, kind) is cluster


def test_every_rule_sees_the_scope_a_crd_file_gives(tmp_path: Path, gigrouter_exe: str) -> None:
    """With --crd declaring Widget cluster-scoped, a finding of another rule (the CRD's schema)
    names the object without the Application's namespace: every rule reads the run's scopes."""
    root = tmp_path / "tree"
    (root / "argocd").mkdir(parents=True)
    (root / "argocd" / "widgets.yaml").write_text(application("widgets", "widgets", "team"))
    (root / "widgets").mkdir()
    (root / "widgets" / "widget.yaml").write_text(WIDGET.replace("spec: {}", "spec: {size: big}"))
    crd = tmp_path / "widget-crd.yaml"
    strict = widget_crd("Cluster").replace(
        "          x-kubernetes-preserve-unknown-fields: true\n",
        "          properties:\n            spec:\n              type: object\n"
        "              properties:\n                size: {type: integer}\n",
    )
    for scope, namespace in (("Cluster", ""), ("Namespaced", "team")):
        crd.write_text(strict.replace("scope: Cluster", f"scope: {scope}"), encoding="utf-8")
        done = subprocess.run(
            [gigrouter_exe, "validate", str(root), "-o", "json", "--crd", str(crd)],
            capture_output=True,
            text=True,
        )
        findings = json.loads(done.stdout)["findings"]
        (schema,) = [f for f in findings if f["resource"] and f["resource"]["kind"] == "Widget"]
        assert schema["rule"] == "custom-schema"
        assert schema["resource"]["namespace"] == namespace
