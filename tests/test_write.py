"""Writing out/: atomic replacement, pruning, refusal of foreign directories, --check."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import DEFAULT_CONFIG

from gigrouter.errors import ConfigError, OutputDirError
from gigrouter.layout import METADATA_FILE
from gigrouter.pipeline import render_to
from gigrouter.render import RenderedTree
from gigrouter.write import compare, read_tree, write_tree


def meta(*entries: str, version: int = 1) -> str:
    """A metadata file as render writes it: the top-level entries it owns."""
    listed = "".join(f"- {e}\n" for e in sorted({*entries, METADATA_FILE}))
    return f"gigrouter:\n  format: 1\nversion: {version}\nentries:\n{listed}"


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def siblings(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir())


def test_write_then_prune(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(RenderedTree({"a/x.yaml": "x: 1\n", METADATA_FILE: meta("a")}), out)
    drift = write_tree(RenderedTree({"b/y.yaml": "y: 1\n", METADATA_FILE: meta("b")}), out)
    assert snapshot(out) == {"b/y.yaml": b"y: 1\n", METADATA_FILE: meta("b").encode()}
    assert not (out / "a").exists()
    assert (drift.added, drift.removed, drift.changed) == (
        ["b/y.yaml"],
        ["a/x.yaml"],
        [METADATA_FILE],
    )
    assert siblings(tmp_path) == ["out"]  # no temporary directory left behind


@pytest.mark.parametrize("content", ["notes.txt", "sub/file.yaml"])
def test_refuses_a_directory_it_did_not_create(tmp_path: Path, content: str) -> None:
    target = tmp_path / "precious"
    (target / content).parent.mkdir(parents=True, exist_ok=True)
    (target / content).write_text("keep me\n")
    before = snapshot(target)
    with pytest.raises(OutputDirError) as info:
        write_tree(RenderedTree({METADATA_FILE: "m: 1\n"}), target)
    assert info.value.exit_code == 2
    assert "refusing to replace it" in info.value.lines()[0]
    assert snapshot(target) == before


def test_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(OutputDirError):
        write_tree(RenderedTree({METADATA_FILE: "m\n"}), target)
    assert target.read_text() == "x"


def test_empty_directory_is_fine(tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    write_tree(RenderedTree({METADATA_FILE: meta()}), target)
    assert snapshot(target) == {METADATA_FILE: meta().encode()}


def test_failed_render_leaves_previous_output_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_to(DEFAULT_CONFIG, out)
    before = snapshot(out)
    broken = tmp_path / "broken.yaml"
    broken.write_text(DEFAULT_CONFIG.read_text().replace("replicas: 2", "replicas: -2", 1))
    with pytest.raises(ConfigError):
        render_to(broken, out)
    assert snapshot(out) == before
    assert siblings(tmp_path) == ["broken.yaml", "out"]


def test_failed_write_restores_and_cleans_up(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(RenderedTree({METADATA_FILE: meta("a.yaml"), "a.yaml": "a\n"}), out)
    before = snapshot(out)
    # A file whose parent is a file cannot be written: the write fails midway.
    with pytest.raises(OutputDirError) as caught:
        write_tree(
            RenderedTree({METADATA_FILE: meta("z", version=2), "z": "f\n", "z/inner.yaml": "x\n"}),
            out,
        )
    # the message names the path inside OUT, not the staging tree, and no errno
    assert caught.value.lines() == [f"{out / 'z'}: cannot write: file exists"]
    assert snapshot(out) == before
    assert siblings(tmp_path) == ["out"]


def test_check_reports_drift_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_to(DEFAULT_CONFIG, out)
    (out / "backend" / "service.yaml").write_text("changed\n")
    (out / "stray.yaml").write_text("x: 1\n")
    os.remove(out / "frontend" / "ingress.yaml")
    before = snapshot(out)
    result = render_to(DEFAULT_CONFIG, out, check=True)
    assert not result.written
    assert result.drift.added == ["frontend/ingress.yaml"]
    assert result.drift.removed == ["stray.yaml"]
    assert result.drift.changed == ["backend/service.yaml"]
    assert "--- a/backend/service.yaml" in result.drift.diff
    assert "-changed" in result.drift.diff
    assert "+++ b/frontend/ingress.yaml" in result.drift.diff
    assert snapshot(out) == before
    assert siblings(tmp_path) == ["out"]


def test_check_of_a_fresh_render_is_clean(tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_to(DEFAULT_CONFIG, out)
    assert render_to(DEFAULT_CONFIG, out, check=True).drift.clean


def test_compare_handles_binary_files(tmp_path: Path) -> None:
    (tmp_path / "bin").write_bytes(b"\xff\xfe")
    drift = compare(RenderedTree({}), tmp_path)
    assert drift.removed == ["bin"]
    assert "Binary file bin differs" in drift.diff
    assert read_tree(tmp_path) == {"bin": None}


def test_compare_agrees_with_a_diff_of_the_whole_trees(tmp_path: Path) -> None:
    # compare keeps only the text of files that differ; the whole-tree reading is the oracle
    import difflib

    on_disk = {
        "same.yaml": "a: 1\n",
        "changed.yaml": "a: 1\n",
        "emptied.yaml": "a: 1\n",
        "was-empty.yaml": "",
        "both-empty.yaml": "",
        "gone.yaml": "b: 2\n",
        "sub/same.yaml": "c: 3\n",
    }
    for rel, text in on_disk.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe")
    tree = RenderedTree(
        {
            "same.yaml": "a: 1\n",
            "changed.yaml": "a: 2\n",
            "emptied.yaml": "",
            "was-empty.yaml": "x: 1\n",
            "both-empty.yaml": "",
            "new.yaml": "d: 4\n",
            "binary.yaml": "e: 5\n",
            "sub/same.yaml": "c: 3\n",
        }
    )
    drift = compare(tree, tmp_path)
    current = read_tree(tmp_path)
    assert drift.added == sorted(set(tree.files) - set(current)) == ["new.yaml"]
    assert drift.removed == sorted(set(current) - set(tree.files)) == ["gone.yaml"]
    changed = sorted(p for p in set(tree.files) & set(current) if current[p] != tree.files[p])
    assert drift.changed == changed
    assert changed == ["binary.yaml", "changed.yaml", "emptied.yaml", "was-empty.yaml"]
    assert "Binary file binary.yaml differs\n" in drift.diff
    expected = "".join(
        difflib.unified_diff(
            ["a: 1\n"], ["a: 2\n"], fromfile="a/changed.yaml", tofile="b/changed.yaml"
        )
    )
    assert expected in drift.diff
    assert "+++ /dev/null" in drift.diff and "-b: 2" in drift.diff


def test_a_large_platforms_metadata_still_marks_the_tree_as_gigroupers(tmp_path: Path) -> None:
    """The metadata of a platform of thousands of services runs to megabytes (its provenance
    section grows with the objects); the next render must still recognise and replace the
    tree (a 1 MB read limit refused every re-render at 1,000 services)."""
    out = tmp_path / "out"
    render_to(DEFAULT_CONFIG, out)
    metadata = out / METADATA_FILE
    text = metadata.read_text(encoding="utf-8")
    padding = "".join(
        f"  Deployment/ns/svc-{i:05d}: 'config/platform.yaml components.x'\n" for i in range(40_000)
    )
    assert "\nprovenance:\n" in text
    metadata.write_text(
        text.replace("\nprovenance:\n", "\nprovenance:\n" + padding, 1), encoding="utf-8"
    )
    assert metadata.stat().st_size > 2_500_000
    result = render_to(DEFAULT_CONFIG, out)
    assert result.written
    assert metadata.read_text(encoding="utf-8") == text


def test_a_metadata_file_changed_between_two_checks_is_read_again(tmp_path: Path) -> None:
    # the second check (under the lock) reuses the first parse only for the same text
    from gigrouter.write import ensure_replaceable

    out = tmp_path / "out"
    out.mkdir()
    (out / "a").mkdir()
    (out / METADATA_FILE).write_text(meta("a", "b"))
    ensure_replaceable(out)
    (out / METADATA_FILE).write_text(meta("b", "c"))  # "a" is no longer listed
    with pytest.raises(OutputDirError, match="holds a, which"):
        ensure_replaceable(out)
    (out / METADATA_FILE).write_text(meta("a", "b"))
    ensure_replaceable(out)
