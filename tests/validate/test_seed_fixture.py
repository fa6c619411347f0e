"""The seed's original hand-written manifests (tests/fixtures/seed) get the seed's real defects
reported — the ones gigrouter's render fixes (README, "Where the seed would break")."""

from __future__ import annotations

from pathlib import Path

import pytest

from gigrouter.validate.findings import Report, Severity
from gigrouter.validate.runner import validate_path

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed"


@pytest.fixture(scope="module")
def report() -> Report:
    return validate_path(SEED)


def found(report: Report, rule: str) -> list[tuple[str, str, str]]:
    return sorted(
        (f.severity.value, f.file, str(f.resource) if f.resource else "")
        for f in report.findings
        if f.rule == rule
    )


def test_networkpolicy_selects_backend_by_a_label_nobody_sets(report: Report) -> None:
    assert found(report, "networkpolicy-namespace-label") == [
        ("error", "memcached/networkpolicy.yaml", "NetworkPolicy/memcached/allow-backend-only")
    ]


def test_plain_migration_job_breaks_on_the_next_image(report: Report) -> None:
    assert found(report, "job-immutable") == [
        ("warning", "backend/job.yaml", "Job/backend/django-migrate")
    ]


def test_frontend_service_targets_a_port_nginx_does_not_serve(report: Report) -> None:
    assert found(report, "service-target-port") == [
        ("error", "frontend/service.yaml", "Service/frontend/frontend")
    ]


def test_grafana_is_routed_twice_in_one_alb_group(report: Report) -> None:
    hits = found(report, "alb-duplicate-route")
    assert len(hits) == 1 and hits[0][0] == "error"
    assert {"logging/ingress.yaml", "observability/values.yaml"} & {hits[0][1]}


def test_no_destination_namespace_is_created(report: Report) -> None:
    files = {f for _, f, _ in found(report, "namespace-missing")}
    assert {
        "argocd/backend-app.yaml",
        "argocd/frontend-app.yaml",
        "argocd/memcached-app.yaml",
        "argocd/logging-app.yaml",
        "argocd/monitoring-helm.yaml",
        "argocd/external-secrets-app.yaml",
        "argocd/prometheus-crds.yaml",
    } <= files


def test_backend_service_account_exists_nowhere(report: Report) -> None:
    resources = {r for _, _, r in found(report, "service-account-ref")}
    assert "Deployment/backend/backend" in resources
    assert "SecretStore/backend/aws-secrets" in resources


def test_catch_all_relies_on_name_order(report: Report) -> None:
    assert found(report, "alb-order-implicit")


def test_child_app_waves_do_not_wait(report: Report) -> None:
    assert found(report, "app-wave-unwaited") == [
        ("warning", "argocd/apps.yaml", "Application/argocd/platform")
    ] or [s for s, _, _ in found(report, "app-wave-unwaited")] == ["warning"]


def test_replace_with_server_side_apply_is_only_info(report: Report) -> None:
    assert found(report, "replace-with-ssa") == [
        ("info", "argocd/prometheus-crds.yaml", "Application/argocd/prometheus-crds")
    ]


def test_missing_probes_and_resources_are_warned(report: Report) -> None:
    probes = {r for _, _, r in found(report, "readiness-probe-missing")}
    assert {
        "Deployment/backend/backend",
        "Deployment/frontend/frontend",
        "Deployment/memcached/memcached",
    } <= probes
    resources = {r for _, _, r in found(report, "resources-missing")}
    assert "Deployment/backend/backend" in resources


def test_the_seed_is_not_clean_but_validates_without_crashing(report: Report) -> None:
    assert report.errors >= 10
    assert report.resources >= 25
    assert all(f.severity in Severity for f in report.findings)
