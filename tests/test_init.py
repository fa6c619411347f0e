"""`gigrouter init` writes a minimal platform that renders and validates clean, and never
overwrites without --force; and `gitops.repo_url` has no default to fall back on."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from gigrouter.pipeline import environment_schema_json, schema_json


def run(exe: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.run(
        [exe, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_init_then_render_and_validate_are_clean(gigrouter_exe: str, tmp_path: Path) -> None:
    made = run(
        gigrouter_exe,
        tmp_path,
        "init",
        "site",
        "--name",
        "shop",
        "--domain",
        "shop.example.org",
        "--repo-url",
        "git@git.example.org:shop/gitops.git",
    )
    assert made.returncode == 0, made.stderr
    assert made.stderr == ""
    config = tmp_path / "site/config/platform.yaml"
    text = config.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=platform.schema.json\n")
    assert (tmp_path / "site/config/platform.schema.json").read_text(encoding="utf-8") == (
        schema_json()
    )
    # the schema a second environment's overlay points at (README: a second environment)
    assert (tmp_path / "site/config/environment.schema.json").read_text(encoding="utf-8") == (
        environment_schema_json()
    )
    data = yaml.safe_load(text)
    assert data["name"] == "shop"
    assert data["gitops"]["repo_url"] == "git@git.example.org:shop/gitops.git"
    (app,) = data["applications"]
    assert app["manifests"] == "services"
    (service,) = data["components"]["services"]["items"]
    (route,) = service["ingress"]["routes"]
    assert route["host"] == "hello.{domain}"

    rendered = run(gigrouter_exe, tmp_path, "render", "--config", str(config), "--out", "site/out")
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    assert rendered.stderr == ""  # no warnings
    out = tmp_path / "site/out"
    manifests = (out / "apps/web/hello.yaml").read_text(encoding="utf-8")
    (ingress,) = [d for d in yaml.safe_load_all(manifests) if d["kind"] == "Ingress"]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert [r["host"] for r in ingress["spec"]["rules"]] == ["hello.shop.example.org"]
    assert "annotations" not in ingress["metadata"]  # no ALB annotation on an nginx Ingress
    assert "aws" not in data
    validated = run(gigrouter_exe, tmp_path, "validate", "--strict", "site/out")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert validated.stdout.startswith("clean: no errors or warnings"), validated.stdout

    # the printed next step is the command that works
    assert made.stdout.splitlines()[-1] == (
        f"next: gigrouter render --config {Path('site/config/platform.yaml')} --out site/out"
    )


def test_init_refuses_to_overwrite_without_force(gigrouter_exe: str, tmp_path: Path) -> None:
    assert run(gigrouter_exe, tmp_path, "init").returncode == 0
    config = tmp_path / "config/platform.yaml"
    config.write_text("# my own edits\n", encoding="utf-8")
    again = run(gigrouter_exe, tmp_path, "init", "--name", "other")
    assert again.returncode == 2
    assert again.stderr.splitlines() == [
        f"error: {Path('config/platform.yaml')}: already exists; pass --force to overwrite it",
        f"error: {Path('config/platform.schema.json')}: already exists; pass --force to"
        " overwrite it",
        f"error: {Path('config/environment.schema.json')}: already exists; pass --force to"
        " overwrite it",
    ]
    assert config.read_text(encoding="utf-8") == "# my own edits\n"
    forced = run(gigrouter_exe, tmp_path, "init", "--name", "other", "--force")
    assert forced.returncode == 0, forced.stderr
    assert yaml.safe_load(config.read_text(encoding="utf-8"))["name"] == "other"
    assert not [p.name for p in config.parent.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--name", "Shop_1"], "error: --name: 'Shop_1' is not a DNS-1123 label"),
        (["--domain", "not a domain"], "error: --domain: "),
        (["--repo-url", "https://user:hunter2@git.example.org/x.git"], "error: --repo-url: "),
    ],
)
def test_init_refuses_bad_options_naming_them(
    gigrouter_exe: str, tmp_path: Path, args: list[str], expected: str
) -> None:
    done = run(gigrouter_exe, tmp_path, "init", *args)
    assert done.returncode == 2
    assert done.stderr.startswith(expected), done.stderr
    assert "hunter2" not in done.stderr
    assert not (tmp_path / "config").exists()


def test_values_from_the_user_cannot_inject_yaml(tmp_path: Path) -> None:
    from gigrouter.init import config_text

    text = config_text("shop", "shop.example.org", "https://x.example.org/a.git#\nname: evil")
    data = yaml.safe_load(text)
    assert data["name"] == "shop"
    assert data["gitops"]["repo_url"] == "https://x.example.org/a.git#\nname: evil"


def test_repo_url_is_required_and_the_error_says_what_to_put_there(
    gigrouter_exe: str, tmp_path: Path
) -> None:
    assert run(gigrouter_exe, tmp_path, "init", "--name", "shop").returncode == 0
    config = tmp_path / "config/platform.yaml"
    text = config.read_text(encoding="utf-8")
    (url_line,) = [row for row in text.splitlines() if row.startswith("  repo_url: ")]
    without_url = text.replace(url_line + "\n", "  revision: main\n")
    assert without_url != text
    config.write_text(without_url, encoding="utf-8")
    line = without_url.splitlines().index("gitops:") + 1  # the mapping missing the key
    done = run(gigrouter_exe, tmp_path, "render")
    assert done.returncode == 2
    assert done.stderr.startswith(
        f"error: {Path('config/platform.yaml')}:{line}: gitops.repo_url: this key is required:"
        " The Git repository Argo CD watches and `gigrouter publish` pushes to, such as"
        " https://github.com/ORG/REPO"
    ), done.stderr
    without_block = "\n".join(
        row for row in without_url.splitlines() if row not in ("gitops:", "  revision: main")
    )
    config.write_text(without_block + "\n", encoding="utf-8")
    top = without_block.splitlines().index('name: "shop"') + 1  # the top-level mapping
    done = run(gigrouter_exe, tmp_path, "render")
    assert done.returncode == 2
    assert done.stderr.startswith(
        f"error: {Path('config/platform.yaml')}:{top}: gitops: this key is required: The Git"
        " repository Argo CD watches; give at least repo_url, such as"
        " `gitops: {repo_url: https://github.com/ORG/REPO}`"
    ), done.stderr


def test_the_schema_requires_repo_url() -> None:
    schema = json.loads(schema_json())
    assert "gitops" in schema["required"]
    assert "repo_url" in schema["$defs"]["GitOps"]["required"]
    assert "default" not in schema["$defs"]["GitOps"]["properties"]["repo_url"]
