"""set-image: one component's image changes, and only that line of the config does."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml
from helpers import DEFAULT_CONFIG, REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gigrouter.cli import app
from gigrouter.config.load import load_platform
from gigrouter.errors import ConfigError, UsageError
from gigrouter.pipeline import build, build_trees
from gigrouter.setimage.command import image_components, set_image, split_reference

MINIMAL = (REPO / "tests" / "golden" / "minimal" / "config.yaml").read_text(encoding="utf-8")
SERVICES = REPO / "tests" / "golden" / "services" / "config.yaml"
WEB = "registry.example.com/shop/web:1.4.2"
DIGEST = "sha256:" + "ab" * 32


def numstat(before: Path, after: Path) -> str:
    """`git diff --numstat` of two files: 'added<TAB>removed'."""
    done = subprocess.run(
        ["git", "diff", "--no-index", "--numstat", str(before), str(after)],
        capture_output=True,
        text=True,
        check=False,
    )
    return "\t".join(done.stdout.split("\t")[:2])


def write(tmp_path: Path, text: str, name: str = "platform.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.split("\n"), after.split("\n")
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


# --- which components ----------------------------------------------------------------------------


def test_the_components_come_from_the_model() -> None:
    platform = load_platform(DEFAULT_CONFIG)
    components = image_components(platform)
    assert list(components) == [
        "backend",
        "redis",
        "frontend",
        "memcached",
        "elasticsearch",
        "kibana",
        "fluent-bit",
    ]
    assert components["redis"] == ("components", "backend", "redis", "image")
    assert components["fluent-bit"] == ("components", "logging", "fluent_bit", "image")


def test_list_items_are_named_and_shared_names_are_qualified(tmp_path: Path) -> None:
    data = yaml.safe_load(SERVICES.read_text(encoding="utf-8"))
    items = data["components"]["services"]["items"]
    assert [i["name"] for i in items[:2]] == ["svc-0000", "svc-0001"]
    minimal = yaml.safe_load(MINIMAL)
    data["components"]["frontend"] = minimal["components"]["frontend"]
    items[0]["name"] = "frontend"
    platform = load_platform(write(tmp_path, yaml.safe_dump(data)))
    components = image_components(platform)
    assert components["frontend"] == ("components", "frontend", "image")
    assert components["services.frontend"] == ("components", "services", "items", 0, "image")
    assert components["svc-0001"] == ("components", "services", "items", 1, "image")


@pytest.mark.parametrize(
    "component",
    ["backend", "redis", "frontend", "memcached", "elasticsearch", "kibana", "fluent-bit"],
)
def test_each_component_changes_exactly_one_line(tmp_path: Path, component: str) -> None:
    config = tmp_path / "platform.yaml"
    shutil.copyfile(DEFAULT_CONFIG, config)
    before = config.read_text(encoding="utf-8")
    result = set_image(config, component, "9.9.9-rc.1")
    assert result.changed
    assert result.new == split_reference(result.old)[0] + ":9.9.9-rc.1"
    assert numstat(DEFAULT_CONFIG, config) == "1\t1"
    ((old_line, new_line),) = changed_lines(before, config.read_text(encoding="utf-8"))
    assert old_line.replace(result.old, result.new) == new_line
    assert before.split("\n")[result.line - 1] == old_line
    platform = load_platform(config)
    path = image_components(platform)[component]
    node: object = platform
    for part in path:
        node = getattr(node, str(part))
    assert node == result.new


def test_the_migration_job_follows_the_backend(tmp_path: Path) -> None:
    config = tmp_path / "platform.yaml"
    shutil.copyfile(DEFAULT_CONFIG, config)
    result = set_image(config, "backend", "41-0123abc")
    _, tree = build(config)
    assert f"image: '{result.new}'" in tree.files["backend/job.yaml"]
    assert f"image: '{result.new}'" in tree.files["backend/deployment.yaml"]
    assert result.old not in "".join(tree.files.values())


def test_environments_still_render_after_the_edit(tmp_path: Path) -> None:
    shutil.copytree(DEFAULT_CONFIG.parent, tmp_path / "config")
    config = tmp_path / "config" / "platform.yaml"
    set_image(config, "frontend", "3")
    names = [b.environment for b in build_trees(config, everything=True)]
    assert names[0] is None and len(names) >= 2
    assert numstat(DEFAULT_CONFIG, config) == "1\t1"
    with pytest.raises(UsageError, match="no environment named 'nope'; known: staging"):
        set_image(config, "frontend", "4", env="nope")


# --- references ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "argument", "new"),
    [
        (WEB, "2.0", "registry.example.com/shop/web:2.0"),
        ("localhost:5000/team/web:1.0", "2.0", "localhost:5000/team/web:2.0"),
        ("localhost:5000/team/web", "2.0", "localhost:5000/team/web:2.0"),
        (f"registry.example.com/web:1.0@{DIGEST}", "2.0", "registry.example.com/web:2.0"),
        (f"web@{DIGEST}", "v2", "web:v2"),
        (WEB, "ghcr.io/acme/web:3", "ghcr.io/acme/web:3"),
        (WEB, f"ghcr.io/acme/web@{DIGEST}", f"ghcr.io/acme/web@{DIGEST}"),
        (WEB, "nginx:1.27", "nginx:1.27"),
    ],
)
def test_a_bare_tag_keeps_registry_and_repository(
    tmp_path: Path, old: str, argument: str, new: str
) -> None:
    config = write(tmp_path, MINIMAL.replace(WEB, old))
    result = set_image(config, "frontend", argument)
    assert (result.old, result.new, result.changed) == (old, new, True)
    assert f"    image: {new}\n" in config.read_text()


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (f'"{WEB}"', '"registry.example.com/shop/web:5"'),
        (f"'{WEB}'", "'registry.example.com/shop/web:5'"),
        (f"{WEB}  # pinned by CI", "registry.example.com/shop/web:5  # pinned by CI"),
    ],
)
def test_quoting_and_comments_are_kept(tmp_path: Path, written: str, expected: str) -> None:
    config = write(tmp_path, MINIMAL.replace(f"image: {WEB}", f"image: {written}"))
    set_image(config, "frontend", "5")
    assert f"    image: {expected}\n" in config.read_text()


def test_flow_style_json_config(tmp_path: Path) -> None:
    config = tmp_path / "services.yaml"
    shutil.copyfile(SERVICES, config)
    result = set_image(config, "services.svc-0001", "1.0.2")
    assert result.new == "registry.example.com/shop/svc-0001:1.0.2"
    assert numstat(SERVICES, config) == "1\t1"
    assert f'"image": "{result.new}",' in config.read_text()


def test_a_value_that_would_read_as_a_number_is_quoted(tmp_path: Path) -> None:
    config = write(tmp_path, MINIMAL)
    result = set_image(config, "frontend", "1:20")  # plain, YAML 1.1 reads 1:20 as 80
    assert '    image: "1:20"\n' in config.read_text()
    assert load_platform(config).components.frontend is not None
    assert result.new == "1:20"


def test_crlf_line_endings_are_kept(tmp_path: Path) -> None:
    config = write(tmp_path, MINIMAL.replace("\n", "\r\n"))
    set_image(config, "frontend", "7")
    raw = config.read_bytes()
    assert raw.count(b"\r\n") == MINIMAL.count("\n")
    assert b"image: registry.example.com/shop/web:7\r\n" in raw


def test_the_same_value_changes_nothing(tmp_path: Path) -> None:
    config = write(tmp_path, MINIMAL)
    stamp = config.stat().st_mtime_ns
    for argument in ("1.4.2", WEB):
        result = set_image(config, "frontend", argument)
        assert (result.changed, result.old, result.new) == (False, WEB, WEB)
    assert config.read_text() == MINIMAL
    assert config.stat().st_mtime_ns == stamp


# --- refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("component", "message"),
    [
        ("fronted", "no component 'fronted' with an image (did you mean 'frontend'?)"),
        ("memcached", "components with an image: frontend"),
    ],
)
def test_an_unknown_component_lists_the_valid_names(
    tmp_path: Path, component: str, message: str
) -> None:
    config = write(tmp_path, MINIMAL)
    with pytest.raises(UsageError) as caught:
        set_image(config, component, "2")
    assert message in str(caught.value)
    assert config.read_text() == MINIMAL


@pytest.mark.parametrize("argument", ["-bad", "", "Registry.example.com/web:1", "web:", "a b"])
def test_an_invalid_reference_or_tag_is_refused(tmp_path: Path, argument: str) -> None:
    config = write(tmp_path, MINIMAL)
    with pytest.raises(UsageError, match="IMAGE_OR_TAG"):
        set_image(config, "frontend", argument)
    assert config.read_text() == MINIMAL


def test_a_value_behind_an_anchor_is_not_edited(tmp_path: Path) -> None:
    config = write(tmp_path, MINIMAL.replace(f"image: {WEB}", f"image: &web {WEB}"))
    with pytest.raises(ConfigError, match="anchor"):
        set_image(config, "frontend", "2")
    assert "&web" in config.read_text()


def test_a_broken_config_is_a_config_error(tmp_path: Path) -> None:
    config = write(tmp_path, MINIMAL.replace("replicas: 3", "replicaz: 3"))
    with pytest.raises(ConfigError, match="did you mean 'replicas'"):
        set_image(config, "frontend", "2")


def test_an_edit_that_breaks_the_config_is_not_written(tmp_path: Path) -> None:
    config = write(tmp_path, MINIMAL)
    too_long = "a" * 120 + "/" + "b" * 400 + ":1"
    with pytest.raises(UsageError):
        set_image(config, "frontend", too_long)
    assert config.read_text() == MINIMAL


def test_a_result_that_does_not_render_with_its_environments_is_undone(tmp_path: Path) -> None:
    shutil.copytree(DEFAULT_CONFIG.parent, tmp_path / "config")
    config = tmp_path / "config" / "platform.yaml"
    overlay = next((tmp_path / "config" / "environments").glob("*.yaml"))
    overlay.write_text(overlay.read_text() + "replicaz: 1\n")
    before = config.read_bytes()
    with pytest.raises(ConfigError, match="replicaz"):
        set_image(config, "frontend", "3")
    assert config.read_bytes() == before


# --- the command ------------------------------------------------------------------------------------


def test_cli_prints_old_and_new(tmp_path: Path) -> None:
    config = write(tmp_path, MINIMAL)
    runner = CliRunner()
    first = runner.invoke(app, ["set-image", "frontend", "2.0.0", "--config", str(config)])
    assert first.exit_code == 0, first.output
    line = MINIMAL.split("\n").index(f"    image: {WEB}") + 1
    assert first.stdout == (
        f"{config}:{line}: components.frontend.image: {WEB} → registry.example.com/shop/web:2.0.0\n"
    )
    again = runner.invoke(app, ["set-image", "frontend", "2.0.0", "--config", str(config)])
    assert again.exit_code == 0
    assert again.stdout.endswith("already registry.example.com/shop/web:2.0.0; unchanged\n")
    bad = runner.invoke(app, ["set-image", "fronted", "2", "--config", str(config)])
    assert bad.exit_code == 2
    assert "did you mean 'frontend'?" in bad.stderr


# --- a property -------------------------------------------------------------------------------------

TAGS = st.from_regex(r"\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")  # the tag grammar, ASCII


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tag=TAGS)
def test_any_valid_tag_changes_one_line_and_reads_back(tag: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        config = write(Path(scratch), MINIMAL)
        result = set_image(config, "frontend", tag)
        after = config.read_text(encoding="utf-8")
        expected = f"registry.example.com/shop/web:{tag}"
        assert result.new == expected
        assert result.changed == (tag != "1.4.2")
        lines = changed_lines(MINIMAL, after)
        assert len(lines) == (1 if result.changed else 0)
        platform = load_platform(config)
        assert platform.components.frontend is not None
        assert platform.components.frontend.image == expected


# --- digests ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "argument", "new"),
    [
        (WEB, DIGEST, f"registry.example.com/shop/web@{DIGEST}"),
        (f"registry.example.com/shop/web@{'cd' * 32}".replace("@", "@sha256:"), DIGEST,
         f"registry.example.com/shop/web@{DIGEST}"),
        ("localhost:5000/team/web:1.0", DIGEST, f"localhost:5000/team/web@{DIGEST}"),
        (WEB, "sha512:" + "0f" * 64, "registry.example.com/shop/web@sha512:" + "0f" * 64),
        (WEB, f"ghcr.io/acme/web:3@{DIGEST}", f"ghcr.io/acme/web:3@{DIGEST}"),
    ],
)  # fmt: skip
def test_a_digest_pins_the_current_repository(
    tmp_path: Path, old: str, argument: str, new: str
) -> None:
    config = write(tmp_path, MINIMAL.replace(WEB, old))
    result = set_image(config, "frontend", argument)
    assert (result.old, result.new, result.changed) == (old, new, True)
    assert f"    image: {new}\n" in config.read_text()
    assert load_platform(config).components.frontend is not None


@pytest.mark.parametrize(
    ("argument", "reason"),
    [
        ("sha256:abc", "'sha256:abc' is not a sha256 digest: that is 64 hex digits, not 3"),
        ("sha256:" + "AB" * 32, "a digest is written in lower case"),
        ("SHA256:" + "ab" * 32, "a digest is written in lower case"),
        ("sha512:" + "ab" * 32, "is not a sha512 digest: that is 128 hex digits, not 64"),
        ("sha265:" + "ab" * 32, "'sha265' is not a digest algorithm images use"),
        ("md5:" + "ab" * 16, "'md5' is not a digest algorithm images use"),
        ("Web:1", "is not an image reference"),
        ("web:1 2", "is not an image reference"),
        ("ghcr.io/acme/web@sha256:12", "is not an image reference"),
    ],
)
def test_what_is_not_an_image_reference_is_refused_with_the_reason(
    tmp_path: Path, argument: str, reason: str
) -> None:
    config = write(tmp_path, MINIMAL)
    with pytest.raises(UsageError) as caught:
        set_image(config, "frontend", argument)
    (line,) = caught.value.lines()
    assert line.startswith("IMAGE_OR_TAG: ")
    assert reason in line
    assert config.read_text() == MINIMAL


def test_render_refuses_a_bare_digest_as_an_image(tmp_path: Path) -> None:
    config = write(tmp_path, MINIMAL.replace(WEB, "sha256:abc"))
    with pytest.raises(ConfigError) as caught:
        load_platform(config)
    assert "'sha256:abc' is a digest, not an image reference" in "\n".join(caught.value.lines())


def _example(tmp_path: Path) -> Path:
    root = tmp_path / "multi-team"
    shutil.copytree(REPO / "examples" / "multi-team", root, ignore=shutil.ignore_patterns("out"))
    return root / "platform.yaml"


def test_an_applications_workload_is_a_component_by_its_name(
    gigrouter_exe: str, tmp_path: Path
) -> None:
    """Workloads of the catalogue (applications[].workloads) take set-image like the presets:
    one line of the base, or a named item added to an overlay that does not set it yet."""
    config = _example(tmp_path)
    assert "orders-api" in image_components(load_platform(config))
    before = config.read_text(encoding="utf-8").splitlines()
    done = subprocess.run(
        [gigrouter_exe, "set-image", "orders-api", "1.9.0", "-c", str(config)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    after = config.read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [
        (
            "        image: registry.example.com/shop/orders:1.8.0",
            "        image: registry.example.com/shop/orders:1.9.0",
        )
    ]
    overlay = config.parent / "environments" / "eu.yaml"
    done = subprocess.run(
        [gigrouter_exe, "set-image", "orders-api", "2.0.0", "-c", str(config), "--env", "eu"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    trees = {b.environment: b for b in build_trees(config, everything=True)}
    images = {
        env: [
            c["image"]
            for docs in built.tree.documents.values()
            for d in docs
            if isinstance(d, dict) and d.get("kind") == "Deployment"
            for c in d["spec"]["template"]["spec"]["containers"]
            if "orders" in c["image"]
        ]
        for env, built in trees.items()
    }
    assert images == {
        None: ["registry.example.com/shop/orders:1.9.0"],
        "staging": ["registry.example.com/shop/orders:1.9.0"],
        "eu": ["registry.example.com/shop/orders:2.0.0"],
    }
    assert "- name: orders-api" in overlay.read_text(encoding="utf-8")
