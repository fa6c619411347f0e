"""Pass-through files: an application's `directory` of hand-written manifests and a chart's
`helm.values_file`, copied from the config repo into the tree.

Everything runs through the installed command on a real config directory: what a user gets.
The manifests include an operator's custom resource (a CloudNativePG `Cluster`) whose CRD the
operator's chart installs; `validate --crd` checks it against that CRD.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

REPO_URL = "https://git.example.com/shop/gitops.git"

PLATFORM = f"""\
name: shop
domain: shop.example.com
aws:
  cluster_name: shop
  region: eu-north-1
  vpc_id: vpc-0123456789abcdef0
  certificate_arn: arn:aws:acm:eu-north-1:123456789012:certificate/11111111-2222-3333-4444-555555555555
gitops:
  repo_url: {REPO_URL}
applications:
  - name: cnpg
    file: cnpg.yaml
    namespace: cnpg-system
    helm:
      chart: cloudnative-pg
      repo_url: https://cloudnative-pg.github.io/charts
      version: 0.22.1
      crd_groups: [postgresql.cnpg.io]
  - name: database
    file: database.yaml
    namespace: db
    depends_on: [cnpg]
    path: apps/database
    directory: manifests/database
  - name: kafka
    file: kafka.yaml
    namespace: kafka
    path: apps/kafka
    helm:
      chart: kafka
      repo_url: https://charts.bitnami.com/bitnami
      version: 31.0.0
      values_file: values/kafka.yaml
"""

CLUSTER = """\
# The orders database, run by the CloudNativePG operator.
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: orders-db
spec:
  instances: 3
  storage:
    size: 10Gi
"""

CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: orders-settings
data:
  POOL_SIZE: "10"   # quoted: ConfigMap data are strings
"""

KAFKA_VALUES = """\
# Kafka in KRaft mode with three controllers; no Grafana anywhere.
controller:
  replicaCount: 3
listeners:
  client:
    protocol: PLAINTEXT
"""

# The part of CloudNativePG's Cluster CRD this test relies on (the upstream one is 9,000 lines):
# spec.instances is an integer of at least 1 and spec.storage.size a string.
CNPG_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: clusters.postgresql.cnpg.io
spec:
  group: postgresql.cnpg.io
  names: {kind: Cluster, listKind: ClusterList, plural: clusters, singular: cluster}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion: {type: string}
            kind: {type: string}
            metadata: {type: object}
            spec:
              type: object
              required: [instances]
              properties:
                instances: {type: integer, minimum: 1}
                storage:
                  type: object
                  properties:
                    size: {type: string}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A config directory with a manifests directory (a CR, a ConfigMap in a subdirectory, and
    files Argo CD would ignore) and a values file."""
    config = tmp_path / "config"
    write(config / "platform.yaml", PLATFORM)
    write(config / "manifests/database/cluster.yaml", CLUSTER)
    write(config / "manifests/database/extra/settings.yml", CONFIG_MAP)
    write(config / "manifests/database/NOTES.md", "Not a manifest: not copied.\n")
    write(config / "manifests/database/.hidden.yaml", "not: copied\n")
    write(config / "values/kafka.yaml", KAFKA_VALUES)
    return tmp_path


def run(exe: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.run(
        [exe, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def render(exe: str, root: Path) -> subprocess.CompletedProcess[str]:
    return run(exe, root, "render", "--config", "config/platform.yaml", "--out", "out")


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def load(path: Path) -> dict[str, object]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_a_directory_is_copied_byte_for_byte_and_owned_like_the_rest(
    gigrouter_exe: str, project: Path
) -> None:
    done = render(gigrouter_exe, project)
    assert done.returncode == 0, done.stderr
    out = project / "out"
    config = project / "config"
    files = files_under(out)
    # byte for byte, sub-paths kept; the Markdown note and the hidden file stay behind
    assert (
        files["apps/database/cluster.yaml"]
        == (config / "manifests/database/cluster.yaml").read_bytes()
    )
    assert files["apps/database/extra/settings.yml"] == CONFIG_MAP.encode()
    assert files["apps/kafka/values.yaml"] == KAFKA_VALUES.encode()
    assert sorted(p for p in files if p.startswith("apps/")) == [
        "apps/database/README.md",
        "apps/database/cluster.yaml",
        "apps/database/extra/settings.yml",
        "apps/kafka/README.md",
        "apps/kafka/values.yaml",
    ]
    assert "Not a manifest" not in files["apps/database/README.md"].decode()

    # the Application reads the directory with its subdirectories
    database = load(out / "argocd/database.yaml")
    assert database["spec"]["source"] == {  # type: ignore[index]
        "repoURL": REPO_URL,
        "targetRevision": "main",
        "path": "apps/database",
        "directory": {"recurse": True},
    }
    # the metadata owns the files' top-level entry and lists the values file as Helm input
    meta = load(out / "gigrouter-metadata.yaml")
    assert "apps" in meta["entries"]  # type: ignore[operator]
    assert meta["valuesFiles"] == [{"application": "kafka", "path": "apps/kafka/values.yaml"}]

    # the app README lists the copied files and where they come from
    readme = files["apps/database/README.md"].decode()
    assert "| `cluster.yaml` | `manifests/database/cluster.yaml` |" in readme
    assert "| `extra/settings.yml` | `manifests/database/extra/settings.yml` |" in readme
    assert "This directory holds the manifests of the Argo CD Application `database`" in readme

    # the CR is read and checked like any rendered object: without its CRD it is unknown (an
    # info, since an application installs its group)...
    unchecked = run(gigrouter_exe, project, "validate", "out")
    assert unchecked.returncode == 0, unchecked.stdout + unchecked.stderr
    assert "apps/database/cluster.yaml" in unchecked.stdout
    assert "unknown-kind  Cluster/db/orders-db" in unchecked.stdout
    # ... and with the CRD the whole tree is clean
    crd = write(project / "crds/cnpg-cluster.yaml", CNPG_CRD)
    checked = run(gigrouter_exe, project, "validate", "out", "--crd", str(crd))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout == "clean: no errors or warnings in 11 files (6 resources)\n"

    # a file removed from the directory is pruned from out/ by the next render
    (config / "manifests/database/extra/settings.yml").unlink()
    again = render(gigrouter_exe, project)
    assert again.returncode == 0, again.stderr
    assert "removed" in again.stdout
    assert not (out / "apps/database/extra").exists()
    assert (out / "apps/database/cluster.yaml").read_text(encoding="utf-8") == CLUSTER
    assert "settings.yml" not in (out / "apps/database/README.md").read_text(encoding="utf-8")


def test_the_custom_resource_is_validated_against_its_crd(
    gigrouter_exe: str, project: Path
) -> None:
    write(project / "config/manifests/database/cluster.yaml", CLUSTER.replace("3", "zero"))
    assert render(gigrouter_exe, project).returncode == 0  # no CRD at render: a warning only
    crd = write(project / "crds/cnpg-cluster.yaml", CNPG_CRD)
    checked = run(gigrouter_exe, project, "validate", "out", "--crd", str(crd))
    assert checked.returncode == 1, checked.stdout
    assert "apps/database/cluster.yaml" in checked.stdout
    assert "custom-schema" in checked.stdout and "instances" in checked.stdout


def test_a_copied_manifest_that_fails_its_schema_stops_the_render(
    gigrouter_exe: str, project: Path
) -> None:
    bad = CONFIG_MAP.replace('"10"   # quoted: ConfigMap data are strings', "10")
    write(project / "config/manifests/database/extra/settings.yml", bad)
    done = render(gigrouter_exe, project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "apps/database/extra/settings.yml" in done.stdout + done.stderr
    assert not (project / "out").exists()


def test_environments_inherit_the_directory(gigrouter_exe: str, project: Path) -> None:
    write(
        project / "config/environments/staging.yaml",
        "domain: staging.shop.example.com\n"
        "argocd:\n  destination_server: https://staging.k8s.example.com\n",
    )
    done = render(gigrouter_exe, project)
    assert done.returncode == 0, done.stderr
    staging = project / "out/environments/staging"
    assert (staging / "apps/database/cluster.yaml").read_text(encoding="utf-8") == CLUSTER
    assert (staging / "apps/kafka/values.yaml").read_text(encoding="utf-8") == KAFKA_VALUES


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        (
            "manifests/database/broken.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n",
            "config/manifests/database/broken.yaml:5: not valid YAML",
        ),
        (
            "manifests/database/kustomization.yaml",
            "resources: [cluster.yaml]\n",
            "config/manifests/database/kustomization.yaml: a Kustomize file",
        ),
        (
            "values/kafka.yaml",
            "- a list\n- is not values\n",
            "config/values/kafka.yaml:1: a Helm values file holds one mapping of values",
        ),
        (
            "values/kafka.yaml",
            "controller:\n\treplicaCount: 3\n",
            "config/values/kafka.yaml:2: not valid YAML",
        ),
    ],
    ids=["broken-yaml", "kustomization", "values-not-a-mapping", "values-broken-yaml"],
)
def test_a_bad_file_is_refused_naming_file_and_line(
    gigrouter_exe: str, project: Path, path: str, text: str, expected: str
) -> None:
    write(project / "config" / path, text)
    done = render(gigrouter_exe, project)
    assert done.returncode == 2, done.stdout + done.stderr
    assert expected in done.stderr, done.stderr
    assert not (project / "out").exists()


def test_a_missing_directory_names_the_config_key(gigrouter_exe: str, project: Path) -> None:
    platform = project / "config/platform.yaml"
    platform.write_text(PLATFORM.replace("manifests/database", "manifests/db"), encoding="utf-8")
    done = render(gigrouter_exe, project)
    assert done.returncode == 2
    line = PLATFORM.splitlines().index("    directory: manifests/database") + 1
    assert done.stderr.startswith(
        f"error: config/platform.yaml:{line}: applications[database].directory: directory"
        " 'config/manifests/db' does not exist"
    ), done.stderr


def test_a_symlink_out_of_the_config_directory_is_refused(
    gigrouter_exe: str, project: Path
) -> None:
    secret = write(project / "elsewhere/secret.yaml", "apiVersion: v1\nkind: Secret\n")
    (project / "config/manifests/database/stolen.yaml").symlink_to(secret)
    done = render(gigrouter_exe, project)
    assert done.returncode == 2
    assert "config/manifests/database/stolen.yaml: a symlink leaving the config directory" in (
        done.stderr
    )
    # the whole directory through a link that leaves: refused at the config key
    (project / "outside").mkdir()
    write(project / "outside/cm.yaml", CONFIG_MAP)
    (project / "config/manifests/linked").symlink_to(project / "outside")
    platform = project / "config/platform.yaml"
    platform.write_text(PLATFORM.replace("manifests/database", "manifests/linked"), "utf-8")
    linked = render(gigrouter_exe, project)
    assert linked.returncode == 2
    assert "applications[database].directory: directory 'config/manifests/linked' leads" in (
        linked.stderr
    )


def test_a_copied_file_may_not_replace_a_rendered_one(gigrouter_exe: str, project: Path) -> None:
    """A directory beside the `services` preset: a file named like a rendered one is refused,
    naming both."""
    services = """\
  - name: web
    file: web.yaml
    namespace: web
    path: apps/web
    manifests: services
    directory: manifests/web
components:
  services:
    items:
      - name: hello
        image: docker.io/nginxinc/nginx-unprivileged:1.27.3
        port: 8080
        service: {name: hello, port: 80}
"""
    (project / "config/platform.yaml").write_text(PLATFORM + services, encoding="utf-8")
    write(project / "config/manifests/web/hello.yaml", CONFIG_MAP)
    done = render(gigrouter_exe, project)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(
        "error: config/manifests/web/hello.yaml: would be copied to apps/web/hello.yaml, which"
        " application 'web' also renders (from templates/"
    ), done.stderr
    # renamed, it sits beside the preset's file
    (project / "config/manifests/web/hello.yaml").rename(
        project / "config/manifests/web/hello-settings.yaml"
    )
    renamed = render(gigrouter_exe, project)
    assert renamed.returncode == 0, renamed.stderr
    out = project / "out/apps/web"
    assert (out / "hello-settings.yaml").read_text(encoding="utf-8") == CONFIG_MAP
    assert "kind: Deployment" in (out / "hello.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("      values_file: values/kafka.yaml", "      values_file: values/kafka.txt"),
            "'values/kafka.txt' must be a YAML file",
        ),
        (
            ("    path: apps/kafka\n", ""),
            "`helm.values_file` needs `path`",
        ),
        (
            (
                "      values_file: values/kafka.yaml",
                "      values_file: values/kafka.yaml\n      values_in_repo: true",
            ),
            "give one of `values_in_repo` (the kube-prometheus-stack preset) and `values_file`",
        ),
        (
            ("    directory: manifests/database", '    directory: ""'),
            "applications[database].directory: `directory` must name a directory below the"
            " config file's",
        ),
        (
            ("    path: apps/database\n", ""),
            "applications[database]: an application of files needs `path`",
        ),
    ],
    ids=["not-yaml", "no-path", "with-values-in-repo", "directory-empty", "directory-no-path"],
)
def test_values_file_and_directory_mistakes_are_config_errors(
    gigrouter_exe: str, project: Path, edit: tuple[str, str], expected: str
) -> None:
    text = PLATFORM.replace(*edit)
    assert text != PLATFORM
    (project / "config/platform.yaml").write_text(text, encoding="utf-8")
    done = render(gigrouter_exe, project)
    assert done.returncode == 2
    assert "applications[" in done.stderr and expected in done.stderr, done.stderr
