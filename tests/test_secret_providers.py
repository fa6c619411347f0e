"""Secret stores: a SecretStore or ClusterSecretStore with the AWS, Vault, GCP or Azure provider,
or none at all.

Each provider is rendered and validated by the installed command from real files, and every
rendered store passes the upstream External Secrets v0.9.13 CRD. gigrouter's own schema of the
raw provider blocks (gigrouter/schemas/secretstore-providers.json) is compared with the CRD's
openAPIV3Schema: what gigrouter accepts the CRD accepts, and the broken blocks the CRD rejects
gigrouter rejects too.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import REPO, documents

from gigrouter.config.load import build_platform, parse_yaml
from gigrouter.errors import ConfigError
from gigrouter.model.providers import RAW_PROVIDERS, provider_problems
from gigrouter.pipeline import tree_outputs
from gigrouter.render import RenderedTree, render

BASE = json.loads((REPO / "tests" / "golden" / "services" / "config.yaml").read_text())

VAULT = {
    "server": "https://vault.example.com:8200",
    "path": "secret",
    "version": "v2",
    "auth": {"kubernetes": {"mountPath": "kubernetes", "role": "shop"}},
}
GCPSM = {
    "projectID": "shop-prod",
    "auth": {
        "workloadIdentity": {
            "clusterLocation": "europe-north1",
            "clusterName": "shop",
            "serviceAccountRef": {"name": "services-sa"},
        }
    },
}
AZUREKV = {
    "vaultUrl": "https://shop.vault.azure.net",
    "tenantId": "11111111-2222-3333-4444-555555555555",
    "authType": "WorkloadIdentity",
    "serviceAccountRef": {"name": "services-sa"},
}
AWS: dict[str, Any] = {"service": "ParameterStore", "region": "eu-west-1"}
PROVIDERS = {"aws": AWS, "vault": VAULT, "gcpsm": GCPSM, "azurekv": AZUREKV}


def config(store: dict[str, Any] | None, **services: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    comp = data["components"]["services"]
    if store is None:
        comp.pop("secret_store")
    else:
        comp["secret_store"] = store
    comp.update(services)
    return data


def rendered(data: dict[str, Any]) -> RenderedTree:
    return render(tree_outputs(build_platform(parse_yaml(json.dumps(data), "platform.yaml"))))


def config_errors(data: dict[str, Any]) -> list[str]:
    text = yaml.safe_dump(data, sort_keys=False)
    with pytest.raises(ConfigError) as caught:
        build_platform(parse_yaml(text, "platform.yaml"))
    return [str(p) for p in caught.value.problems]


def of_kind(tree: RenderedTree, *kinds: str) -> list[dict[str, Any]]:
    return [doc for _, doc in documents(tree) if doc["kind"] in kinds]


# --- the upstream CRD ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crd_schema(shared_crds: Path) -> Any:
    """The v1beta1 openAPIV3Schema of the upstream SecretStore CRD, as a jsonschema validator.

    ../shared/crds holds the SecretStore CRD only; ESO generates the ClusterSecretStore CRD from
    the same Go type (SecretStoreSpec), so a ClusterSecretStore is checked against it too."""
    from jsonschema import Draft7Validator

    crd = yaml.safe_load((shared_crds / "eso-secretstore-crd.yaml").read_text())
    assert crd["spec"]["names"]["kind"] == "SecretStore"
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1beta1"]
    return Draft7Validator(version["schema"]["openAPIV3Schema"])


def crd_accepts(crd_schema: Any, name: str, block: Any) -> bool:
    store = {
        "apiVersion": "external-secrets.io/v1beta1",
        "kind": "SecretStore",
        "metadata": {"name": "s", "namespace": "ns"},
        "spec": {"provider": {name: block}},
    }
    return not list(crd_schema.iter_errors(store))


def strict_upstream(shared_crds: Path) -> Any:
    from gigrouter.validate.crd import CrdSchemas, load_crds

    return CrdSchemas(load_crds(shared_crds / "eso-secretstore-crd.yaml", strict=True))


# Blocks gigrouter accepts: each must pass the CRD.
VALID: list[tuple[str, Any]] = [
    ("vault", VAULT),
    ("vault", {"server": "https://v", "auth": {"tokenSecretRef": {"name": "t", "key": "token"}}}),
    (
        "vault",
        {
            "server": "https://v",
            "namespace": "team-a",
            "version": "v1",
            "caProvider": {"type": "ConfigMap", "name": "ca", "key": "ca.crt"},
            "readYourWrites": True,
            "auth": {
                "appRole": {
                    "path": "approle",
                    "roleId": "r",
                    "secretRef": {"name": "approle", "key": "secret-id"},
                }
            },
        },
    ),
    (
        "vault",
        {
            "server": "https://v",
            "caBundle": "LS0tLS1CRUdJTg==",
            "auth": {
                "jwt": {
                    "path": "jwt",
                    "role": "r",
                    "kubernetesServiceAccountToken": {
                        "serviceAccountRef": {"name": "sa", "namespace": "ns"},
                        "audiences": ["vault"],
                        "expirationSeconds": 600,
                    },
                }
            },
        },
    ),
    ("vault", {"server": "https://v", "auth": {"iam": {"vaultRole": "r", "region": "eu-west-1"}}}),
    ("vault", {"server": "https://v", "auth": {"userPass": {"path": "user", "username": "u"}}}),
    ("gcpsm", GCPSM),
    ("gcpsm", {}),
    ("gcpsm", {"auth": {"secretRef": {"secretAccessKeySecretRef": {"name": "g", "key": "k"}}}}),
    ("azurekv", AZUREKV),
    (
        "azurekv",
        {
            "vaultUrl": "https://kv.vault.azure.net",
            "environmentType": "ChinaCloud",
            "authSecretRef": {
                "clientId": {"name": "az", "key": "id"},
                "clientSecret": {"name": "az", "key": "secret"},
            },
        },
    ),
    ("azurekv", {"vaultUrl": "https://kv.vault.azure.net", "authType": "ManagedIdentity"}),
]

# Blocks the CRD rejects (a missing required field, a wrong type, a value outside an enum):
# gigrouter must reject each too, naming the key. (Not a missing vault kubernetes `mountPath`:
# the CRD lists it as required but defaults it to "kubernetes", and the API server applies
# the default before it validates, so such a store is accepted.)
INVALID: list[tuple[str, Any, str]] = [
    ("vault", {"auth": {"tokenSecretRef": {"name": "t", "key": "k"}}}, "server"),
    ("vault", {"server": "https://v"}, "auth"),
    ("vault", {"server": 8200, "auth": {"tokenSecretRef": {"name": "t", "key": "k"}}}, "server"),
    ("vault", {**VAULT, "version": "v3"}, "version"),
    ("vault", {**VAULT, "readYourWrites": "yes"}, "readYourWrites"),
    ("vault", {"server": "https://v", "auth": {"appRole": {"path": "a"}}}, "secretRef"),
    ("vault", {"server": "https://v", "auth": {"ldap": {"path": "ldap"}}}, "username"),
    ("vault", {"server": "https://v", "auth": {"iam": {"region": "r"}}}, "vaultRole"),
    ("vault", {**VAULT, "caProvider": {"name": "ca"}}, "type"),
    ("vault", {**VAULT, "caProvider": {"name": "ca", "type": "Sekret"}}, "type"),
    (
        "vault",
        {
            "server": "https://v",
            "auth": {"jwt": {"path": "jwt", "kubernetesServiceAccountToken": {"audiences": []}}},
        },
        "serviceAccountRef",
    ),
    (
        "vault",
        {
            "server": "https://v",
            "auth": {"kubernetes": {"mountPath": "k", "role": "r", "serviceAccountRef": {}}},
        },
        "name",
    ),
    ("gcpsm", {"projectID": 7}, "projectID"),
    ("gcpsm", {"auth": {"workloadIdentity": {"clusterName": "c"}}}, "clusterLocation"),
    ("gcpsm", "shop-prod", ""),
    ("azurekv", {"authType": "ManagedIdentity"}, "vaultUrl"),
    ("azurekv", {"vaultUrl": "https://kv", "authType": "Password"}, "authType"),
    ("azurekv", {"vaultUrl": "https://kv", "environmentType": "Moon"}, "environmentType"),
    ("azurekv", {"vaultUrl": "https://kv", "serviceAccountRef": {"namespace": "x"}}, "name"),
    ("azurekv", {"vaultUrl": ["https://kv"]}, "vaultUrl"),
]


@pytest.mark.parametrize(("name", "block"), VALID, ids=lambda v: v if isinstance(v, str) else "")
def test_what_gigrouter_accepts_the_crd_accepts(crd_schema: Any, name: str, block: Any) -> None:
    assert provider_problems(name, block) == []
    assert crd_accepts(crd_schema, name, block)


@pytest.mark.parametrize(
    ("name", "block", "key"), INVALID, ids=lambda v: v if isinstance(v, str) else ""
)
def test_what_the_crd_rejects_gigrouter_rejects(
    crd_schema: Any, name: str, block: Any, key: str
) -> None:
    assert not crd_accepts(crd_schema, name, block)  # the case really is invalid upstream
    problems = provider_problems(name, block)
    assert problems, block
    assert key in {str(loc[-1]) if loc else "" for loc, _, _ in problems}


def test_the_schema_file_covers_every_raw_provider_and_ships_in_the_package() -> None:
    from gigrouter.model.providers import provider_schemas

    assert set(RAW_PROVIDERS) <= set(provider_schemas()["$defs"])
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"gigrouter.schemas" = ["*.json"]' in pyproject
    assert '"gigrouter.templates.workloads" = ["*.j2"]' in pyproject  # SecretStore.yaml.j2


# --- each provider, rendered and validated --------------------------------------------------------


def store_of(provider: str, kind: str = "SecretStore") -> dict[str, Any]:
    block = copy.deepcopy(PROVIDERS[provider])
    if provider == "aws" and kind == "ClusterSecretStore":
        block["service_account_namespace"] = "shop"
    return {"name": f"{provider}-store", "kind": kind, "provider": {provider: block}}


def expected_provider(provider: str, kind: str) -> dict[str, Any]:
    if provider != "aws":
        return {provider: PROVIDERS[provider]}
    account = {"name": "services-sa"}
    if kind == "ClusterSecretStore":
        account["namespace"] = "shop"
    return {
        "aws": {
            "service": "ParameterStore",
            "region": "eu-west-1",
            "auth": {"jwt": {"serviceAccountRef": account}},
        }
    }


CASES = [(p, k) for p in PROVIDERS for k in ("SecretStore", "ClusterSecretStore")]


@pytest.mark.parametrize(("provider", "kind"), CASES)
def test_each_provider_renders_and_passes_the_upstream_crd(
    provider: str, kind: str, shared_crds: Path, crd_schema: Any
) -> None:
    tree = rendered(config(store_of(provider, kind)))
    (store,) = of_kind(tree, "SecretStore", "ClusterSecretStore")
    assert store["kind"] == kind
    assert store["spec"]["provider"] == expected_provider(provider, kind)
    assert ("namespace" in store["metadata"]) == (kind == "SecretStore")
    assert list(crd_schema.iter_errors(store)) == []
    as_namespaced = {**store, "kind": "SecretStore"}  # the strict oracle knows SecretStore only
    assert strict_upstream(shared_crds).validate(as_namespaced) == []
    refs = [es["spec"]["secretStoreRef"] for es in of_kind(tree, "ExternalSecret")]
    assert refs and all(r == {"name": f"{provider}-store", "kind": kind} for r in refs)


@pytest.mark.slow
@pytest.mark.parametrize(("provider", "kind"), CASES)
def test_each_provider_validates_clean_through_the_installed_command(
    provider: str, kind: str, tmp_path: Path, gigrouter_exe: str
) -> None:
    data = config(store_of(provider, kind))
    if provider != "aws":  # nothing authenticates as the ServiceAccount through IRSA
        data["components"]["services"].pop("service_account")
    (tmp_path / "platform.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    done = subprocess.run(
        [gigrouter_exe, "render", "-c", "platform.yaml", "--out", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    checked = subprocess.run(
        [gigrouter_exe, "validate", "--strict", "out"], cwd=tmp_path, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    files = sorted(p.name for p in (tmp_path / "out" / "services").iterdir())
    assert "secretstore.yaml" in files
    text = (tmp_path / "out" / "services" / "secretstore.yaml").read_text()
    assert f"kind: {kind}\n" in text


def test_the_flat_aws_fields_render_as_before() -> None:
    """No `provider`: `service` and `region` are the AWS provider's (config/platform.yaml)."""
    tree = rendered(config({"name": "aws", "service": "ParameterStore", "region": "eu-west-1"}))
    (store,) = of_kind(tree, "SecretStore")
    assert store["spec"]["provider"] == expected_provider("aws", "SecretStore")
    default = rendered(config({"name": "aws"}))
    (store,) = of_kind(default, "SecretStore")
    aws = store["spec"]["provider"]["aws"]
    assert (aws["service"], aws["region"]) == ("SecretsManager", "eu-north-1")  # the platform's


def test_a_role_is_assumed_after_the_service_account() -> None:
    role = "arn:aws:iam::123456789012:role/read-secrets"
    store = {"name": "aws", "provider": {"aws": {"role": role}}}
    (doc,) = of_kind(rendered(config(store)), "SecretStore")
    assert list(doc["spec"]["provider"]["aws"]) == ["service", "region", "role", "auth"]
    assert doc["spec"]["provider"]["aws"]["role"] == role


def test_a_cluster_secret_store_is_referenced_by_kind_from_the_backend(shared_crds: Path) -> None:
    data = yaml.safe_load((REPO / "config" / "platform.yaml").read_text())
    data["components"]["backend"]["secret_store"] = {
        "name": "shared-vault",
        "kind": "ClusterSecretStore",
        "provider": {"vault": VAULT},
    }
    tree = rendered(data)
    (store,) = of_kind(tree, "ClusterSecretStore")
    assert "namespace" not in store["metadata"]
    (es,) = of_kind(tree, "ExternalSecret")
    assert es["spec"]["secretStoreRef"] == {"name": "shared-vault", "kind": "ClusterSecretStore"}
    from gigrouter.validate.crd import CrdSchemas, load_crds

    upstream = CrdSchemas(load_crds(shared_crds / "eso-externalsecret-crd.yaml", strict=True))
    assert upstream.validate(es) == []


def test_docs_name_the_provider() -> None:
    tree = rendered(config(store_of("vault", "ClusterSecretStore")))
    readme = tree.files["README.md"]
    assert "reads each key from HashiCorp Vault through a ClusterSecretStore" in readme
    row = next(line for line in readme.splitlines() if line.startswith("| `vault-store`"))
    assert "(ClusterSecretStore)" in row
    assert "HashiCorp Vault at `https://vault.example.com:8200`" in row
    assert "Vault kubernetes auth" in row
    assert "AWS" not in row
    azure = rendered(config(store_of("azurekv"))).files["README.md"]
    assert "Azure Key Vault at `https://shop.vault.azure.net`" in azure
    assert "ServiceAccount `services-sa` (workload identity)" in azure
    assert "from Azure through a SecretStore" in azure


def test_the_default_docs_still_say_aws() -> None:
    readme = (REPO / "out" / "README.md").read_text()
    assert "reads each key from AWS through a SecretStore and" in readme
    assert "| `aws-secrets` | `backend` | AWS Secrets Manager in `eu-north-1` |" in readme


# --- or none ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_platform_without_a_secret_store_renders_and_validates(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    data = config(None)
    services = data["components"]["services"]
    services.pop("service_account")
    data["applications"] = [a for a in data["applications"] if a["name"] != "external-secrets"]
    data["applications"][-1]["depends_on"] = ["aws-load-balancer-controller"]
    for item in services["items"]:
        item.pop("secrets", None)
        item["env"] = [{"name": "API_KEY", "secret_key": {"name": "api-keys", "key": item["name"]}}]
    data.setdefault("externals", []).append(
        {
            "kind": "Secret",
            "namespace": "shop",
            "name": "api-keys",
            "reason": "Written by the team's own sealed-secrets controller",
            "keys": [item["name"] for item in services["items"]],
        }
    )
    (tmp_path / "platform.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    done = subprocess.run(
        [gigrouter_exe, "render", "-c", "platform.yaml", "--out", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    checked = subprocess.run(
        [gigrouter_exe, "validate", "--strict", "out"], cwd=tmp_path, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tree = rendered(data)
    assert not of_kind(tree, "SecretStore", "ClusterSecretStore", "ExternalSecret")
    (deployment, *_) = of_kind(tree, "Deployment")
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {
        "name": "API_KEY",
        "valueFrom": {"secretKeyRef": {"name": "api-keys", "key": "svc-0000"}},
    } in env


# --- config errors ------------------------------------------------------------------------------

PREFIX = "components.services.secret_store"


@pytest.mark.parametrize(
    ("store", "expected"),
    [
        (
            {"name": "v", "provider": {"vault": {**VAULT, "serer": "x"}}},
            f"{PREFIX}.provider.vault.serer: unknown key 'serer' (did you mean 'server'?)",
        ),
        (
            {"name": "v", "provider": {"vault": {"server": "https://v"}}},
            f"{PREFIX}.provider.vault.auth: this key is required",
        ),
        (
            {"name": "v", "provider": {"vault": {**VAULT, "version": "v3"}}},
            f"{PREFIX}.provider.vault.version: must be 'v1' or 'v2' (got 'v3')",
        ),
        (
            {
                "name": "v",
                "provider": {
                    "vault": {
                        **VAULT,
                        "auth": {
                            "kubernetes": {"mountPath": "k", "role": "r"},
                            "tokenSecretRef": {"name": "t", "key": "k"},
                        },
                    }
                },
            },
            f"{PREFIX}.provider.vault.auth: give exactly one of appRole, cert, iam, jwt,"
            " kubernetes, ldap, tokenSecretRef, userPass (got 2)",
        ),
        (
            {"name": "g", "provider": {"gcpsm": {"projectID": 7}}},
            f"{PREFIX}.provider.gcpsm.projectID: must be a string (got 7)",
        ),
        (
            {
                "name": "a",
                "provider": {"azurekv": {"authType": "Password", "vaultUrl": "https://k"}},
            },
            f"{PREFIX}.provider.azurekv.authType: must be 'ServicePrincipal', 'ManagedIdentity'"
            " or 'WorkloadIdentity' (got 'Password')",
        ),
        (
            {"name": "a", "provider": {"azurekv": {"vaultUrl": "kv.vault.azure.net"}}},
            f"{PREFIX}.provider.azurekv.vaultUrl: must match '^https://[^\\\\s/]+'"
            " (got 'kv.vault.azure.net')",
        ),
        (
            {"name": "x", "provider": {}},
            f"{PREFIX}.provider: give exactly one provider: aws, vault, gcpsm or azurekv (got none)",
        ),
        (
            {"name": "x", "provider": {"aws": {}, "gcpsm": {}}},
            f"{PREFIX}.provider: give exactly one provider: aws, vault, gcpsm or azurekv"
            " (got aws, gcpsm)",
        ),
        (
            {"name": "x", "provider": {"hashicorp": {}}},
            f"{PREFIX}.provider.hashicorp: unknown key 'hashicorp'",
        ),
        (
            {"name": "x", "region": "eu-west-1", "provider": {"vault": VAULT}},
            f"{PREFIX}.region: `region` is the AWS provider's when `provider` is not given;"
            " with `provider`, write it as `provider.aws.region`",
        ),
        (
            {"name": "x", "kind": "ClusterSecretStore"},
            f"{PREFIX}.provider: a ClusterSecretStore reading AWS authenticates as a"
            " ServiceAccount in a namespace it must name: set"
            " `provider.aws.service_account_namespace`",
        ),
        (
            {"name": "x", "kind": "ClusterSecretStore", "provider": {"aws": {}}},
            f"{PREFIX}.provider.aws.service_account_namespace: a ClusterSecretStore reading AWS"
            " authenticates as a ServiceAccount in a namespace it must name: set"
            " `provider.aws.service_account_namespace`",
        ),
        (
            {"name": "x", "provider": {"aws": {"service_account_namespace": "shop"}}},
            f"{PREFIX}.provider.aws.service_account_namespace: only a ClusterSecretStore names"
            " its ServiceAccount's namespace; a SecretStore uses the ServiceAccount of its own"
            " namespace",
        ),
        (
            {"name": "x", "kind": "Store"},
            f"{PREFIX}.kind: Input should be 'SecretStore' or 'ClusterSecretStore' (got 'Store')",
        ),
    ],
    ids=lambda v: "" if isinstance(v, dict) else v.split(": ")[0].removeprefix(PREFIX),
)
def test_errors_name_the_file_line_and_key(store: dict[str, Any], expected: str) -> None:
    errors = config_errors(config(store))
    assert len(errors) == 1, errors
    assert errors[0].startswith("platform.yaml:"), errors
    where, message = errors[0].split(": ", 1)
    line = int(where.split(":")[1])
    text = yaml.safe_dump(config(store), sort_keys=False).splitlines()
    assert line > 0 and text[line - 1].strip().split(":")[0] in expected.split(": ")[0], (
        line,
        text[line - 1],
    )
    assert message == expected


def test_an_aws_store_of_the_services_needs_their_service_account() -> None:
    data = config({"name": "aws"})
    data["components"]["services"].pop("service_account")
    (error,) = config_errors(data)
    assert error.endswith(
        "components.services: `secret_store` needs `service_account` to authenticate as"
    )
    data = config({"name": "v", "provider": {"vault": VAULT}})  # Vault logs in on its own
    data["components"]["services"].pop("service_account")
    assert of_kind(rendered(data), "SecretStore")


def test_two_cluster_secret_stores_of_one_name_collide_across_namespaces() -> None:
    data = yaml.safe_load((REPO / "config" / "platform.yaml").read_text())
    shared = {"name": "shared", "kind": "ClusterSecretStore", "provider": {"vault": VAULT}}
    data["components"]["backend"]["secret_store"] = shared
    data["components"]["services"] = copy.deepcopy(BASE["components"]["services"])
    data["components"]["services"]["secret_store"] = copy.deepcopy(shared)
    data["applications"].append(
        {
            "name": "services",
            "file": "services.yaml",
            "namespace": "shop",
            "path": "services",
            "manifests": "services",
        }
    )
    errors = config_errors(data)
    assert any(
        "components.services.secret_store.name: ClusterSecretStore shared is also rendered from"
        " components.backend.secret_store.name" in e
        for e in errors
    ), errors
