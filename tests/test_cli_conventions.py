"""The conventions a kubectl, helm or kustomize user carries in: --version, -h, -o FORMAT,
--quiet, NO_COLOR and --color, files and stdin for validate, machine output for every command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support.cli import invoke
from typer.testing import CliRunner

from gigrouter import __version__, cli
from gigrouter.diff import formats as diff_formats
from gigrouter.diff.compare import MISSING, FieldChange, compare_files, diff_environments
from gigrouter.write import read_tree

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "config" / "platform.yaml"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "config", root / "config")
    shutil.copytree(REPO / "out", root / "out")
    return root


@pytest.mark.parametrize("args", [["--version"], ["version"]])
def test_version(args: list[str]) -> None:
    result = invoke(*args)
    assert (result.exit_code, result.stdout) == (0, f"gigrouter {__version__}\n")


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_short_and_long_help(flag: str) -> None:
    for command in ([], ["render"], ["validate"], ["diff"], ["plan"], ["publish"]):
        result = invoke(*command, flag)
        assert result.exit_code == 0
        assert "Usage: gigrouter" in result.stdout


def test_completion_is_typers_and_offered() -> None:
    result = invoke("--help")
    assert "--install-completion" in result.stdout and "--show-completion" in result.stdout


def test_out_is_long_only_and_o_is_the_output_format(project: Path) -> None:
    result = invoke("render", "-o", "json", "--check", cwd=project)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["upToDate"] is True and data["written"] is False
    assert data["files"] == len(read_tree(project / "out"))
    assert invoke("render", "-o", "elsewhere", cwd=project).exit_code == 2


def test_render_json_names_every_file_it_added_removed_and_changed(project: Path) -> None:
    (project / "out" / "backend" / "notes.yaml").write_text("hand: added\n")
    text = (project / "config" / "platform.yaml").read_text()
    (project / "config" / "platform.yaml").write_text(text.replace("replicas: 2", "replicas: 3", 1))
    result = invoke("render", "-o", "json", cwd=project)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["removed"] == ["backend/notes.yaml"]
    assert "backend/deployment.yaml" in data["changed"]
    assert data["written"] is True


def test_render_lists_every_removed_file_by_name(project: Path) -> None:
    (project / "out" / "backend" / "notes.yaml").write_text("hand: added\n")
    (project / "out" / "frontend" / "old.yaml").write_text("x: 1\n")
    result = invoke("render", cwd=project)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("(0 added, 2 removed, 0 changed)")
    assert lines[1:] == ["  removed: backend/notes.yaml", "  removed: frontend/old.yaml"]


def test_verbose_lists_added_and_changed_too(project: Path) -> None:
    text = (project / "config" / "platform.yaml").read_text()
    (project / "config" / "platform.yaml").write_text(text.replace("replicas: 2", "replicas: 3", 1))
    result = invoke("--verbose", "render", cwd=project)
    assert "  changed: backend/deployment.yaml" in result.stdout.splitlines()
    assert invoke("-q", "-v", "render", cwd=project).exit_code == 2


def test_check_ends_with_the_command_that_fixes_the_drift(project: Path) -> None:
    (project / "out" / "backend" / "service.yaml").write_text("changed: true\n")
    result = invoke("render", "--check", cwd=project)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "to bring out up to date, run: gigrouter render"
    other = invoke("render", "--check", "--out", "elsewhere", "--env", "staging", cwd=project)
    assert other.exit_code == 1
    assert other.stdout.splitlines()[-1] == (
        "to bring elsewhere/environments/staging up to date, run:"
        " gigrouter render --out elsewhere --env staging"
    )


def test_quiet_prints_nothing_on_success(project: Path) -> None:
    for args in (["render"], ["render", "--check"], ["validate"], ["plan"], ["diff"]):
        result = invoke("--quiet", *args, cwd=project)
        assert (result.exit_code, result.stdout) == (0, ""), args


def test_colour_follows_no_color_and_the_flag(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    (project / "out" / "backend" / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: backend}\n"
        "stringData: {password: hunter2}\n"
    )
    always = CliRunner().invoke(
        cli.app, ["--color", "always", "validate", "out"], env={"NO_COLOR": "1"}, color=True
    )
    never = CliRunner().invoke(cli.app, ["--color", "never", "validate", "out"], color=True)
    assert "\x1b[" in always.stdout
    assert "\x1b[" not in never.stdout
    settings = cli.Settings(color=cli.Color.auto)

    class Terminal:
        def isatty(self) -> bool:
            return True

    assert settings.colored(Terminal())  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NO_COLOR", "1")
        assert not settings.colored(Terminal())  # type: ignore[arg-type]


# --- validate takes files and standard input ------------------------------------------------

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\n"
BAD = "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\nspec:\n  ports: [{port: 99999}]\n"


def test_validate_a_file(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(CONFIGMAP)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    ok = invoke("validate", str(good), "-o", "json")
    assert ok.exit_code == 0, ok.stdout
    assert json.loads(ok.stdout)["summary"]["resources"] == 1
    failed = invoke("validate", str(good), str(bad), "-o", "json")
    assert failed.exit_code == 1
    files = {f["file"] for f in json.loads(failed.stdout)["findings"] if f["severity"] == "error"}
    assert files == {str(bad)}


def test_validate_standard_input_with_several_documents() -> None:
    result = CliRunner().invoke(
        cli.app, ["validate", "-", "-o", "json"], input=CONFIGMAP + "---\n" + BAD
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["summary"]["resources"] == 2
    assert {f["file"] for f in data["findings"]} == {"-"}
    assert any(f["rule"] == "value-invalid" or f["rule"] == "schema" for f in data["findings"])


def test_validate_refuses_a_missing_path_and_a_non_utf8_file(tmp_path: Path) -> None:
    missing = invoke("validate", str(tmp_path / "nope.yaml"))
    assert (missing.exit_code, missing.stderr) == (
        2,
        f"error: {tmp_path / 'nope.yaml'}: no such file or directory\n",
    )
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"a: 1\nb: caf\xe9\n")
    result = invoke("validate", str(latin))
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {latin}:2: not UTF-8 text (byte offset 11: invalid continuation byte)\n"
    )


# --- publish -o json ---------------------------------------------------------------------------


def test_publish_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gitworld import World, isolate

    isolate(monkeypatch, tmp_path / "home")
    world = World(tmp_path / "w")
    result = invoke("publish", "-o", "json", cwd=world.main)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["outcome"] == "published" and data["pushed"] is True
    assert data["superseded"] is False
    assert data["commit"] == world.tip()
    assert data["source"] == world.first
    assert sorted(data["added"]) == sorted(world.files())
    again = json.loads(invoke("publish", "-o", "json", cwd=world.main).stdout)
    assert (again["outcome"], again["pushed"], again["commit"]) == ("unchanged", False, None)


# --- diffs a reviewer can read -------------------------------------------------------------


def test_a_long_value_is_cut_around_the_change_never_hiding_it() -> None:
    registry = "231056963705.dkr.ecr.eu-north-1.amazonaws.com/team/platform/" + "x" * 120
    old, new = (
        f"{registry}/gig-route-backend:39-ae9ef90",
        f"{registry}/gig-route-backend:40-b1c2d3e",
    )
    shown = diff_formats.pair(old, new)
    assert shown == '...g-route-backend:39-ae9ef90" -> ...g-route-backend:40-b1c2d3e"'
    assert diff_formats.pair("a:1", "a:2") == '"a:1" -> "a:2"'
    assert diff_formats.pair(MISSING, "x") == '(none) -> "x"'


def test_short_values_are_shown_whole() -> None:
    value = "y" * (diff_formats.MAX_VALUE - 2)  # with its quotes, just at the limit
    change = FieldChange("spec.x", value[:-1], value[:-1] + "z")
    text = diff_formats._field(change)
    assert "..." not in text


def test_two_environments_compare_resource_by_resource() -> None:
    diff = diff_environments(CONFIG, None, "staging")
    assert diff.before == "the base platform" and diff.after == "environment staging"
    keys = {(r.key.kind, r.key.name) for r in diff.resources}
    assert ("Application", "backend") in keys  # staging-backend met backend
    assert not any(name.startswith("staging-") for _, name in keys)
    assert all(r.status == "changed" for r in diff.resources)
    result = invoke("diff", "--to-env", "staging", "-o", "json", cwd=REPO)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["summary"]["changed"] == len(diff.resources)
    unknown = invoke("diff", "--to-env", "prod", cwd=REPO)
    assert unknown.exit_code == 2 and "no environment 'prod'" in unknown.stderr


def _big_diff(files: int, lines: int) -> object:
    old = {
        f"app{i % 3}/f{i}.yaml": "".join(f"k{j}: {j}\n" for j in range(lines)) for i in range(files)
    }
    new = {p: t.replace(": 1", ": one") for p, t in old.items()}
    return compare_files(old, new, "before", "after")  # type: ignore[arg-type]


@pytest.mark.parametrize("budget", [2_000, 5_000, 20_000, 65_000])
def test_markdown_parts_fit_the_budget_to_the_byte(budget: int) -> None:
    diff = _big_diff(30, 120)
    parts = diff_formats.to_markdown(diff, budget)  # type: ignore[arg-type]
    assert all(len(p.encode("utf-8")) <= budget for p in parts)
    total = len(parts)
    for i, part in enumerate(parts, 1):
        assert part.startswith(f"<!-- gigrouter-diff part {i} of {total} -->\n")
    assert "**no resource changed; 30 files differ**" in parts[0]
    shown = "".join(parts)
    for i in range(30):  # every file is in some part
        assert f"app{i % 3}/f{i}.yaml" in shown
    if budget == 2_000:
        assert total > 1 and "(part 1 of" in parts[0]


def test_markdown_refuses_a_budget_that_cannot_hold_a_part() -> None:
    with pytest.raises(ValueError, match="at least 2000"):
        diff_formats.to_markdown(_big_diff(1, 1), 100)  # type: ignore[arg-type]
    result = invoke("diff", "-o", "markdown", "--max-bytes", "10", cwd=REPO)
    assert result.exit_code == 2 and "--max-bytes" in result.stderr


def test_noise_is_hidden_unless_asked() -> None:
    deploy = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  namespace: n\n"
        "  labels:\n    helm.sh/chart: web-{v}\n  annotations:\n    checksum/config: {c}\n"
        "spec:\n  replicas: {r}\n"
    )
    old = {
        "a/d.yaml": deploy.format(v="1.0", c="aaa", r=1),
        "a/n.yaml": deploy.format(v="1", c="x", r=1),
    }
    new = {
        "a/d.yaml": deploy.format(v="1.1", c="bbb", r=2),
        "a/n.yaml": deploy.format(v="2", c="y", r=1),
    }
    diff = compare_files(old, new, "before", "after")  # type: ignore[arg-type]
    (quiet,) = diff_formats.to_markdown(diff)
    assert "`spec.replicas`" in quiet
    assert "helm.sh/chart" not in quiet.split("<details>")[0]
    assert "a/n.yaml" not in quiet  # nothing but noise changed in it
    assert "4 noise changes (chart labels, checksums) not shown" in quiet
    (loud,) = diff_formats.to_markdown(diff, show_noise=True)
    assert "a/n.yaml" in loud and "noise" not in loud


def test_set_image_json(project: Path) -> None:
    result = invoke("set-image", "frontend", "9.9.9", "-o", "json", cwd=project)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["changed"] is True and data["new"].endswith(":9.9.9")
    assert data["keyPath"] == "components.frontend.image"
    text = (project / "config" / "platform.yaml").read_text().splitlines()
    assert data["new"] in text[data["line"] - 1]


def _synthetic(apps: int, path_len: int, fields: int, note_len: int) -> object:
    from gigrouter.diff.compare import Diff, FileChange, ResourceChange, ResourceKey

    resources = []
    files = []
    for i in range(apps):
        app = f"app-{i:03d}-" + "a" * 20
        path = f"{app}/" + "p" * path_len + ".yaml"
        key = ResourceKey("", "v1", "ConfigMap", "ns", f"c{i}")
        changes = tuple(FieldChange("data." + "k" * 80 + str(j), "x", "y") for j in range(fields))
        helm = ("values: " + "n" * note_len,) if note_len else ()
        resources.append(ResourceChange("changed", key, path, path, changes, helm, app))
        files.append(
            FileChange(path, "changed", f"--- a/{path}\n+++ b/{path}\n-x\n+y\n", 1, 1, app)
        )
    return Diff("before", "after", tuple(resources), tuple(files))


@pytest.mark.parametrize(
    ("apps", "path_len", "fields", "note_len"),
    [(120, 10, 1, 0), (3, 10, 6, 0), (3, 10, 1, 3000), (2, 2500, 1, 0)],
)
def test_no_part_exceeds_the_budget_whatever_the_shape(
    apps: int, path_len: int, fields: int, note_len: int
) -> None:
    diff = _synthetic(apps, path_len, fields, note_len)
    for budget in (2_000, 5_000):
        parts = diff_formats.to_markdown(diff, budget)  # type: ignore[arg-type]
        assert parts and all(len(p.encode("utf-8")) <= budget for p in parts), [
            len(p.encode()) for p in parts
        ]


def test_color_always_survives_a_pipe(project: Path, gigrouter_exe: str) -> None:
    """click drops escape codes written to a pipe unless told not to: --color always must win."""
    import subprocess

    (project / "out" / "backend" / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: backend}\n"
        "stringData: {password: hunter2}\n"
    )
    piped = subprocess.run(
        [gigrouter_exe, "--color", "always", "validate"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert piped.returncode == 1 and "\x1b[" in piped.stdout
    plain = subprocess.run([gigrouter_exe, "validate"], cwd=project, capture_output=True, text=True)
    assert "\x1b[" not in plain.stdout
