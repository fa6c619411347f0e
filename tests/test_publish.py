"""publish against real git: local bare repositories in tmp_path, never mocks."""

from __future__ import annotations

import http.server
import subprocess
import threading
from pathlib import Path

import pytest
import yaml
from gitworld import (
    RUNNER,
    World,
    config_text,
    git,
    git_env,
    isolate,
    with_replicas,
    without_frontend,
)
from typer.testing import CliRunner

from gigrouter.cli import app
from gigrouter.errors import PublishError, UsageError, ValidationFailed
from gigrouter.pipeline import build
from gigrouter.publish.command import Outcome, PublishResult, publish


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git sees a HOME of the test's own with the runner's identity, and no system config."""
    isolate(monkeypatch, tmp_path / "home")


def applications_of(world: World) -> list[str]:
    """The Application names of the render, read from its argocd/ files (the oracle for the
    applications a first publish names)."""
    _, tree = build(world.config_of(world.main))
    names = []
    for path, text in tree.files.items():
        if path.startswith("argocd/") and path.endswith(".yaml"):
            for doc in yaml.safe_load_all(text):
                if isinstance(doc, dict) and doc.get("kind") == "Application":
                    names.append(doc["metadata"]["name"])
    return names


def render_of(config: Path, prefix: str) -> dict[str, str]:
    _, tree = build(config)
    return {"/".join(p for p in (prefix, rel) if p): text for rel, text in tree.files.items()}


def run(world: World, checkout: Path, **kwargs: object) -> PublishResult:
    kwargs.setdefault("backoff", 0.01)
    return publish(world.config_of(checkout), **kwargs)  # type: ignore[arg-type]


# --- the basics ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "clusters/prod"])
def test_first_publish_commits_exactly_the_render(tmp_path: Path, path: str) -> None:
    world = World(tmp_path, path)
    result = run(world, world.main)
    assert result.outcome is Outcome.PUBLISHED
    assert result.source == world.first
    assert world.tip() == result.commit
    assert world.files() == render_of(world.config_of(world.main), path)
    assert sorted(result.added) == sorted(world.files())
    message = git(world.gitops, "log", "-1", "--format=%B", "main")
    # the subject says what changed: the source's subject and the applications it touched
    apps = sorted({a for a in applications_of(world) if a})
    assert message.splitlines()[0] == f"the first config ({', '.join(apps[:3])}" + (
        f", {len(apps) - 3} more)" if len(apps) > 3 else ")"
    )
    assert f"Rendered by gigrouter from {world.first} (the first config)." in message
    assert f"Applications changed: {', '.join(apps)}." in message
    assert message.rstrip().endswith(f"Gigrouter-Source: {world.first}")
    author = git(world.gitops, "log", "-1", "--format=%an <%ae>|%cn <%ce>", "main").strip()
    assert author == f"{RUNNER[0]} <{RUNNER[1]}>|{RUNNER[0]} <{RUNNER[1]}>"
    assert result.warnings == ()


def test_publishing_the_same_source_twice_makes_no_second_commit(tmp_path: Path) -> None:
    world = World(tmp_path, "clusters/prod")
    first = run(world, world.main)
    second = run(world, world.main)
    assert second.outcome is Outcome.UNCHANGED
    assert world.tip() == first.commit
    assert git(world.gitops, "rev-list", "--count", "main").strip() == "1"


def test_a_removed_component_is_pruned(tmp_path: Path) -> None:
    world = World(tmp_path, "clusters/prod")
    run(world, world.main)
    config = world.config_of(world.main)
    world.commit(world.main, without_frontend(config.read_text()), "drop the frontend")
    result = run(world, world.main)
    assert result.outcome is Outcome.PUBLISHED
    assert set(result.removed) == {
        "clusters/prod/argocd/frontend.yaml",
        "clusters/prod/web/README.md",
        "clusters/prod/web/deployment.yaml",
        "clusters/prod/web/ingress.yaml",
        "clusters/prod/web/service.yaml",
    }
    assert world.files() == render_of(config, "clusters/prod")


def test_a_disabled_apps_directory_is_pruned_at_the_root(tmp_path: Path) -> None:
    world = World(tmp_path, "")
    world.hand_commit({"NOTES.md": "# the cluster\n"}, "notes of our own")
    run(world, world.main)
    assert "web/deployment.yaml" in world.files()
    config = world.config_of(world.main)
    world.commit(world.main, without_frontend(config.read_text()), "drop the frontend")
    result = run(world, world.main)
    files = world.files()
    assert not [p for p in files if p.startswith("web/")]
    assert "web/service.yaml" in result.removed
    assert files.pop("NOTES.md") == "# the cluster\n"
    assert files == render_of(config, "")


def test_at_the_root_the_rendered_readme_replaces_a_hand_written_one(tmp_path: Path) -> None:
    world = World(tmp_path, "")
    world.hand_commit({"README.md": "# hand-written\n"}, "a README of our own")
    run(world, world.main)
    rendered = render_of(world.config_of(world.main), "")
    assert world.files()["README.md"] == rendered["README.md"]


@pytest.mark.parametrize("path", ["", "clusters/prod"])
def test_files_outside_what_publish_owns_are_left_alone(tmp_path: Path, path: str) -> None:
    world = World(tmp_path, path)
    mine = {
        "NOTES.md": "# hand-written\n",  # at the root, README.md is the render's own
        "clusters/staging/app.yaml": "kind: ConfigMap\n",
        "docs/notes.md": "notes\n",
    }
    world.hand_commit(dict(mine), "hand-written files")
    run(world, world.main)
    # A hand edit inside what publish owns is walked past and overwritten by the next change.
    owned = "/".join(p for p in (path, "web/service.yaml") if p)
    world.hand_commit({owned: "edited by hand\n", "docs/notes.md": "more notes\n"}, "hand edit")
    config = world.config_of(world.main)
    world.commit(world.main, with_replicas(config.read_text(), 4), "four replicas")
    result = run(world, world.main)
    assert result.outcome is Outcome.PUBLISHED
    files = world.files()
    assert files.pop("NOTES.md") == mine["NOTES.md"]
    assert files.pop("clusters/staging/app.yaml") == mine["clusters/staging/app.yaml"]
    assert files.pop("docs/notes.md") == "more notes\n"
    assert files == render_of(config, path)
    world.assert_linear()


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    ["modified", "staged", "untracked"],
)
def test_a_dirty_checkout_is_refused_and_left_as_it_was(tmp_path: Path, change: str) -> None:
    world = World(tmp_path)
    checkout = world.main
    if change == "modified":
        (checkout / "config" / "platform.yaml").write_text(
            with_replicas(world.config_of(checkout).read_text(), 5)
        )
    elif change == "staged":
        (checkout / "notes.txt").write_text("x\n")
        git(checkout, "add", "notes.txt")
    else:
        (checkout / "config" / "scratch.yaml").write_text("x: 1\n")
    status = git(checkout, "status", "--porcelain")
    with pytest.raises(UsageError, match="uncommitted changes"):
        run(world, checkout)
    assert world.tip() is None
    assert git(checkout, "status", "--porcelain") == status
    assert git(checkout, "rev-parse", "HEAD").strip() == world.first
    result = run(world, checkout, allow_dirty=True)
    assert result.outcome is Outcome.PUBLISHED
    message = git(world.gitops, "log", "-1", "--format=%B", "main")
    assert "uncommitted changes" in message
    # HEAD did not produce this render: its own trailer says so, HEAD's is not reused
    assert message.rstrip().endswith(f"Gigrouter-Source-Dirty: {world.first}")
    assert "Gigrouter-Source:" not in message


def test_ignored_files_do_not_make_the_checkout_dirty(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.commit(
        world.main, world.config_of(world.main).read_text(), "ignore", {".gitignore": "*.log\n"}
    )
    (world.main / "build.log").write_text("noise\n")
    assert run(world, world.main).outcome is Outcome.PUBLISHED


def test_a_render_with_validation_errors_is_not_published(tmp_path: Path) -> None:
    world = World(tmp_path)
    text = world.config_of(world.main).read_text()
    world.commit(
        world.main,
        text.replace("    replicas: 3\n", "    replicas: 3\n    service_account: ghost\n"),
        "ghost",
    )
    with pytest.raises(ValidationFailed):
        run(world, world.main)
    assert world.tip() is None


def test_unreachable_remote(tmp_path: Path) -> None:
    world = World(tmp_path)
    with pytest.raises(PublishError) as caught:
        run(world, world.main, to=str(tmp_path / "missing.git"))
    lines = caught.value.lines()
    assert lines[0].startswith(f"cannot read {tmp_path / 'missing.git'}: fatal: ")
    assert "does not appear to be a git repository" in "\n".join(lines)
    assert caught.value.exit_code == 1


def test_a_password_in_the_url_is_never_shown(tmp_path: Path) -> None:
    world = World(tmp_path)
    with pytest.raises(PublishError) as caught:
        run(world, world.main, to="http://user:s3cret@127.0.0.1:9/gitops.git")
    text = "\n".join(caught.value.lines())
    assert "s3cret" not in text
    assert "http://***@127.0.0.1:9/gitops.git" in text


class _Unauthorized(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="gitops"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize(
    ("userinfo", "expected"),
    [("", "terminal prompts disabled"), ("ci:wrong-token@", "Authentication failed")],
)
def test_rejected_credentials(tmp_path: Path, userinfo: str, expected: str) -> None:
    world = World(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Unauthorized)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://{userinfo}127.0.0.1:{server.server_address[1]}/gitops.git"
        with pytest.raises(PublishError) as caught:
            run(world, world.main, to=url)
    finally:
        server.shutdown()
        server.server_close()
    text = "\n".join(caught.value.lines())
    assert text.startswith("cannot read http://")
    assert expected in text
    assert "wrong-token" not in text


def test_a_branch_that_rejects_pushes(tmp_path: Path) -> None:
    world = World(tmp_path)
    hook = world.gitops / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'main is protected: open a pull request' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(PublishError) as caught:
        run(world, world.main)
    text = "\n".join(caught.value.lines())
    assert "cannot push to main of" in text
    assert "pre-receive hook declined" in text
    assert "remote: main is protected: open a pull request" in text
    assert world.tip() is None


def test_the_checkout_itself_is_refused_as_target(tmp_path: Path) -> None:
    world = World(tmp_path)
    with pytest.raises(UsageError, match="checked-out branch"):
        run(world, world.main, to=str(world.main))


def test_a_branch_other_than_the_revision_gets_a_warning(tmp_path: Path) -> None:
    world = World(tmp_path)
    seen: list[str] = []
    result = run(world, world.main, branch="preview", notify=seen.append)
    assert result.outcome is Outcome.PUBLISHED
    assert world.tip("preview") == result.commit
    assert world.tip("main") is None
    assert seen == list(result.warnings)
    assert "Argo CD reads 'main'" in seen[0]


# --- ordering -------------------------------------------------------------------------------------


def two_sources(world: World) -> tuple[Path, str, Path, str]:
    """Checkout A at the first commit (cloned before B exists) and checkout B at its child."""
    older = world.clone("older")
    text = world.config_of(world.main).read_text()
    newer_sha = world.commit(world.main, with_replicas(text, 7), "seven replicas")
    return older, world.first, world.main, newer_sha


def test_an_older_source_after_a_newer_one_leaves_the_newer_render(tmp_path: Path) -> None:
    world = World(tmp_path, "clusters/prod")
    older, older_sha, newer, newer_sha = two_sources(world)
    published = run(world, newer)
    result = run(world, older)
    assert result.outcome is Outcome.SUPERSEDED
    assert result.published_source == newer_sha
    assert world.tip() == published.commit
    assert world.sources() == [newer_sha]
    assert git(older, "rev-parse", "HEAD").strip() == older_sha


def test_a_newer_source_replaces_an_older_render(tmp_path: Path) -> None:
    world = World(tmp_path, "clusters/prod")
    older, older_sha, newer, newer_sha = two_sources(world)
    run(world, older)
    result = run(world, newer)
    assert result.outcome is Outcome.PUBLISHED
    assert result.changed == ("clusters/prod/web/deployment.yaml",)
    assert world.sources() == [newer_sha, older_sha]


def test_a_shallow_checkout_is_deepened_in_the_temporary_directory(tmp_path: Path) -> None:
    world = World(tmp_path, "clusters/prod")
    run(world, world.main)
    text = world.config_of(world.main).read_text()
    newer_sha = world.commit(world.main, with_replicas(text, 7), "seven replicas")
    shallow = world.clone("shallow", "--depth", "1")
    result = run(world, shallow)
    assert result.outcome is Outcome.PUBLISHED
    assert world.sources() == [newer_sha, world.first]
    assert git(shallow, "rev-parse", "--is-shallow-repository").strip() == "true"


@pytest.mark.parametrize("kind", ["unknown", "unrelated", "malformed"])
def test_a_published_source_that_cannot_be_placed_is_never_overwritten(
    tmp_path: Path, kind: str
) -> None:
    world = World(tmp_path, "clusters/prod")
    if kind == "unknown":
        other = tmp_path / "other"
        git(tmp_path, "init", "-q", str(other))
        git(other, "commit", "-q", "--allow-empty", "-m", "elsewhere")
        foreign = git(other, "rev-parse", "HEAD").strip()
    elif kind == "unrelated":
        side = world.clone("side")
        git(side, "checkout", "-q", "-b", "experiment", world.first)
        (side / "extra.txt").write_text("x\n")
        git(side, "add", "extra.txt")
        git(side, "commit", "-q", "-m", "a side branch")
        git(side, "push", "-q", "origin", "experiment")
        foreign = git(side, "rev-parse", "HEAD").strip()
        text = world.config_of(world.main).read_text()
        world.commit(world.main, with_replicas(text, 2), "main moves on")
    else:
        foreign = "not-a-commit"
    tip = world.hand_commit(
        {"clusters/prod/x.yaml": "x: 1\n"}, f"published elsewhere\n\nGigrouter-Source: {foreign}"
    )
    with pytest.raises(PublishError, match="refusing to overwrite") as caught:
        run(world, world.main)
    assert caught.value.exit_code == 1
    assert world.tip() == tip


def move_branch_during_push(world: World, message: str, every_time: bool = False) -> None:
    """A pre-receive hook that commits on top of main while a push is being received, as a
    pipeline pushing at the same moment would: the push then fails to update the ref."""
    marker = world.root / "hook-ran"
    hook = world.gitops / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        + ("" if every_time else f'[ -e "{marker}" ] && exit 0\ntouch "{marker}"\n')
        + "unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES\n"
        + "tip=$(git rev-parse refs/heads/main)\n"
        + f'new=$(printf \'{message}\\n\' | git commit-tree "$tip^{{tree}}" -p "$tip")\n'
        + 'git update-ref refs/heads/main "$new" "$tip"\n'
    )
    hook.chmod(0o755)


def test_a_push_that_loses_a_race_is_decided_again_and_retried(tmp_path: Path) -> None:
    world = World(tmp_path, "clusters/prod")
    older, older_sha, newer, newer_sha = two_sources(world)
    run(world, older)
    move_branch_during_push(world, "a hand edit pushed meanwhile")
    notes: list[str] = []
    result = run(world, newer, notify=notes.append)
    assert result.outcome is Outcome.PUBLISHED
    assert result.attempts == 2
    assert "rejected ([remote rejected] (failed to update ref))" in notes[0]
    subjects = git(world.gitops, "log", "--format=%s", "main").splitlines()
    assert subjects[1] == "a hand edit pushed meanwhile"
    assert world.sources() == [newer_sha, older_sha]
    world.assert_linear()


def test_a_newer_render_pushed_meanwhile_supersedes_the_retry(tmp_path: Path) -> None:
    world = World(tmp_path, "clusters/prod")
    older, _, _, newer_sha = two_sources(world)
    world.hand_commit({"README.md": "# the cluster\n"}, "a README")
    move_branch_during_push(world, f"the newer render\\n\\nGigrouter-Source: {newer_sha}")
    result = run(world, older)
    assert result.outcome is Outcome.SUPERSEDED
    assert (result.attempts, result.published_source) == (2, newer_sha)
    assert world.sources() == [newer_sha]


def test_retries_are_bounded(tmp_path: Path) -> None:
    world = World(tmp_path, "clusters/prod")
    run(world, world.main)
    config = world.config_of(world.main)
    world.commit(world.main, with_replicas(config.read_text(), 2), "two replicas")
    move_branch_during_push(world, "always first", every_time=True)
    with pytest.raises(PublishError, match="gave up after 3 attempts"):
        run(world, world.main, attempts=3)


def race(world: World, target: Path, first: Path, second: Path) -> dict[Path, PublishResult]:
    """Publish two checkouts to ``target`` at the same moment, from two threads."""
    results: dict[Path, PublishResult] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def publisher(checkout: Path) -> None:
        try:
            barrier.wait()
            results[checkout] = run(world, checkout, to=str(target), backoff=0.02)
        except BaseException as exc:  # re-raised by the test, with the round
            errors.append(exc)

    threads = [threading.Thread(target=publisher, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def test_two_publishers_racing_end_with_the_newer_render(tmp_path: Path) -> None:
    world = World(tmp_path / "config-side", "clusters/prod")
    older, older_sha, newer, newer_sha = two_sources(world)
    expected = render_of(world.config_of(newer), "clusters/prod")
    retried: list[bool] = []
    for round_ in range(10):
        world.gitops = tmp_path / f"gitops-{round_}.git"
        git(tmp_path, "init", "-q", "--bare", str(world.gitops))
        git(world.gitops, "config", "receive.denyNonFastForwards", "true")
        first, second = (older, newer) if round_ % 2 else (newer, older)
        results = race(world, world.gitops, first, second)
        assert results[newer].outcome is Outcome.PUBLISHED, round_
        assert results[older].outcome in (Outcome.PUBLISHED, Outcome.SUPERSEDED), round_
        assert world.sources()[0] == newer_sha, round_
        assert set(world.sources()) <= {older_sha, newer_sha}, round_
        assert world.files() == expected, round_
        world.assert_linear()
        retried.append(max(r.attempts for r in results.values()) > 1)
    assert any(retried), "the publishers never met: the race was not exercised"


# --- layouts and identity -------------------------------------------------------------------------


def test_same_repo_layout_publishes_out_to_the_config_repo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(tmp_path)
    checkout = world.main
    text = config_text(world.config_remote, "out")
    config = world.config_of(checkout)
    config.write_text(text)
    out = {f"out/{rel}": body for rel, body in render_of(config, "").items()}
    source = world.commit(checkout, text, "config and out/ in one commit", out)
    world.gitops = world.config_remote
    # out/ is committed with the config, so there is nothing to publish.
    result = run(world, checkout)
    assert result.outcome is Outcome.UNCHANGED
    assert world.tip() == source
    # A config change pushed without its render: publish commits out/ on top of it.
    stale = world.commit(checkout, with_replicas(text, 6), "six replicas, out/ not rendered")
    result = run(world, checkout)
    assert result.outcome is Outcome.PUBLISHED
    assert result.changed == ("out/web/deployment.yaml",)
    assert git(world.config_remote, "rev-parse", "main~1").strip() == stale
    assert git(checkout, "rev-parse", "HEAD").strip() == stale
    assert git(checkout, "status", "--porcelain") == ""
    # A checkout that lags behind newer config commits on the branch is superseded.
    lagging = world.clone("lagging")
    git(lagging, "reset", "-q", "--hard", source)
    result = run(world, lagging)
    assert result.outcome is Outcome.SUPERSEDED
    assert result.published_source == git(world.config_remote, "rev-parse", "main").strip()
    # Never `--to .`: git refuses pushes into a checked-out branch.
    monkeypatch.chdir(checkout)
    with pytest.raises(UsageError, match="checked-out branch"):
        run(world, checkout, to=".")


def test_without_a_git_identity_publish_commits_as_gigrouter(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    world = World(tmp_path)
    env = git_env(tmp_path / "empty-home", identity=False)
    done = subprocess.run(
        [gigrouter_exe, "publish"],
        cwd=world.main,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "published the render of" in done.stdout
    who = git(world.gitops, "log", "-1", "--format=%an <%ae>|%cn <%ce>", "main").strip()
    assert who == "gigrouter <gigrouter@localhost>|gigrouter <gigrouter@localhost>"
    assert not (tmp_path / "empty-home" / ".gitconfig").read_text().count("[user]")


# --- the command --------------------------------------------------------------------------------


def test_cli_dry_run_lists_the_changes_and_pushes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(tmp_path, "clusters/prod")
    run(world, world.main)
    tip = world.tip()
    config = world.config_of(world.main)
    world.commit(world.main, without_frontend(with_replicas(config.read_text(), 2)), "smaller")
    monkeypatch.chdir(world.main)
    result = CliRunner().invoke(app, ["publish", "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("dry run: would commit the render of")
    assert "(0 added, 5 removed, 2 changed)" in lines[0]  # web/ with its README; README.md
    assert "  removed: clusters/prod/web/deployment.yaml" in lines
    assert "  changed: clusters/prod/argocd/apps.yaml" not in lines
    assert world.tip() == tip


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--to", "{missing}"], 1, "error: cannot read"),
        (["--branch", "bad..name"], 2, "is not a branch name"),
        (["--config", "nope.yaml"], 2, "config file not found"),
    ],
)
def test_cli_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], code: int, message: str
) -> None:
    world = World(tmp_path)
    monkeypatch.chdir(world.main)
    args = [a.replace("{missing}", str(tmp_path / "missing.git")) for a in args]
    result = CliRunner().invoke(app, ["publish", *args])
    assert result.exit_code == code, result.output
    assert message in result.stderr


def test_cli_reports_publish_unchanged_and_superseded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(tmp_path)
    older, _, newer, newer_sha = two_sources(world)
    monkeypatch.chdir(newer)
    first = CliRunner().invoke(app, ["publish", "--message", "Deploy seven replicas"])
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("published the render of")
    assert git(world.gitops, "log", "-1", "--format=%s", "main").strip() == "Deploy seven replicas"
    again = CliRunner().invoke(app, ["publish"])
    assert "nothing to commit" in again.stdout
    monkeypatch.chdir(older)
    late = CliRunner().invoke(app, ["publish"])
    assert late.exit_code == 0
    assert late.stdout.startswith("superseded:")
    assert newer_sha[:12] in late.stdout
