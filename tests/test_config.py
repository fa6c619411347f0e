"""Reading the config: YAML problems and model problems, each with file, line and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from gigrouter.config.load import load_platform, parse_yaml, render_path
from gigrouter.errors import ConfigError


def errors_of(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "platform.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_platform(path, display="platform.yaml")
    return info.value.lines()


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(needle)


def test_default_config_loads(default_text: str, tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text(default_text, encoding="utf-8")
    platform = load_platform(path)
    assert platform.name == "gig-router"
    assert {a.name: platform.wave_of(a.name) for a in platform.active_applications()} == {
        "aws-load-balancer-controller": 0,
        "prometheus-crds": 1,
        "external-secrets": 2,
        "monitoring": 3,
        "memcached": 3,
        "backend": 4,
        "logging": 4,
        "frontend": 5,
    }


def test_duplicate_key_reports_both_lines() -> None:
    text = "a: 1\nb:\n  c: 2\n  c: 3\n"
    with pytest.raises(ConfigError) as info:
        parse_yaml(text, "x.yaml")
    assert info.value.lines() == ["x.yaml:4: b.c: duplicate key 'c' (first defined at line 3)"]


def test_every_yaml_problem_in_one_run() -> None:
    text = "a: 1\na: 2\nb: {x: 1, x: 2}\n<<: {y: 1}\n"
    with pytest.raises(ConfigError) as info:
        parse_yaml(text, "x.yaml")
    assert info.value.lines() == [
        "x.yaml:2: a: duplicate key 'a' (first defined at line 1)",
        "x.yaml:3: b.x: duplicate key 'x' (first defined at line 3)",
        "x.yaml:4: merge keys (<<) are not supported; write the keys out",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: [1\n", "x.yaml:2: not valid YAML: did not find expected ',' or ']'"),
        ("", "x.yaml:1: the file is empty; expected a mapping"),
        ("a: 1\n---\nb: 2\n", "x.yaml:3: expected one YAML document, found more"),
        ("- a\n", "x.yaml:1: the config must be a mapping of keys"),
        ("yes: 1\n", "x.yaml:1: key 'yes' is read as bool; quote it"),
        ("1: a\n", "x.yaml:1: key '1' is read as int; quote it"),
    ],
)
def test_yaml_errors(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_yaml(text, "x.yaml")
    assert info.value.lines() == [expected]


def test_render_path_names_list_items() -> None:
    data = {"applications": [{"name": "a"}, {"name": "backend", "wave": 1}]}
    assert render_path(("applications", 1, "wave"), data) == "applications[backend].wave"
    assert render_path(("x", 0), {"x": [5]}) == "x[0]"


def test_unknown_key_with_did_you_mean(default_text: str, tmp_path: Path) -> None:
    text = edit(default_text, "  replicas: 2\n    port: 8000", "  replicaz: 2\n    port: 8000")
    line = line_of(text, "replicaz")
    assert errors_of(text, tmp_path) == [
        f"platform.yaml:{line}: components.backend.replicaz: unknown key 'replicaz'"
        " (did you mean 'replicas'?)"
    ]


def test_all_model_errors_in_one_run(default_text: str, tmp_path: Path) -> None:
    text = edit(default_text, "port: 8000\n    service_account", "port: 70000\n    service_account")
    text = edit(text, "image: memcached:1.6", "image: Memcached:1.6")
    text = edit(text, "region: eu-north-1\n  vpc_id", "region: europe\n  vpc_id")
    errors = errors_of(text, tmp_path)
    assert errors == [
        f"platform.yaml:{line_of(text, 'region: europe')}: aws.region: 'europe' is not an AWS"
        " region such as 'eu-north-1'",
        f"platform.yaml:{line_of(text, 'port: 70000')}: components.backend.port: Input should be"
        " less than or equal to 65535 (got 70000)",
        f"platform.yaml:{line_of(text, 'Memcached:1.6')}: components.memcached.image:"
        " 'Memcached:1.6' is not an image reference such as 'registry.example.com/team/app:1.2.3'",
    ]


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"),
    [
        (
            "    wave: 3\n    depends_on: [prometheus-crds]",
            "    wave: 1\n    depends_on: [prometheus-crds]",
            "    wave: 1\n",
            "applications[monitoring].wave: wave 1 of 'monitoring' must be later than wave 1 of"
            " its dependency 'prometheus-crds'",
        ),
        (
            "depends_on: [external-secrets, memcached]",
            "depends_on: [external-secret, memcached]",
            "depends_on: [external-secret, memcached]",
            "applications[backend].depends_on[0]: no application named 'external-secret'"
            " (did you mean 'external-secrets'?)",
        ),
        (
            "    name: backend-sa\n    reason",
            "    name: other-sa\n    reason",
            "service_account: backend-sa",
            "components.backend.service_account: 'backend-sa' is neither rendered"
            " (create_service_account: true) nor declared in externals as"
            " ServiceAccount/backend/backend-sa",
        ),
        (
            "    name: grafana-admin-secret\n    reason",
            "    name: grafana-admin\n    reason",
            "admin_secret: grafana-admin-secret",
            "components.observability.grafana.admin_secret: Secret/monitoring/grafana-admin-secret"
            " is not rendered by gigrouter; declare it in externals",
        ),
        (
            "  - name: cert-manager\n",
            "  - name: frontend\n",
            "file: cert-manager.yaml",
            "applications[frontend].name: 'frontend' is defined twice",
        ),
        (
            "  ssl_redirect: 443",
            "  ssl_redirect: 8443",
            "ssl_redirect: 8443",
            "alb.ssl_redirect: ssl_redirect 8443 is not among the HTTPS listen_ports [443]: the ALB would"
            " redirect to a port it does not listen on",
        ),
        (
            "- {name: ES_JAVA_OPTS, value: -Xms512m -Xmx512m}",
            "- {name: ES_JAVA_OPTS, value: -Xms512m -Xmx512m}\n        - {name: ES_JAVA_OPTS, value: x}",
            "image: docker.elastic.co/elasticsearch",
            "components.logging.elasticsearch.env: env var 'ES_JAVA_OPTS' is set twice",
        ),
        (
            "options: [CreateNamespace=true, ServerSideApply=true, Replace=true]",
            "options: [CreateNamespace=true, ServerSideAply=true, Replace=true]",
            "options: [CreateNamespace=true, ServerSideAply",
            "applications[prometheus-crds].sync.options: 'ServerSideAply=true' is not an Argo CD"
            " sync option; known: ApplyOutOfSyncOnly, ClientSideApplyMigration, CreateNamespace,"
            " Delete, FailOnSharedResource, Force, Prune, PruneLast, PrunePropagationPolicy,"
            " Replace, RespectIgnoreDifferences, ServerSideApply, SkipDryRunOnMissingResource,"
            " Validate",
        ),
    ],
    ids=[
        "wave-not-after-dependency",
        "unknown-dependency",
        "dangling-service-account",
        "dangling-grafana-secret",
        "duplicate-application",
        "redirect-port-not-listened",
        "duplicate-env",
        "unknown-sync-option",
    ],
)
def test_invalid_configs(
    default_text: str, tmp_path: Path, old: str, new: str, needle: str, expected: str
) -> None:
    text = edit(default_text, old, new)
    line = line_of(text, needle.split("\n")[0])
    if needle == "file: cert-manager.yaml":
        line -= 1  # the name key, one line above
    if needle.startswith("image: docker.elastic.co"):
        line += 3  # the env key of elasticsearch
    assert errors_of(text, tmp_path) == [f"platform.yaml:{line}: {expected}"]


def test_dependency_cycle(default_text: str, tmp_path: Path) -> None:
    text = edit(
        default_text,
        "    namespace: kube-system\n    helm:",
        "    namespace: kube-system\n    depends_on: [frontend]\n    helm:",
    )
    errors = errors_of(text, tmp_path)
    assert len(errors) == 1
    assert (
        "depends_on forms a cycle: aws-load-balancer-controller -> frontend -> backend" in errors[0]
    )
    assert errors[0].startswith(f"platform.yaml:{line_of(text, 'depends_on: [frontend]')}:")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_platform(tmp_path / "nope.yaml", display="nope.yaml")
    assert info.value.lines() == ["nope.yaml: config file not found"]
    assert info.value.exit_code == 2


def test_a_long_value_is_shown_cut(tmp_path: Path, default_text: str) -> None:
    long = "A" * 300
    text = edit(default_text, "domain: yassinabuelsheikh.store", f"domain: {long}")
    (error,) = [e for e in errors_of(text, tmp_path) if ": domain: " in e]
    assert f"'{'A' * 56}..." in error and long not in error


def test_a_tab_says_tab(tmp_path: Path) -> None:
    config = tmp_path / "platform.yaml"
    config.write_text("name: x\ncomponents:\n\tbackend: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_platform(config, display="platform.yaml")
    assert info.value.lines() == [
        "platform.yaml:3: not valid YAML: a tab at column 1: YAML indents with spaces, never tabs"
    ]


def test_a_non_utf8_file_gives_line_and_byte_offset(tmp_path: Path) -> None:
    config = tmp_path / "platform.yaml"
    config.write_bytes(b"name: x\ndescription: caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        load_platform(config, display="platform.yaml")
    assert info.value.lines() == [
        "platform.yaml:2: not UTF-8 text: byte 0xE9 at byte offset 24 (column 17): invalid"
        " continuation byte; save the file as UTF-8"
    ]
