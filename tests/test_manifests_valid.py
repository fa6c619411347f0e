"""Every rendered manifest passes independent oracles: kubernetes-validate (strict, 1.30) for
built-in kinds, and the upstream CRDs in ../shared/crds for the custom kinds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from helpers import DEFAULT_CONFIG, REPO, documents

from gigrouter.pipeline import build
from gigrouter.render import RenderedTree

GOLDEN = Path(__file__).resolve().parent / "golden"
CONFIGS = [DEFAULT_CONFIG, *sorted(GOLDEN.glob("*/config.yaml"))]
CUSTOM = {
    ("argoproj.io/v1alpha1", "Application"),
    ("external-secrets.io/v1beta1", "SecretStore"),
    ("external-secrets.io/v1beta1", "ExternalSecret"),
}


def rendered(config: Path) -> list[tuple[str, dict[str, Any]]]:
    tree: RenderedTree = build(config)[1]
    return documents(tree)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.parent.name)
def test_builtin_kinds_pass_kubernetes_validate_strict(config: Path) -> None:
    checked = 0
    for path, doc in rendered(config):
        if (doc["apiVersion"], doc["kind"]) in CUSTOM:
            continue
        try:
            kubernetes_validate.validate(doc, "1.30", strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{path}: {doc['kind']}/{doc['metadata']['name']}: {exc.message}")
        checked += 1
    assert checked >= 3


def test_oracle_catches_a_broken_manifest() -> None:
    _, doc = next((p, d) for p, d in rendered(DEFAULT_CONFIG) if d["kind"] == "Deployment")
    doc["spec"]["replicaz"] = 2
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, "1.30", strict=True)


def test_every_kind_rendered_is_covered_by_an_oracle() -> None:
    kinds = {(d["apiVersion"], d["kind"]) for _, d in rendered(DEFAULT_CONFIG)}
    assert kinds >= CUSTOM
    assert (
        not {k for k in kinds if k[0] not in ("v1", "apps/v1", "batch/v1", "networking.k8s.io/v1")}
        - CUSTOM
    )
    assert (REPO / "out").is_dir()


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.parent.name)
def test_custom_kinds_pass_the_upstream_crds_strictly(config: Path, shared_crds: Path) -> None:
    from gigrouter.validate.crd import CrdSchemas, load_crds

    upstream = CrdSchemas()
    for name in (
        "argocd-application-crd.yaml",
        "eso-secretstore-crd.yaml",
        "eso-externalsecret-crd.yaml",
    ):
        upstream.add(load_crds(shared_crds / name, strict=True))
    seen = set()
    for path, doc in rendered(config):
        key = (doc["apiVersion"], doc["kind"])
        if key not in CUSTOM:
            continue
        seen.add(key)
        assert upstream.validate(doc) == [], path
    expected = CUSTOM if config == DEFAULT_CONFIG else {k for k in CUSTOM if k in seen}
    assert seen == expected


def test_upstream_crd_oracle_rejects_unknown_fields(shared_crds: Path) -> None:
    from gigrouter.validate.crd import CrdSchemas, load_crds

    upstream = CrdSchemas(load_crds(shared_crds / "eso-externalsecret-crd.yaml", strict=True))
    _, doc = next((p, d) for p, d in rendered(DEFAULT_CONFIG) if d["kind"] == "ExternalSecret")
    doc["spec"]["target"]["creationPolicyy"] = "Owner"
    assert [e.path for e in upstream.validate(doc)] == ["spec.target.creationPolicyy"]
