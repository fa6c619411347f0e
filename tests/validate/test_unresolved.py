"""References nothing in the tree resolves: one severity, chosen by the user (--unresolved) or
by the tree (error where gigrouter rendered it, warning in a hand-written one), never an error
for a reference marked optional: true."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from gigrouter.cli import app
from gigrouter.validate.context import Options
from gigrouter.validate.findings import Severity
from gigrouter.validate.runner import validate_path

NS = "shop"
REFERENCE_RULES = {"secret-ref", "configmap-ref", "service-account-ref", "secret-store-ref"}


def deployment(env: list[dict[str, Any]], account: str = "") -> dict[str, Any]:
    pod: dict[str, Any] = {
        "containers": [{"name": "web", "image": "nginx:1.27", "env": env}],
    }
    if account:
        pod["serviceAccountName"] = account
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": NS},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod},
        },
    }


def secret_env(name: str, optional: bool = False) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": name, "key": "password"}
    if optional:
        ref["optional"] = True
    return {"name": "PW", "valueFrom": {"secretKeyRef": ref}}


EXTERNAL_SECRET = {
    "apiVersion": "external-secrets.io/v1beta1",
    "kind": "ExternalSecret",
    "metadata": {"name": "db", "namespace": NS},
    "spec": {
        "secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault-backend"},
        "target": {"name": "db"},
        "data": [{"secretKey": "password", "remoteRef": {"key": "db/password"}}],
    },
}


def write(root: Path, docs: list[dict[str, Any]], own: bool = False) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "app.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
    if own:
        meta = {"gigrouter": {"format": 1}, "gitops": {"repoURL": "https://x", "path": ""}}
        (root / "gigrouter-metadata.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    return root


def severities(root: Path, options: Options | None = None) -> dict[str, str]:
    report = validate_path(root, options or Options())
    return {f.rule: f.severity.value for f in report.findings if f.rule in REFERENCE_RULES}


MISSING = [deployment([secret_env("made-by-an-init-job")], account="runner"), EXTERNAL_SECRET]
WANT = {"secret-ref", "service-account-ref", "secret-store-ref"}


def test_a_hand_written_tree_warns(tmp_path: Path) -> None:
    found = severities(write(tmp_path, MISSING))
    assert found == dict.fromkeys(WANT, "warning")


def test_gigrouter_s_own_tree_errs(tmp_path: Path) -> None:
    found = severities(write(tmp_path, MISSING, own=True))
    assert found == dict.fromkeys(WANT, "error")


@pytest.mark.parametrize("level", list(Severity))
@pytest.mark.parametrize("own", [False, True])
def test_the_user_chooses(tmp_path: Path, level: Severity, own: bool) -> None:
    found = severities(write(tmp_path, MISSING, own=own), Options(unresolved=level))
    assert found == dict.fromkeys(WANT, level.value)


def test_a_hand_written_tree_says_how_to_declare_it(tmp_path: Path) -> None:
    report = validate_path(write(tmp_path, MISSING), Options())
    secret = next(f for f in report.findings if f.rule == "secret-ref")
    assert "--external Secret/shop/made-by-an-init-job" in secret.message
    store = next(f for f in report.findings if f.rule == "secret-store-ref")
    assert "--external ClusterSecretStore//vault-backend" in store.message


@pytest.mark.parametrize("level", list(Severity))
def test_optional_is_never_an_error(tmp_path: Path, level: Severity) -> None:
    root = write(tmp_path, [deployment([secret_env("maybe", optional=True)])], own=True)
    report = validate_path(root, Options(unresolved=level))
    assert [f for f in report.findings if f.rule == "secret-ref"] == []


def test_a_wrong_key_of_a_present_secret_stays_an_error(tmp_path: Path) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": NS},
        "stringData": {"user": "app"},
    }
    root = write(tmp_path, [deployment([secret_env("db")]), secret])
    report = validate_path(root, Options(unresolved=Severity.INFO))
    found = [f for f in report.findings if f.rule == "secret-ref"]
    assert [(f.severity, "needs key password" in f.message) for f in found] == [
        (Severity.ERROR, True)
    ]


@pytest.mark.parametrize(
    ("args", "want", "code"), [([], "warning", 0), (["--unresolved", "error"], "error", 1)]
)
def test_the_command_line_option(tmp_path: Path, args: list[str], want: str, code: int) -> None:
    root = write(tmp_path / "tree", MISSING)
    result = CliRunner().invoke(app, ["validate", str(root), "-o", "json", *args])
    assert result.exit_code == code, result.output
    report = json.loads(result.stdout)
    found = {f["rule"]: f["severity"] for f in report["findings"] if f["rule"] in REFERENCE_RULES}
    assert found == dict.fromkeys(WANT, want)


def test_an_unknown_level_is_a_usage_error(tmp_path: Path) -> None:
    root = write(tmp_path / "tree", MISSING)
    result = CliRunner().invoke(app, ["validate", str(root), "--unresolved", "fatal"])
    assert result.exit_code == 2
