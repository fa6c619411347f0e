"""Environments: hosts from the domain, trees that cannot collide, overlay warnings, the
overlay's schema and the environment plan diagram."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from helpers import DEFAULT_CONFIG, REPO
from support.cli import invoke

from gigrouter.config.load import expand_domain, parse_yaml
from gigrouter.errors import ConfigError
from gigrouter.pipeline import build_trees, environment_schema_json, render_to, schema_json
from gigrouter.plan.formats import to_mermaid, to_mermaid_all
from gigrouter.plan.steps import plan_tree

STAGING = DEFAULT_CONFIG.parent / "environments" / "staging.yaml"

# The hosts of the default config, written relative to its domain.
RELATIVE = {
    "- host: yassinabuelsheikh.store\n": '- host: "{domain}"\n',
    "- host: kibana.yassinabuelsheikh.store\n": "- host: kibana.{domain}\n",
    "- host: prometheus.yassinabuelsheikh.store\n": "- host: prometheus.{domain}\n",
    "- host: grafana.yassinabuelsheikh.store\n": "- host: grafana.{domain}\n",
}


def project(tmp_path: Path, overlays: dict[str, str], relative: bool = False) -> Path:
    """config/platform.yaml (the default one, its hosts relative with ``relative``) and the
    given overlays in config/environments/; returns the config file."""
    folder = tmp_path / "config"
    (folder / "environments").mkdir(parents=True)
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    if relative:
        for old, new in RELATIVE.items():
            assert old in text, old
            text = text.replace(old, new)
    (folder / "platform.yaml").write_text(text, encoding="utf-8")
    for name, overlay in overlays.items():
        (folder / "environments" / f"{name}.yaml").write_text(overlay, encoding="utf-8")
    return folder / "platform.yaml"


def ingress_hosts(root: Path) -> set[str]:
    """Every host the Ingresses and the Helm values files of a rendered tree route."""
    hosts: set[str] = set()
    for path in root.rglob("*.yaml"):
        if "environments" in path.relative_to(root).parts:
            continue
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "Ingress":
                hosts |= {rule["host"] for rule in doc["spec"]["rules"]}
            elif isinstance(doc, dict) and path.name == "values.yaml":
                hosts |= set(doc["grafana"]["ingress"]["hosts"])
    return hosts


OWN_CLUSTER = "argocd:\n  destination_server: null\n  destination_name: qa-cluster\n"


def test_hosts_follow_the_domain_of_the_base_and_of_an_environment(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    config = project(tmp_path, {"qa": "domain: qa.example.com\n" + OWN_CLUSTER}, relative=True)
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    done = subprocess.run(
        [gigrouter_exe, "render", "--config", str(config), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    base = {"yassinabuelsheikh.store", *(f"{s}.yassinabuelsheikh.store" for s in ("kibana",))}
    base |= {"prometheus.yassinabuelsheikh.store", "grafana.yassinabuelsheikh.store"}
    assert ingress_hosts(out) == base
    qa = {h.replace("yassinabuelsheikh.store", "qa.example.com") for h in base}
    assert ingress_hosts(out / "environments" / "qa") == qa
    # The base written with {domain} renders exactly as the committed out/ (staging aside).
    for path in (REPO / "out").rglob("*"):
        rel = path.relative_to(REPO / "out")
        if path.is_file() and rel.parts[0] != "environments" and rel.name != "README.md":
            assert (out / rel).read_bytes() == path.read_bytes(), rel


def test_an_unknown_placeholder_in_a_host_names_file_line_and_value(tmp_path: Path) -> None:
    config = project(tmp_path, {}, relative=True)
    text = config.read_text(encoding="utf-8").replace("kibana.{domain}", "kibana.{domian}")
    config.write_text(text, encoding="utf-8")
    line = text.splitlines().index("        - host: kibana.{domian}") + 1
    with pytest.raises(ConfigError) as info:
        build_trees(config)
    assert info.value.lines() == [
        f"{config}:{line}: components.logging.ingress.routes[0].host: '{{domian}}' in host"
        " 'kibana.{domian}' is not a placeholder gigrouter knows: only {domain} is replaced"
        " (by domain)"
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"domain": "a.io", "x": {"host": "{domain}"}}, {"domain": "a.io", "x": {"host": "a.io"}}),
        ({"domain": "a.io", "tls": [{"hosts": ["w.{domain}"]}]}, None),
        # chart values reach the chart as written
        ({"domain": "a.io", "helm": {"values": {"host": "{domain}"}}}, "same"),
        # only host keys: other strings keep their braces
        ({"domain": "a.io", "env": [{"value": "{domain}"}]}, "same"),
    ],
)
def test_expand_domain_replaces_hosts_only(data: dict[str, Any], expected: Any) -> None:
    source = parse_yaml(yaml.safe_dump(data), "p.yaml")
    result, problems = expand_domain(source.data, source)
    assert problems == []
    if expected == "same":
        assert result == data
    elif expected is None:
        assert result["tls"] == [{"hosts": ["w.a.io"]}]
    else:
        assert result == expected


@pytest.mark.parametrize("host", ["x{domain}", "{domain}.x", "a..{domain}", "{domain}{domain}"])
def test_the_domain_stands_only_for_whole_trailing_labels(host: str) -> None:
    source = parse_yaml(yaml.safe_dump({"domain": "a.io", "x": {"host": host}}), "p.yaml")
    _, problems = expand_domain(source.data, source)
    assert [p.message for p in problems] == [
        f"host {host!r}: {{domain}} stands for whole labels at the end of a host"
        " (like 'api.{domain}' or '{domain}')"
    ]


# --- environments that cannot collide ---------------------------------------------------------


def test_an_environment_without_a_destination_of_its_own_is_refused(tmp_path: Path) -> None:
    config = project(tmp_path, {"qa": "components:\n  frontend:\n    replicas: 3\n"})
    out = tmp_path / "out"
    with pytest.raises(ConfigError) as info:
        render_to(config, out)
    assert not out.exists()
    (message,) = info.value.lines()
    shown = str(config.parent / "environments" / "qa.yaml")
    assert message.startswith(
        f"{shown}:1: the base platform and environment 'qa' would both deploy to the"
        " cluster Argo CD instance 'default' runs on (in-cluster) and own the same "
    )
    assert re.search(r" own the same \d+ objects: ConfigMap/backend/rds-config, ", message)
    for owned in (
        "Deployment/backend/backend",
        "Deployment/frontend/frontend",
        " more. Give environment 'qa'",
    ):
        assert owned in message
    assert "namespace_suffix: qa" in message
    # One environment's render checks it against the other trees too.
    with pytest.raises(ConfigError):
        render_to(config, out, env="qa")


def test_two_environments_on_one_named_cluster_collide(tmp_path: Path) -> None:
    shared = "argocd:\n  destination_server: null\n  destination_name: shared\n"
    config = project(tmp_path, {"qa": shared, "uat": shared})
    with pytest.raises(ConfigError) as info:
        render_to(config, tmp_path / "out")
    (message,) = info.value.lines()
    shown = str(config.parent / "environments" / "uat.yaml")
    assert message.startswith(
        f"{shown}:1: argocd: environment 'qa' and environment 'uat' would both deploy to"
        " cluster 'shared' of Argo CD instance 'default'"
    )
    assert "Helm release/kube-system/aws-load-balancer-controller" in message


def test_files_copied_from_the_config_repo_collide_like_rendered_ones(tmp_path: Path) -> None:
    """A namespace suffix moves namespaced objects, not a copied ClusterRole: the overlay is
    refused at render, naming it, though render keeps copied files as text."""
    config = project(tmp_path, {"qa": "namespace_suffix: qa\n"})
    manifests = config.parent / "rbac"
    manifests.mkdir()
    (manifests / "reader.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n"
        "  name: reader\nrules: []\n",
        encoding="utf-8",
    )
    text = config.read_text(encoding="utf-8")
    app = (
        "  - name: rbac\n    file: rbac.yaml\n    namespace: kube-system\n"
        "    path: rbac\n    directory: rbac\n\ncomponents:\n"
    )
    assert text.count("\ncomponents:\n") == 1
    config.write_text(text.replace("\ncomponents:\n", "\n" + app, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        render_to(config, tmp_path / "out")
    (message,) = info.value.lines()
    assert "ClusterRole/reader" in message


def test_a_namespace_suffix_moves_every_namespace_the_tree_deploys_to(tmp_path: Path) -> None:
    config = project(tmp_path, {"qa": "namespace_suffix: qa\n"})
    out = tmp_path / "out"
    render_to(config, out)
    qa = out / "environments" / "qa"
    base_apps = {p.name: yaml.safe_load(p.read_text()) for p in (out / "argocd").glob("*.yaml")}
    for path in (qa / "argocd").glob("*.yaml"):
        app = yaml.safe_load(path.read_text())
        base = base_apps[path.name]
        if base["metadata"]["name"] == "platform":  # the root app syncs argocd/ to Argo CD
            assert app["spec"]["destination"] == base["spec"]["destination"]
            continue
        ns = base["spec"]["destination"]["namespace"]
        assert app["spec"]["destination"]["namespace"] == f"{ns}-qa", path.name
        assert app["metadata"]["namespace"] == "argocd"
    memcached = yaml.safe_load((qa / "memcached" / "networkpolicy.yaml").read_text())
    assert memcached["metadata"]["namespace"] == "memcached-qa"
    peers = memcached["spec"]["ingress"][0]["from"]
    assert any(
        p.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
        == "backend-qa"
        for p in peers
    )
    metadata = yaml.safe_load((qa / "gigrouter-metadata.yaml").read_text())
    assert {e["namespace"] for e in metadata["externals"]} <= {
        "backend-qa",
        "kube-system-qa",
        "monitoring-qa",
    }


def test_a_chart_with_crds_released_twice_on_one_cluster_is_a_warning(tmp_path: Path) -> None:
    """A suffixed environment moves each release to namespaces of its own, but a chart's CRDs
    are cluster-scoped: each such chart is named, at the overlay, with what to do."""
    config = project(tmp_path, {"qa": "namespace_suffix: qa\n"})
    result = render_to(config, tmp_path / "out")
    twice = [f for f in result.report.findings if f.rule == "chart-installed-twice"]
    assert sorted(f.message.split("'")[1] for f in twice) == [
        "aws-load-balancer-controller",
        "external-secrets",
        "kube-prometheus-stack",
    ]
    assert all(f.file.endswith("qa.yaml") and f.line == 1 for f in twice)
    # each is also a cluster-wide controller: skip_crds is not enough (tests/test_chart_twice.py)
    assert all("enabled: false" in f.message for f in twice)
    # the overlay that leaves those charts to the base's releases has nothing to warn about
    charts = ("aws-load-balancer-controller", "external-secrets", "prometheus-crds", "monitoring")
    off = "".join(f"  - name: {name}\n    enabled: false\n" for name in charts) + "".join(
        f"  - name: {name}\n    depends_on: []\n" for name in ("memcached", "backend", "logging")
    )
    (config.parent / "environments" / "qa.yaml").write_text(
        "namespace_suffix: qa\napplications:\n" + off, encoding="utf-8"
    )
    quiet = render_to(config, tmp_path / "out2")
    assert not [f for f in quiet.report.findings if f.rule == "chart-installed-twice"]


@pytest.mark.parametrize("value", ["QA", "-qa", "a" * 41, "[qa]"])
def test_a_bad_namespace_suffix_names_its_line(tmp_path: Path, value: str) -> None:
    config = project(tmp_path, {"qa": f"# qa\nnamespace_suffix: {value}\n"})
    with pytest.raises(ConfigError) as info:
        build_trees(config, "qa")
    (message,) = info.value.lines()
    assert message.startswith(f"{config.parent / 'environments' / 'qa.yaml'}:2: namespace_suffix:")
    assert "is not a namespace suffix" in message


def test_the_default_staging_overlay_has_a_cluster_of_its_own() -> None:
    trees = build_trees(DEFAULT_CONFIG, everything=True)
    from gigrouter.pipeline import check_collisions

    check_collisions(DEFAULT_CONFIG, trees)  # does not raise


# --- overlay items the base does not have -----------------------------------------------------

TYPO = """\
namespace_suffix: qa
components:
  backend:
    env:
      - name: ALLOWED_HOST
        value: qa.example.com
"""


def test_a_misspelt_item_that_breaks_the_model_keeps_its_did_you_mean(tmp_path: Path) -> None:
    """A misspelt name adds an item without the base's required keys: the error comes with the
    note that names the item it was probably meant to change."""
    overlay = (
        "namespace_suffix: qa\ncomponents:\n  backend:\n    env:\n"
        "      - name: ALLOWED_HOST\n        config_map_key: null\n"
    )
    config = project(tmp_path, {"qa": overlay})
    with pytest.raises(ConfigError) as info:
        build_trees(config, everything=True)
    notes = [line for line in info.value.lines() if ": note: " in line]
    assert notes and all("(did you mean" in n for n in notes), info.value.lines()
    assert len(info.value.lines()) > len(notes)  # the errors themselves come first


def test_an_overlay_item_that_is_not_in_the_base_is_a_warning(tmp_path: Path) -> None:
    config = project(tmp_path, {"qa": TYPO})
    out = tmp_path / "out"
    done = invoke("render", "--config", str(config), "--out", str(out))
    assert done.exit_code == 0, done.stderr
    shown = str(config.parent / "environments" / "qa.yaml")
    assert shown in done.stderr
    assert re.search(
        r"\n\s+5\s+warning\s+overlay-new-item\s+-\s+components\.backend\.env\[ALLOWED_HOST\]:"
        r" 'ALLOWED_HOST' is not in the base list components\.backend\.env, so this overlay"
        r" adds it \(did you mean 'ALLOWED_HOSTS'\?\)",
        done.stderr,
    ), done.stderr
    # added all the same
    deployment = yaml.safe_load((out / "environments/qa/backend/deployment.yaml").read_text())
    env = {
        e["name"]: e.get("value")
        for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["ALLOWED_HOST"] == "qa.example.com"
    assert "ALLOWED_HOSTS" in env
    as_json = invoke("render", "--config", str(config), "--out", str(out), "-o", "json")
    assert as_json.exit_code == 0, as_json.stderr
    warnings = json.loads(as_json.stdout)["warnings"]
    assert {
        "severity": "warning",
        "rule": "overlay-new-item",
        "message": "components.backend.env[ALLOWED_HOST]: 'ALLOWED_HOST' is not in the base"
        " list components.backend.env, so this overlay adds it (did you mean 'ALLOWED_HOSTS'?)",
        "file": shown,
        "line": 5,
        "resource": None,
    } in warnings
    # an item the base has merges silently
    config.parent.joinpath("environments", "qa.yaml").write_text(
        TYPO.replace("ALLOWED_HOST\n", "ALLOWED_HOSTS\n")
    )
    quiet = invoke("render", "--config", str(config), "--out", str(out))
    assert quiet.exit_code == 0, quiet.stderr
    assert "overlay-new-item" not in quiet.stderr


# --- the overlay's schema ---------------------------------------------------------------------


def _keys(node: Any, key: str) -> list[Any]:
    if isinstance(node, dict):
        found = [node[key]] if key in node else []
        return found + [v for value in node.values() for v in _keys(value, key)]
    if isinstance(node, list):
        return [v for item in node for v in _keys(item, key)]
    return []


def test_the_environment_schema_file_is_fresh_and_requires_nothing() -> None:
    path = REPO / "config" / "environment.schema.json"
    assert path.read_text(encoding="utf-8") == environment_schema_json(), "run `make schema`"
    schema = json.loads(environment_schema_json())
    platform = json.loads(schema_json())
    assert [r for r in _keys(platform, "required") if isinstance(r, list)]  # the base has some
    assert not [r for r in _keys(schema, "required") if isinstance(r, list)]
    assert _keys(schema, "additionalProperties").count(False) == _keys(
        platform, "additionalProperties"
    ).count(False)
    assert "gigrouter schema --environment > config/environment.schema.json" in (
        REPO / "Makefile"
    ).read_text(encoding="utf-8")
    assert invoke("schema", "--environment").stdout == path.read_text(encoding="utf-8")


def test_the_staging_overlay_points_at_the_environment_schema_and_satisfies_it() -> None:
    text = STAGING.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../environment.schema.json"
    checker = jsonschema.Draft202012Validator(json.loads(environment_schema_json()))
    data = yaml.safe_load(text)
    assert list(checker.iter_errors(data)) == []
    # while the platform's schema refuses it: it lacks the required keys
    assert list(jsonschema.Draft202012Validator(json.loads(schema_json())).iter_errors(data))
    # and unknown keys, bad names and a bad suffix are still flagged
    bad: dict[str, Any]
    for bad in (
        {"componentz": {}},
        {"applications": [{"name": "Bad_Name"}]},
        {"namespace_suffix": "-x"},
        {"components": {"backend": {"ingress": {"routes": [{"host": "Not A Host"}]}}}},
    ):
        assert list(checker.iter_errors(bad)), bad


# --- the environment plan diagram -------------------------------------------------------------


def _drawn(mermaid: str) -> tuple[set[str], set[str]]:
    """(ids of the nodes and subgraphs declared, ids that edges use)."""
    declared = set(re.findall(r"^\s*(?:subgraph\s+)?([A-Za-z0-9_]+)\[", mermaid, re.M))
    used: set[str] = set()
    for line in mermaid.splitlines():
        if "--" in line or "==" in line:
            parts = re.sub(r"\|\"[^\"]*\"\|", " ", line).split()
            used |= {p for p in parts if re.fullmatch(r"[A-Za-z0-9_]+", p)}
    return declared, used


def test_the_environment_plan_draws_only_apps_of_its_tree(tmp_path: Path) -> None:
    overlay = "namespace_suffix: qa\napplications:\n  - name: logging\n    enabled: false\n"
    config = project(tmp_path, {"qa": overlay})
    out = tmp_path / "out"
    render_to(config, out)
    mermaid = to_mermaid(plan_tree(out, "qa"))
    declared, used = _drawn(mermaid)
    assert used <= declared, used - declared
    assert "app_qa_backend" in declared
    assert not any("logging" in node for node in declared | used)
    cli = invoke("plan", str(out), "--env", "qa", "-o", "mermaid")
    assert cli.stdout == mermaid


def test_an_applicationset_environment_plan_draws_no_edges_to_missing_apps(
    tmp_path: Path,
) -> None:
    config = project(tmp_path, {})
    text = config.read_text(encoding="utf-8").replace(
        "    path: argocd\n", "    path: argocd\n  applicationsets:\n    generator: list\n", 1
    )
    config.write_text(text, encoding="utf-8")
    shutil.copy(STAGING, config.parent / "environments" / "staging.yaml")
    out = tmp_path / "out"
    render_to(config, out)
    for plan in (plan_tree(out), plan_tree(out, "staging")):
        declared, used = _drawn(to_mermaid(plan))
        assert used <= declared, used - declared
    # the environment's tree holds no Application: its diagram is empty
    assert to_mermaid(plan_tree(out, "staging")) == "flowchart LR\n"


def test_trees_with_the_same_app_names_get_nodes_of_their_own(tmp_path: Path) -> None:
    overlay = "argocd:\n  instance: eu\n  destination_server: null\n  destination_name: eu-1\n"
    config = project(tmp_path, {"eu": overlay})
    out = tmp_path / "out"
    render_to(config, out)
    base, eu = plan_tree(out), plan_tree(out, "eu")
    assert {a.name for a in base.apps} == {a.name for a in eu.apps}  # no prefix: own instance
    mermaid = to_mermaid_all([base, eu])
    declared, used = _drawn(mermaid)
    assert used <= declared
    assert "app_backend" in declared and "t1_app_backend" in declared
    # each node is declared once
    names = re.findall(r"^\s*([A-Za-z0-9_]+)\[", mermaid, re.M)
    assert len(names) == len(set(names))


# --- the schema's patterns say what the model accepts -----------------------------------------

CHECKED = (
    "DnsLabel",
    "Dns1035Label",
    "DnsSubdomain",
    "Host",
    "PortName",
    "EnvName",
    "Duration",
    "GitRevision",
    "Image",
    "RelativeDir",
    "UrlPath",
    "Arn",
    "VpcId",
    "Region",
    "Text",
    "Quantity",
)

# Values each side of a rule the checkers test in code rather than in their regex.
SAMPLES = [
    "a" * 63 + ".example.com",
    "a" * 64 + ".example.com",
    "*.example.com",
    "example.com",
    "a--b",
    "a-b",
    "http",
    "a..b",
    "main",
    "release/1.2",
    "heads/x.lock",
    "v1.",
    "sha256",
    "sha256:" + "a" * 64,
    "repo@sha256:" + "a" * 64,
    "registry.example.com/team/app:1.2.3",
    "../x",
    "deploy/x",
    "/deploy/",
    "a//b",
    "-1",
    "-0",
    "-0e5",
    "-1e-9",
    "0.5",
    "256Mi",
    "\ufffe",
    "tab\there",
    "carriage\rreturn",
]


def _ecma_ends(schema: Any) -> Any:
    """``schema`` with each pattern's final ``$`` read as an editor (ECMA 262) reads it: the
    end of the text. Python's ``$``, which jsonschema uses, also matches before a final
    newline, so 'A\\n' would fit a pattern no editor lets it fit."""
    if isinstance(schema, dict):
        out = {k: _ecma_ends(v) for k, v in schema.items()}
        pattern = out.get("pattern")
        if isinstance(pattern, str) and pattern.endswith("$"):
            out["pattern"] = pattern[:-1] + "(?!\\n)$"
        return out
    if isinstance(schema, list):
        return [_ecma_ends(v) for v in schema]
    return schema


def _agree(type_name: str, value: object) -> tuple[bool, bool]:
    """(the JSON Schema accepts ``value``, the model accepts it) for one type of types.py."""
    from pydantic import TypeAdapter, ValidationError

    from gigrouter import types

    adapter: TypeAdapter[Any] = TypeAdapter(getattr(types, type_name))
    by_schema = jsonschema.Draft202012Validator(_ecma_ends(adapter.json_schema())).is_valid(value)
    if type_name == "Host" and isinstance(value, str):
        # A host may be written relative to the domain: the loader substitutes it before the
        # model checks the host, so the schema judges the text as written.
        value = value.replace("{domain}", "shop.example.com")
    try:
        adapter.validate_python(value)
        by_model = True
    except ValidationError:
        by_model = False
    return by_schema, by_model


@pytest.mark.parametrize("type_name", CHECKED)
def test_the_schema_of_each_checked_type_accepts_what_the_model_accepts(type_name: str) -> None:
    for value in SAMPLES:
        by_schema, by_model = _agree(type_name, value)
        assert by_schema == by_model, (type_name, value, by_schema, by_model)


@pytest.mark.parametrize("type_name", [t for t in CHECKED if t != "Quantity"])
def test_schema_and_model_agree_on_any_text(type_name: str) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from pydantic import TypeAdapter

    from gigrouter import types

    pattern = TypeAdapter(getattr(types, type_name)).json_schema()["pattern"]

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(st.from_regex(pattern, fullmatch=True), st.text(max_size=40)))
    def agree(value: str) -> None:
        by_schema, by_model = _agree(type_name, value)
        assert by_schema == by_model, value

    agree()


def test_the_platform_schema_carries_the_patterns() -> None:
    from pydantic import TypeAdapter

    from gigrouter import types

    schema = json.loads(schema_json())
    patterns = set(_keys(schema, "pattern"))
    for type_name in ("DnsLabel", "Host", "Image", "DnsSubdomain"):
        assert TypeAdapter(getattr(types, type_name)).json_schema()["pattern"] in patterns
    assert (
        schema["properties"]["domain"]["pattern"]
        == (TypeAdapter(types.Host).json_schema()["pattern"])
    )
