"""--env of set-image, publish, plan and diff: one environment's overlay, tree and target."""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from gitworld import TRAILER, World, git, isolate
from helpers import DEFAULT_CONFIG, REPO
from support.cli import invoke

from gigrouter.config.load import load_platform
from gigrouter.config.overlay import load_environment
from gigrouter.errors import ConfigError, UsageError
from gigrouter.pipeline import build_trees, combine
from gigrouter.plan import formats as plan_formats
from gigrouter.plan.steps import plan_tree
from gigrouter.publish.command import Outcome, publish
from gigrouter.setimage.command import set_image

SERVICES = REPO / "tests" / "golden" / "services" / "config.yaml"


def image_of(manifest: str) -> str:
    (container,) = yaml.safe_load(manifest)["spec"]["template"]["spec"]["containers"]
    return str(container["image"])


def unified(before: str, after: str) -> str:
    """The hunks of a zero-context diff, without the file header lines."""
    lines = difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0)
    return "".join(list(lines)[2:])


# --- set-image --env ---------------------------------------------------------------------------

QA = """\
# qa: a smaller copy of the platform
domain: qa.example.com

components:
  backend:
    replicas: 1
    image: registry.example.com/backend:1.0  # pinned for qa
  frontend:
    replicas: 1  # one is enough
    ingress:
      routes:
        - host: qa.example.com

# the end
namespace_suffix: qa  # beside the base, on its cluster
"""


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """The default config with one environment, qa, whose overlay is QA."""
    folder = tmp_path / "config"
    folder.mkdir()
    shutil.copy(DEFAULT_CONFIG, folder / "platform.yaml")
    (folder / "environments").mkdir()
    (folder / "environments" / "qa.yaml").write_text(QA, encoding="utf-8")
    return folder


def test_an_image_the_overlay_sets_changes_in_place(config_dir: Path) -> None:
    config = config_dir / "platform.yaml"
    base = config.read_bytes()
    result = set_image(config, "backend", "2.0", env="qa")
    assert (result.old, result.new, result.changed, result.added) == (
        "registry.example.com/backend:1.0",
        "registry.example.com/backend:2.0",
        True,
        False,
    )
    assert (result.file, result.line, result.key_path) == (
        str(config_dir / "environments" / "qa.yaml"),
        7,
        "components.backend.image",
    )
    after = (config_dir / "environments" / "qa.yaml").read_text(encoding="utf-8")
    assert unified(QA, after) == (
        "@@ -7 +7 @@\n"
        "-    image: registry.example.com/backend:1.0  # pinned for qa\n"
        "+    image: registry.example.com/backend:2.0  # pinned for qa\n"
    )
    assert config.read_bytes() == base
    backend = load_environment(config, "qa").components.backend
    assert backend is not None
    assert backend.image == result.new


def test_an_inherited_image_is_added_to_the_overlay(config_dir: Path) -> None:
    config = config_dir / "platform.yaml"
    base = config.read_bytes()
    inherited = load_platform(config).components.frontend
    assert inherited is not None
    result = set_image(config, "frontend", "9.9.9", env="qa")
    new = inherited.image.rsplit(":", 1)[0] + ":9.9.9"
    assert (result.old, result.new, result.added, result.line) == (inherited.image, new, True, 13)
    overlay = config_dir / "environments" / "qa.yaml"
    assert unified(QA, overlay.read_text(encoding="utf-8")) == (
        f"@@ -12,0 +13 @@\n+    image: {new}\n"
    )
    assert config.read_bytes() == base
    # Only the environment's tree changes; it loads and renders with the new image.
    base_tree, qa_tree = build_trees(config, everything=True)
    assert image_of(qa_tree.tree.files["frontend/deployment.yaml"]) == new
    assert image_of(base_tree.tree.files["frontend/deployment.yaml"]) == inherited.image
    # Again: the overlay has the key now, so nothing changes.
    again = set_image(config, "frontend", "9.9.9", env="qa")
    assert (again.changed, again.file, again.line) == (False, str(overlay), 13)


def test_a_nested_image_adds_the_whole_key_path(config_dir: Path) -> None:
    config = config_dir / "platform.yaml"
    result = set_image(config, "kibana", "8.15.0", env="qa")
    after = (config_dir / "environments" / "qa.yaml").read_text(encoding="utf-8")
    assert unified(QA, after) == (
        f"@@ -12,0 +13,3 @@\n+  logging:\n+    kibana:\n+      image: {result.new}\n"
    )
    logging = load_environment(config, "qa").components.logging
    assert logging is not None and logging.kibana.image == result.new


def test_an_overlay_without_components_gets_them(config_dir: Path) -> None:
    config = config_dir / "platform.yaml"
    overlay = config_dir / "environments" / "qa.yaml"
    overlay.write_bytes(b"domain: qa.example.com\r\n# crlf\r\n")
    result = set_image(config, "redis", "7.4-alpine", env="qa")
    assert overlay.read_bytes() == (
        b"domain: qa.example.com\r\ncomponents:\r\n  backend:\r\n    redis:\r\n"
        + f"      image: {result.new}\r\n".encode()
        + b"# crlf\r\n"
    )


@pytest.mark.parametrize(
    "component",
    ["backend", "redis", "frontend", "memcached", "elasticsearch", "kibana", "fluent-bit"],
)
def test_every_component_on_the_example_staging_overlay(tmp_path: Path, component: str) -> None:
    shutil.copytree(DEFAULT_CONFIG.parent, tmp_path / "config")
    config = tmp_path / "config" / "platform.yaml"
    overlay = tmp_path / "config" / "environments" / "staging.yaml"
    before = overlay.read_text(encoding="utf-8")
    result = set_image(config, component, "9.9.9-rc.1", env="staging")
    after = overlay.read_text(encoding="utf-8")
    removed = [line for line in unified(before, after).splitlines() if line.startswith("-")]
    added = [line for line in unified(before, after).splitlines() if line.startswith("+")]
    if result.added:  # only new lines, the last one the image
        assert removed == []
        assert added[-1].removeprefix("+").strip() == f"image: {result.new}"
    else:
        assert len(removed) == len(added) == 1
    assert config.read_bytes() == DEFAULT_CONFIG.read_bytes()
    again = set_image(config, component, "9.9.9-rc.1", env="staging")
    assert (again.changed, again.file, again.line) == (False, str(overlay), result.line)
    assert after.splitlines()[result.line - 1].strip() == f"image: {result.new}"


@pytest.fixture
def services_dir(tmp_path: Path) -> Path:
    """The services golden config (JSON) with an overlay in block style."""
    folder = tmp_path / "config"
    (folder / "environments").mkdir(parents=True)
    shutil.copy(SERVICES, folder / "platform.yaml")
    return folder


SERVICES_QA = """\
components:
  services:
    items:
    - name: svc-0001
      replicas: 1
"""


def test_a_web_service_becomes_a_named_item(services_dir: Path) -> None:
    config = services_dir / "platform.yaml"
    overlay = services_dir / "environments" / "qa.yaml"
    overlay.write_text(SERVICES_QA, encoding="utf-8")
    first = set_image(config, "svc-0000", "2.0.0", env="qa")
    second = set_image(config, "svc-0001", "3.0.0", env="qa")
    assert first.key_path == "components.services.items[svc-0000].image"
    after = overlay.read_text(encoding="utf-8")
    assert unified(SERVICES_QA, after) == (
        "@@ -5,0 +6,3 @@\n"
        "+      image: registry.example.com/shop/svc-0001:3.0.0\n"
        "+    - name: svc-0000\n"
        "+      image: registry.example.com/shop/svc-0000:2.0.0\n"
    )
    assert second.line == 6
    _, qa = build_trees(config, everything=True)
    assert (
        "image: registry.example.com/shop/svc-0000:2.0.0\n"
        in qa.tree.files["services/svc-0000.yaml"]
    )
    assert (
        "image: registry.example.com/shop/svc-0001:3.0.0\n"
        in qa.tree.files["services/svc-0001.yaml"]
    )


def test_a_json_overlay_gets_json(services_dir: Path) -> None:
    config = services_dir / "platform.yaml"
    overlay = services_dir / "environments" / "qa.yaml"
    text = '{\n "domain": "qa.shop.example.com"\n}\n'
    overlay.write_text(text, encoding="utf-8")
    set_image(config, "svc-0001", "3.0.0", env="qa")
    assert overlay.read_text(encoding="utf-8") == (
        '{\n "domain": "qa.shop.example.com", "components": {"services": {"items":'
        ' [{"name": "svc-0001", "image": "registry.example.com/shop/svc-0001:3.0.0"}]}}\n}\n'
    )
    assert json.loads(overlay.read_text())["domain"] == "qa.shop.example.com"


def test_set_image_env_cli(config_dir: Path) -> None:
    cwd = config_dir.parent
    done = invoke("set-image", "frontend", "7", "--env", "qa", cwd=cwd)
    assert done.exit_code == 0, done.stderr
    assert done.stdout.startswith("config/environments/qa.yaml:13: components.frontend.image: ")
    assert done.stdout.endswith(":7 (added to the overlay)\n")
    unknown = invoke("set-image", "frontend", "7", "--env", "prod", cwd=cwd)
    assert unknown.exit_code == 2
    assert unknown.stderr == "error: --env: no environment named 'prod'; known: qa\n"
    bad = invoke("set-image", "fronted", "7", "--env", "qa", cwd=cwd)
    assert bad.exit_code == 2 and "did you mean 'frontend'?" in bad.stderr


def test_a_broken_overlay_is_a_config_error_and_left_as_it_was(config_dir: Path) -> None:
    overlay = config_dir / "environments" / "qa.yaml"
    overlay.write_text(QA.replace("replicas: 1  #", "replicaz: 1  #"), encoding="utf-8")
    before = overlay.read_bytes()
    with pytest.raises(ConfigError, match=r"qa\.yaml:9: components\.frontend\.replicaz"):
        set_image(config_dir / "platform.yaml", "frontend", "2", env="qa")
    assert overlay.read_bytes() == before


# --- publish --env -----------------------------------------------------------------------------

STAGING = "namespace_suffix: staging\ncomponents:\n  frontend:\n    replicas: 1\n"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """The publish world (base under clusters/prod) with a staging overlay committed."""
    isolate(monkeypatch, tmp_path / "home")
    world = World(tmp_path / "w", "clusters/prod")
    config = world.config_of(world.main)
    world.first = world.commit(
        world.main,
        config.read_text(),
        "staging",
        {"config/environments/staging.yaml": STAGING},
    )
    return world


def env_files(config: Path, env: str, prefix: str) -> dict[str, str]:
    (built,) = build_trees(config, env)
    return {f"{prefix}/{path}": text for path, text in built.tree.files.items()}


def test_publish_env_lands_under_its_gitops_path(world: World) -> None:
    config = world.config_of(world.main)
    result = publish(config, env="staging", backoff=0.01)
    assert result.outcome is Outcome.PUBLISHED
    assert result.path == "clusters/prod/environments/staging"
    expected = env_files(config, "staging", "clusters/prod/environments/staging")
    assert world.files() == expected
    deployment = expected["clusters/prod/environments/staging/web/deployment.yaml"]
    assert "replicas: 1" in deployment
    message = git(world.gitops, "log", "-1", "--format=%B", "main")
    source_subject = git(world.main, "log", "-1", "--format=%s", world.first).strip()
    subject = message.splitlines()[0]
    assert subject.startswith(f"staging: {source_subject} (staging-")
    assert "Environment: staging." in message
    assert message.rstrip().endswith(f"{TRAILER}: {world.first}")
    assert world.sources() == [world.first]


@pytest.mark.parametrize("env_first", [False, True])
def test_base_and_env_publish_write_the_same_files(world: World, env_first: bool) -> None:
    config = world.config_of(world.main)
    if env_first:
        first = publish(config, env="staging", backoff=0.01)
        assert first.outcome is Outcome.PUBLISHED
    base = publish(config, backoff=0.01)
    assert base.outcome is Outcome.PUBLISHED
    if env_first:  # the base publish adds its own files and leaves the staging tree as it is
        touched = (*base.added, *base.changed, *base.removed)
        staged = [p for p in touched if p.startswith("clusters/prod/environments/")]
        assert staged == []
    env = publish(config, env="staging", backoff=0.01)
    assert env.outcome is Outcome.UNCHANGED
    full = combine(build_trees(config, everything=True))
    assert world.files() == {f"clusters/prod/{p}": text for p, text in full.files.items()}
    assert git(world.gitops, "rev-list", "--count", "main").strip() == str(1 + env_first)


def test_publish_env_to_its_own_repo(world: World, tmp_path: Path) -> None:
    own = tmp_path / "staging.git"
    git(tmp_path, "init", "-q", "--bare", str(own))
    overlay = STAGING + f"gitops:\n  repo_url: {own}\n  revision: live\n  path: ''\n"
    config = world.config_of(world.main)
    source = world.commit(
        world.main, config.read_text(), "own repo", {"config/environments/staging.yaml": overlay}
    )
    result = publish(config, env="staging", backoff=0.01)
    assert (result.outcome, result.branch, result.path) == (Outcome.PUBLISHED, "live", "")
    names = git(own, "ls-tree", "-r", "--name-only", "live").split()
    (built,) = build_trees(config, "staging")
    assert sorted(names) == sorted(built.tree.files)
    app = yaml.safe_load(git(own, "show", "live:argocd/frontend.yaml"))
    assert app["spec"]["source"]["repoURL"] == str(own)
    assert app["spec"]["source"]["path"] == "web"
    assert source in git(own, "log", "-1", "--format=%B", "live")
    assert world.tip() is None  # the base repo is untouched


def test_an_env_path_inside_what_the_base_owns_is_refused(world: World) -> None:
    config = world.config_of(world.main)
    overlay = STAGING + "gitops:\n  path: clusters/prod/staging\n"
    world.commit(world.main, config.read_text(), "x", {"config/environments/staging.yaml": overlay})
    with pytest.raises(UsageError, match="overlaps 'clusters/prod', which the base publish owns"):
        publish(config, env="staging", backoff=0.01)
    assert world.tip() is None


@pytest.mark.parametrize(("path", "allowed"), [("web/staging", False), ("staging", True)])
def test_at_the_root_the_base_owns_its_top_level_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str, allowed: bool
) -> None:
    isolate(monkeypatch, tmp_path / "home")
    world = World(tmp_path / "w", "")
    config = world.config_of(world.main)
    overlay = STAGING + f"gitops:\n  path: {path}\n"
    world.commit(world.main, config.read_text(), "x", {"config/environments/staging.yaml": overlay})
    if not allowed:
        with pytest.raises(UsageError, match="overlaps 'web', which the base publish owns"):
            publish(config, env="staging", dry_run=True)
        return
    assert publish(config, env="staging", backoff=0.01).outcome is Outcome.PUBLISHED
    assert publish(config, backoff=0.01).outcome is Outcome.PUBLISHED
    files = world.files()
    assert {p: t for p, t in files.items() if p.startswith("staging/")} == env_files(
        config, "staging", "staging"
    )
    assert "web/deployment.yaml" in files and "environments/staging/web/deployment.yaml" in files


def test_an_env_path_beside_the_base_is_left_alone_by_the_base(world: World) -> None:
    config = world.config_of(world.main)
    overlay = STAGING + "gitops:\n  path: clusters/staging\n"
    world.commit(world.main, config.read_text(), "x", {"config/environments/staging.yaml": overlay})
    assert publish(config, env="staging", backoff=0.01).outcome is Outcome.PUBLISHED
    assert publish(config, backoff=0.01).outcome is Outcome.PUBLISHED
    files = world.files()
    staging = {p: t for p, t in files.items() if p.startswith("clusters/staging/")}
    assert staging == env_files(config, "staging", "clusters/staging")


def test_publish_env_cli(world: World) -> None:
    done = invoke("publish", "--env", "staging", "--dry-run", cwd=world.main)
    assert done.exit_code == 0, done.stderr
    assert done.stdout.startswith(
        f"dry run: would commit the render of {world.first[:12]} (environment staging) to"
    )
    assert "(under clusters/prod/environments/staging/)" in done.stdout
    assert "  added: clusters/prod/environments/staging/web/deployment.yaml\n" in done.stdout
    assert world.tip() is None
    pushed = invoke("publish", "--env", "staging", cwd=world.main)
    assert pushed.exit_code == 0, pushed.stderr
    assert world.sources() == [world.first]
    unknown = invoke("publish", "--env", "prod", cwd=world.main)
    assert unknown.exit_code == 2
    assert unknown.stderr == "error: --env: no environment named 'prod'; known: staging\n"


# --- plan --env and diff --env -----------------------------------------------------------------


@pytest.fixture
def project(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """config/ (with qa) rendered into out/ by the command, cwd there."""
    project = config_dir.parent
    rendered = invoke("render", cwd=project)
    assert rendered.exit_code == 0, rendered.stderr
    monkeypatch.chdir(project)
    return project


def test_plan_env_plans_the_environment_tree(project: Path) -> None:
    done = invoke("plan", "--env", "qa", "--format", "json", cwd=project)
    assert done.exit_code == 0, done.stderr
    assert done.stdout == plan_formats.to_json(plan_tree(Path("out/environments/qa")))
    apps = {step["app"] for step in json.loads(done.stdout)["trees"][0]["steps"]}
    assert "qa-frontend" in apps and "frontend" not in apps
    also = invoke("plan", "out", "--env", "qa", cwd=project)
    assert also.exit_code == 0 and "qa-frontend" in also.stdout
    unknown = invoke("plan", "--env", "prod", cwd=project)
    assert unknown.exit_code == 2
    assert unknown.stderr == ("error: out/environments/prod: no environment tree here; known: qa\n")


def test_diff_env_compares_the_environment_tree(project: Path) -> None:
    clean = invoke("diff", "--env", "qa", cwd=project)
    assert clean.exit_code == 0, clean.stderr
    assert clean.stdout == (
        "out/environments/qa: no changes (a fresh render of config/platform.yaml is identical)\n"
    )
    overlay = project / "config" / "environments" / "qa.yaml"
    overlay.write_text(QA.replace("replicas: 1  # one", "replicas: 4  # four"), encoding="utf-8")
    changed = invoke("diff", "--env", "qa", "--format", "markdown", "--exit-code", cwd=project)
    assert changed.exit_code == 1, changed.stderr
    assert "| changed | `Deployment frontend-qa/frontend` |" in changed.stdout
    assert "environments/qa/" not in changed.stdout  # paths are inside the environment's tree
    # The base tree itself did not change: only its copy of the environment.
    base = invoke("diff", "--format", "markdown", "--exit-code", cwd=project)
    assert base.exit_code == 1
    assert "[environments/qa] Deployment frontend-qa/frontend" in base.stdout
    unknown = invoke("diff", "--env", "prod", cwd=project)
    assert unknown.exit_code == 2
    assert unknown.stderr == "error: --env: no environment named 'prod'; known: qa\n"


def test_diff_env_against_a_ref(project: Path) -> None:
    env = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    ident = ["-c", "user.name=t", "-c", "user.email=t@example.com"]

    def g(*args: str) -> None:
        subprocess.run(["git", *ident, *args], cwd=project, env={**os.environ, **env}, check=True)

    g("init", "-q", "-b", "main")
    g("add", "config", "out")
    g("commit", "-q", "-m", "render")
    overlay = project / "config" / "environments" / "qa.yaml"
    overlay.write_text(QA.replace("replicas: 1  # one", "replicas: 4  # four"), encoding="utf-8")
    assert invoke("render", "--env", "qa", cwd=project).exit_code == 0
    on_disk = invoke("diff", "--env", "qa", cwd=project)
    assert on_disk.exit_code == 0, on_disk.stdout + on_disk.stderr
    against = invoke("diff", "--env", "qa", "--against", "HEAD", "--exit-code", cwd=project)
    assert against.exit_code == 1, against.stderr
    assert against.stdout.startswith("HEAD:out/environments/qa")
    changed = "changed  Deployment frontend-qa/frontend  (frontend/deployment.yaml)\n"
    assert changed in against.stdout
    assert "    spec.replicas: 1 -> 4\n" in against.stdout
