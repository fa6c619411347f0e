"""Findings on a tree gigrouter rendered name the config key and line that produced them.

The defects are made in a copy of config/ (the default platform and its staging overlay) and
go through the installed command: ``gigrouter render -o json`` (validated in memory) and
``gigrouter validate out`` in text, JSON and SARIF (the provenance read back from the written
metadata file, the line from the config file it names). The tree names no line, so an edit
that only moves keys leaves it byte-identical.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO

from gigrouter import provenance
from gigrouter.validate.findings import Finding, Origin, Resource, Severity
from gigrouter.validate.origins import attach

IMAGE = "231056963705.dkr.ecr.eu-north-1.amazonaws.com/gig-route-backend"


def _project(tmp_path: Path) -> Path:
    """A copy of the repository's config/ in ``tmp_path``, where the commands run."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path


def _untag(path: Path, after: str) -> int:
    """Drop the tag of the backend image on the first ``image:`` line after the line
    ``after``; the line number it is on."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.rstrip() == after)
    for i in range(start, len(lines)):
        if lines[i].lstrip().startswith(f"image: {IMAGE}:"):
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            lines[i] = f"{indent}image: {IMAGE}\n"
            path.write_text("".join(lines), encoding="utf-8")
            return i + 1
    raise AssertionError(f"no backend image after {after!r} in {path}")


def _tree_bytes(out: Path) -> dict[str, bytes]:
    """Every file under ``out`` (relative path -> its bytes)."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
    }


def _run(exe: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def _image_finding(findings: list[dict[str, Any]], file: str) -> dict[str, Any]:
    (found,) = [f for f in findings if f["rule"] == "image-tag" and f["file"] == file]
    return found


def test_render_names_the_config_key_and_line_of_an_untagged_image(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    root = _project(tmp_path)
    line = _untag(root / "config" / "platform.yaml", "  backend:")
    done = _run(gigrouter_exe, root, "render", "-o", "json")
    assert done.returncode == 0, done.stderr
    finding = _image_finding(json.loads(done.stdout)["warnings"], "backend/deployment.yaml")
    assert finding["path"] == "spec.template.spec.containers[0].image"
    assert finding["config"] == {
        "file": "config/platform.yaml",
        "line": line,
        "key": "components.backend.image",
    }
    # the fix names the config key, not the manifest that render overwrites
    assert finding["message"].endswith(
        "; pin a version tag or a digest (image@sha256:...) in components.backend.image"
    )
    # the migration Job runs the backend's image: the same key, not one the Job does not have
    job = _image_finding(json.loads(done.stdout)["warnings"], "backend/job.yaml")
    assert job["config"]["key"] == "components.backend.image"
    assert job["config"]["line"] == line


def test_validate_reads_the_provenance_back_from_the_written_tree(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    root = _project(tmp_path)
    line = _untag(root / "config" / "platform.yaml", "  backend:")
    assert _run(gigrouter_exe, root, "render").returncode == 0
    metadata = (root / "out" / "gigrouter-metadata.yaml").read_text(encoding="utf-8")
    # the object's key is written; the image's (its key plus .image) is derived back
    assert "Deployment/backend/backend: 'config/platform.yaml components.backend'" in metadata
    assert "Deployment/backend/backend spec.template.spec.containers[0].image" not in metadata
    done = _run(gigrouter_exe, root, "validate", "out", "-o", "json")
    assert done.returncode == 0, done.stderr
    finding = _image_finding(json.loads(done.stdout)["findings"], "backend/deployment.yaml")
    assert finding["config"] == {
        "file": "config/platform.yaml",
        "line": line,
        "key": "components.backend.image",
    }
    text = _run(gigrouter_exe, root, "validate", "out").stdout
    assert f"from config/platform.yaml:{line} components.backend.image" in text


def test_a_defect_an_overlay_sets_names_the_overlay_file_and_line(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    root = _project(tmp_path)
    overlay = root / "config" / "environments" / "staging.yaml"
    line = _untag(overlay, "  backend:")
    done = _run(gigrouter_exe, root, "render", "-o", "json")
    assert done.returncode == 0, done.stderr
    warnings = json.loads(done.stdout)["warnings"]
    staged = _image_finding(warnings, "environments/staging/backend/deployment.yaml")
    assert staged["config"] == {
        "file": "config/environments/staging.yaml",
        "line": line,
        "key": "components.backend.image",
    }
    # the base tree's image is still tagged: no finding there
    assert not [
        f for f in warnings if f["rule"] == "image-tag" and f["file"].startswith("backend/")
    ]
    # and the written tree says the same
    assert _run(gigrouter_exe, root, "render").returncode == 0
    done = _run(gigrouter_exe, root, "validate", "out", "-o", "json")
    again = _image_finding(
        json.loads(done.stdout)["findings"], "environments/staging/backend/deployment.yaml"
    )
    assert again["config"] == staged["config"]


def test_sarif_carries_the_manifest_and_the_config_location(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    root = _project(tmp_path)
    line = _untag(root / "config" / "platform.yaml", "  backend:")
    assert _run(gigrouter_exe, root, "render").returncode == 0
    done = _run(gigrouter_exe, root, "validate", "out", "-o", "sarif")
    results = json.loads(done.stdout)["runs"][0]["results"]
    (result,) = [
        r
        for r in results
        if r["ruleId"] == "image-tag"
        and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "backend/deployment.yaml"
    ]
    (related,) = result["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "config/platform.yaml"
    assert related["physicalLocation"]["region"]["startLine"] == line
    assert related["message"]["text"] == "set by components.backend.image"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] > 0


def test_every_object_of_the_default_render_is_mapped() -> None:
    """Each object of out/ written from a config key has an entry (a chart's values file holds
    no object); removing one from the builder fails here."""
    import yaml

    meta = yaml.safe_load((REPO / "out" / "gigrouter-metadata.yaml").read_text(encoding="utf-8"))
    mapped = provenance.parse(meta["provenance"])
    objects = set()
    for path in (REPO / "out").rglob("*.yaml"):
        rel = path.relative_to(REPO / "out").as_posix()
        if rel.startswith("environments/") or rel.startswith("observability/"):
            continue
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and "kind" in doc and "metadata" in doc:
                m = doc["metadata"]
                objects.add(provenance.object_id(doc["kind"], m.get("namespace", ""), m["name"]))
    assert objects and objects <= set(mapped), sorted(objects - set(mapped))
    assert all(e.file == "config/platform.yaml" for f in mapped.values() for e in f.values())
    # every entry names a key the config writes (or below one): its line is found
    lines = provenance.disk_lines(REPO / "out")
    assert all(lines.line(e) > 0 for f in mapped.values() for e in f.values())


def _finding(rule: str, message: str, path: str = "", kind: str = "Deployment") -> Finding:
    resource = Resource("apps/v1", kind, "shop", "web")
    return Finding(Severity.WARNING, rule, message, "web/deployment.yaml", 9, resource, path=path)


MAPPED = {
    "provenance": {
        "Deployment/shop/web": "config/platform.yaml components.frontend",
        "Deployment/shop/web spec.template.spec.containers[1]": (
            "config/platform.yaml applications[shop].workloads[web].sidecars[0]"
        ),
        "Deployment/shop/web spec.template.spec.containers[0].image": (
            "config/platform.yaml components.frontend.image"
        ),
        "ServiceAccount/shop/web": "config/environments/prod.yaml applications[shop]",
        "ServiceAccount/shop/web metadata.annotations.argocd.argoproj.io/sync-wave": (
            "config/environments/prod.yaml applications[shop].wave"
        ),
    }
}


def _lines(index: dict[str, dict[str, int]]) -> provenance.Lines:
    lines = provenance.Lines()
    lines.index = index
    return lines


# The lines of MAPPED's keys, as render's source maps would give them; a sidecar's resources
# are not written, so their key (derived from the sidecar's) takes the line of the sidecar.
LINES = _lines(
    {
        "config/platform.yaml": {
            "components": 29,
            "components.frontend": 30,
            "components.frontend.image": 32,
            "applications[shop].workloads[web].sidecars[0]": 41,
        },
        "config/environments/prod.yaml": {"applications[shop]": 7, "applications[shop].wave": 9},
    }
)


@pytest.mark.parametrize(
    ("path", "origin"),
    [
        (
            "spec.template.spec.containers[0].image",
            Origin("config/platform.yaml", 32, "components.frontend.image"),
        ),
        (
            "spec.template.spec.containers[1].resources",
            Origin(
                "config/platform.yaml",
                41,
                "applications[shop].workloads[web].sidecars[0].resources",
            ),
        ),
        # containers[10] is not inside containers[1]
        (
            "spec.template.spec.containers[10]",
            Origin("config/platform.yaml", 30, "components.frontend"),
        ),
        ("", Origin("config/platform.yaml", 30, "components.frontend")),
    ],
)
def test_the_longest_mapped_field_holding_the_path_is_the_origin(path: str, origin: Origin) -> None:
    (found,) = attach([_finding("schema", "bad", path)], MAPPED, LINES)
    assert found.origin == origin
    # without the lines (the config file is not there), the same file and key, no line
    (bare,) = attach([_finding("schema", "bad", path)], MAPPED)
    assert bare.origin == Origin(origin.file, 0, origin.key)
    assert str(bare.origin) == f"{origin.file} {origin.key}"


def test_fixes_are_said_in_config_keys_where_the_tree_is_gigroupers() -> None:
    resources = _finding(
        "resources-missing",
        "container 'log' sets no limits.memory; set resources.requests (cpu and memory) and"
        " resources.limits.memory",
        "spec.template.spec.containers[1].resources",
    )
    wave = _finding(
        "wave-order",
        "ServiceAccount 'web' (wave 5) must be healthy before this Deployment (wave 1): it runs"
        " as it; give ServiceAccount 'web' an earlier sync step (a lower"
        " argocd.argoproj.io/sync-wave, or an earlier phase)",
    )
    found = list(attach([resources, wave], MAPPED, LINES))
    key = "applications[shop].workloads[web].sidecars[0].resources"
    assert found[0].message.endswith(
        f"; set {key}.requests (cpu and memory) and {key}.limits.memory"
    )
    assert found[1].message.endswith(
        "; give it an earlier sync step: a lower applications[shop].wave"
        " (config/environments/prod.yaml:9)"
    )
    # a foreign tree (no provenance) keeps the manifest's wording and has no origin
    (plain,) = attach([resources], {})
    assert plain == resources


def test_a_hand_edited_provenance_line_is_left_out() -> None:
    parsed = provenance.parse({"Deployment/a/b": "not-a-location", "Service/a/b": "f.yaml x.y"})
    assert list(parsed) == ["Service/a/b"]
    assert parsed["Service/a/b"][""] == provenance.Entry("f.yaml", "x.y")
    # a tree an older gigrouter wrote ("FILE:LINE KEY"): the same entry, its line looked up
    old = provenance.parse({"Service/a/b": "f.yaml:3 x.y"})
    assert old["Service/a/b"][""] == provenance.Entry("f.yaml", "x.y")


def test_a_comment_that_moves_every_line_leaves_the_tree_byte_identical(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    """The tree names config keys, not lines: a comment at the top of the config changes no
    file of out/; the line a finding names is looked up, and is the shifted one."""
    root = _project(tmp_path)
    config = root / "config" / "platform.yaml"
    assert _run(gigrouter_exe, root, "render").returncode == 0
    before = _tree_bytes(root / "out")
    config.write_text("# a comment\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    done = _run(gigrouter_exe, root, "render")
    assert done.returncode == 0, done.stderr
    assert _tree_bytes(root / "out") == before
    assert "up to date" in _run(gigrouter_exe, root, "render", "--check").stdout
    # a defect, rendered into a tree; then one more comment line above it
    line = _untag(config, "  backend:")
    assert _run(gigrouter_exe, root, "render").returncode == 0
    config.write_text("# another\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    line += 1
    assert config.read_text(encoding="utf-8").splitlines()[line - 1].strip() == f"image: {IMAGE}"
    done = _run(gigrouter_exe, root, "validate", "out", "-o", "json")
    finding = _image_finding(json.loads(done.stdout)["findings"], "backend/deployment.yaml")
    assert finding["config"] == {
        "file": "config/platform.yaml",
        "line": line,
        "key": "components.backend.image",
    }
    # from elsewhere, the config is found relative to the tree's parent
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    text = _run(gigrouter_exe, elsewhere, "validate", str(root / "out")).stdout
    assert f"from config/platform.yaml:{line} components.backend.image" in text
    # without the config, the origin is named without a line
    shutil.move(root / "config", tmp_path / "moved")
    text = _run(gigrouter_exe, root, "validate", "out").stdout
    assert "from config/platform.yaml components.backend.image" in text
    sarif = json.loads(_run(gigrouter_exe, root, "validate", "out", "-o", "sarif").stdout)
    related = [
        r["relatedLocations"][0]["physicalLocation"]
        for r in sarif["runs"][0]["results"]
        if r["ruleId"] == "image-tag"
    ]
    assert related and all("region" not in p for p in related)


def test_the_metadata_keeps_only_what_lookup_cannot_derive() -> None:
    """A field whose key is its object's (or container's) key plus the field's config name is
    left out of the tree and derived back: the same origins, a fraction of the lines."""
    built = {
        "Deployment/shop/web": {
            "": provenance.Entry("config/platform.yaml", "components.web"),
            "spec.template.spec.containers[0]": provenance.Entry(
                "config/platform.yaml", "components.web"
            ),
            "spec.template.spec.containers[0].image": provenance.Entry(
                "config/platform.yaml", "components.web.image"
            ),
            "spec.replicas": provenance.Entry(
                "config/environments/qa.yaml", "components.web.replicas"
            ),
            # the migration Job runs the backend's image: not derivable, so it stays
            "spec.template.spec.containers[0].args": provenance.Entry(
                "config/platform.yaml", "components.backend.args"
            ),
        }
    }
    written = provenance.section(built)
    assert written == {
        "Deployment/shop/web": "config/platform.yaml components.web",
        "Deployment/shop/web spec.replicas": "config/environments/qa.yaml components.web.replicas",
        "Deployment/shop/web spec.template.spec.containers[0]": "config/platform.yaml components.web",
        "Deployment/shop/web spec.template.spec.containers[0].args": (
            "config/platform.yaml components.backend.args"
        ),
    }
    back = provenance.parse(written)
    for field, entry in built["Deployment/shop/web"].items():
        found = provenance.lookup(back, "Deployment/shop/web", field)
        assert found is not None and found[0] == entry, field


def test_the_section_built_object_by_object_is_the_section_of_the_whole_map() -> None:
    # render writes build_section (no whole map held); section(build(...)) is its oracle,
    # for the base platform and every environment of the default config
    from gigrouter.pipeline import _load_all, _settings, tree_outputs
    from gigrouter.render import render

    config = REPO / "config" / "platform.yaml"
    platforms, _, sources = _load_all(config)
    assert len(platforms) > 1  # the default config has environments
    for name, platform in platforms.items():
        settings = _settings(platforms, name, config.name)
        tree = render(tree_outputs(platform, config.name, settings))
        files = provenance.shown_files(config, sources[name])
        args = (platform, sources[name], tree.documents, files, settings.app_prefix)
        whole = provenance.build(*args)
        assert whole
        assert provenance.build_section(*args) == provenance.section(whole)
        assert list(provenance.build_section(*args)) == list(provenance.section(whole))
