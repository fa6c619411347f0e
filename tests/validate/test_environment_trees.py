"""Every rule runs on environment trees exactly as on the base tree, read from a real render.

The default config has a staging environment (config/environments/staging.yaml) whose
Applications share the base's Argo CD instance, so their names carry the prefix ``staging-``.
The metadata file of its tree must name them with that prefix (``crds[].application``,
``valuesFiles[].application``), or the rules reading it (crd-order) see nothing to check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import DEFAULT_CONFIG

from gigrouter.pipeline import build_trees, combine
from gigrouter.validate.findings import Finding
from gigrouter.validate.runner import validate_memory
from gigrouter.validate.tree import METADATA_FILE, MemoryFiles

STAGING = "environments/staging/"
ESO_APP = "argocd/external-secrets-app.yaml"
WAVE = "argocd.argoproj.io/sync-wave"


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    """Every file of the default render (base and environments), as render writes them."""
    return dict(combine(build_trees(DEFAULT_CONFIG, everything=True)).files)


def late_external_secrets(files: dict[str, str], prefix: str) -> dict[str, str]:
    """``files`` with the external-secrets Application of one tree moved to the wave of the
    backend, which deploys the SecretStore and ExternalSecret needing its CRDs."""
    backend = yaml.safe_load(files[prefix + "argocd/backend-app.yaml"])
    wave = backend["metadata"]["annotations"][WAVE]
    text = files[prefix + ESO_APP]
    current = yaml.safe_load(text)["metadata"]["annotations"][WAVE]
    assert int(current) < int(wave), "the render orders external-secrets before the backend"
    old = f"{WAVE}: '{current}'"
    assert text.count(old) == 1, f"{prefix}{ESO_APP} does not write {old}"
    return {**files, prefix + ESO_APP: text.replace(old, f"{WAVE}: '{wave}'")}


def crd_order(files: dict[str, str]) -> list[Finding]:
    return [f for f in validate_memory(MemoryFiles(files)).findings if f.rule == "crd-order"]


def test_the_default_render_has_a_staging_tree_and_no_crd_order_finding(
    rendered: dict[str, str],
) -> None:
    assert STAGING + METADATA_FILE in rendered
    assert crd_order(rendered) == []


def test_metadata_names_applications_of_its_own_tree(rendered: dict[str, str]) -> None:
    for prefix in ("", STAGING):
        meta = yaml.safe_load(rendered[prefix + METADATA_FILE])
        apps = {
            yaml.safe_load(text)["metadata"]["name"]
            for path, text in rendered.items()
            if path.startswith(prefix + "argocd/") and path.count("/") == prefix.count("/") + 1
        }
        named = {c["application"] for c in meta["crds"]} | {
            v["application"] for v in meta["valuesFiles"]
        }
        assert named, f"{prefix}{METADATA_FILE} names no application"
        assert named <= apps, f"{prefix}{METADATA_FILE} names {sorted(named - apps)}"
        if prefix:
            assert all(name.startswith("staging-") for name in named)


def test_crd_order_broken_in_staging_only_is_found_in_staging(rendered: dict[str, str]) -> None:
    found = crd_order(late_external_secrets(rendered, STAGING))
    assert found, "crd-order does not run on the staging tree"
    assert all(f.file.startswith(STAGING) for f in found), [f.file for f in found]
    files = {f.file for f in found}
    assert files == {STAGING + "backend/ExternalSecret.yaml"}  # once per Application and group
    assert all("'staging-external-secrets'" in f.message for f in found)


def test_crd_order_finds_the_same_objects_in_staging_as_in_the_base(
    rendered: dict[str, str],
) -> None:
    in_base = crd_order(late_external_secrets(rendered, ""))
    in_staging = crd_order(late_external_secrets(rendered, STAGING))
    assert in_base
    assert all(not f.file.startswith("environments/") for f in in_base)

    def where(findings: list[Finding], prefix: str) -> list[tuple[str, int, str]]:
        return [(f.file.removeprefix(prefix), f.line, str(f.resource)) for f in findings]

    assert where(in_staging, STAGING) == where(in_base, "")


def test_the_committed_out_tree_is_the_render(rendered: dict[str, str]) -> None:
    out = Path(__file__).resolve().parents[2] / "out"
    assert (out / STAGING / ESO_APP).read_text() == rendered[STAGING + ESO_APP]
