"""The pipelines users copy: the GitHub workflow and the Jenkinsfile cannot run here, so their
shell steps do, in order, against local bare repositories, with a PATH that fakes only what is
outside gigrouter and git (pip, docker, aws, python3 -m venv, sleep)."""

from __future__ import annotations

import http.server
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from gitworld import config_text, git, git_env, isolate, with_replicas
from helpers import REPO

WORKFLOW = REPO / ".github" / "workflows" / "gitops.yml"
JENKINSFILE = REPO / "Jenkinsfile"
EXPRESSIONS = {
    "${{ secrets.GITOPS_TOKEN || github.token }}": "test-token",
    "${{ github.token }}": "pr-token",
    "${{ github.event.pull_request.number }}": "7",
    "${{ github.base_ref }}": "main",
}
COMMENTER = REPO / ".github" / "scripts" / "comment_diff.py"


class FakeGitHub:
    """The issue-comment endpoints of GitHub's REST API on loopback, two comments a page."""

    def __init__(self) -> None:
        self.comments: dict[int, str] = {}  # id -> body, on issue 7 of acme/platform
        self.calls: list[str] = []
        self.next_id = 100
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def reply(self, status: int, data: object = None, link: str = "") -> None:
                raw = json.dumps(data).encode() if data is not None else b""
                self.send_response(status)
                if link:
                    self.send_header("Link", link)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def body(self) -> str:
                length = int(self.headers.get("Content-Length", 0))
                return str(json.loads(self.rfile.read(length))["body"])

            def handle_call(self) -> None:
                assert self.headers["Authorization"] == "Bearer pr-token"
                path, _, query = self.path.partition("?")
                fake.calls.append(f"{self.command} {path}")
                listing = "/repos/acme/platform/issues/7/comments"
                if self.command == "GET" and path == listing:
                    page = int(dict(q.split("=") for q in query.split("&")).get("page", 1))
                    ids = sorted(fake.comments)
                    chunk = ids[(page - 1) * 2 : page * 2]
                    more = len(ids) > page * 2
                    link = f'<http://{self.headers["Host"]}{listing}?page={page + 1}>; rel="next"'
                    rows = [{"id": i, "body": fake.comments[i]} for i in chunk]
                    self.reply(200, rows, link if more else "")
                elif self.command == "POST" and path == listing:
                    fake.next_id += 1
                    fake.comments[fake.next_id] = self.body()
                    self.reply(201, {"id": fake.next_id})
                elif path.startswith("/repos/acme/platform/issues/comments/"):
                    number = int(path.rsplit("/", 1)[1])
                    if self.command == "PATCH":
                        fake.comments[number] = self.body()
                        self.reply(200, {"id": number})
                    else:
                        del fake.comments[number]
                        self.reply(204)
                else:
                    self.reply(404, {"message": "Not Found"})

            do_GET = do_POST = do_PATCH = do_DELETE = handle_call

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def env(self) -> dict[str, str]:
        return {"GITHUB_API_URL": self.url, "GITHUB_REPOSITORY": "acme/platform"}


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(monkeypatch, tmp_path / "home")


@pytest.fixture
def fake_bin(tmp_path: Path, gigrouter_exe: str) -> Path:
    """pip, docker, aws and sleep that only log; python3 -m venv that makes a venv whose pip
    does nothing and whose gigrouter is the real one (any other python3 call is the real one); gigrouter itself, with a hook that runs
    $BEFORE_FIRST_RENDER once, before the first `gigrouter render`."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    scripts = {
        "pip": 'echo "pip $*" >> "$FAKE_LOG"\n',
        "docker": 'echo "docker $*" >> "$FAKE_LOG"\n',
        "aws": 'echo "aws $*" >> "$FAKE_LOG"\necho not-a-password\n',
        "sleep": 'echo "sleep $*" >> "$FAKE_LOG"\n',
        "python3": (
            f'[ "$1 $2" = "-m venv" ] || exec "{sys.executable}" "$@"\n'
            'mkdir -p "$3/bin"\n'
            f'cp "{bin_dir}/pip" "$3/bin/pip"\n'
            f'printf \'#!/bin/sh\\nexec "{bin_dir}/gigrouter" "$@"\\n\' > "$3/bin/gigrouter"\n'
            'chmod +x "$3/bin/gigrouter"\n'
        ),
        "gigrouter": (
            'if [ "$1" = render ] && [ -n "${BEFORE_FIRST_RENDER:-}" ] \\\n'
            '    && [ ! -e "$BEFORE_FIRST_RENDER.done" ]; then\n'
            '  touch "$BEFORE_FIRST_RENDER.done"\n'
            '  sh -e "$BEFORE_FIRST_RENDER"\n'
            "fi\n"
            f'exec "{gigrouter_exe}" "$@"\n'
        ),
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(0o755)
    return bin_dir


def environment(tmp_path: Path, fake_bin: Path, **extra: str) -> dict[str, str]:
    env = git_env(tmp_path / "home")
    env["PATH"] = f"{fake_bin}:{env['PATH']}"
    env["FAKE_LOG"] = str(tmp_path / "fake.log")
    env.update(extra)
    return env


def shell(
    script: str, cwd: Path, env: dict[str, str], *shell_args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*shell_args, script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def config_repo(tmp_path: Path, gitops: Path, gigrouter_exe: str) -> tuple[Path, Path]:
    """A bare config repo holding config/platform.yaml and its fresh out/; and a checkout."""
    bare = tmp_path / "config.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    checkout = tmp_path / "config-checkout"
    git(tmp_path, "clone", "-q", f"file://{bare}", str(checkout))
    (checkout / "config").mkdir()
    (checkout / "config" / "platform.yaml").write_text(config_text(gitops))
    scripts = checkout / ".github" / "scripts"  # the workflow's script, as the repo carries it
    scripts.mkdir(parents=True)
    (scripts / COMMENTER.name).write_text(COMMENTER.read_text())
    done = subprocess.run([gigrouter_exe, "render"], cwd=checkout, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    git(checkout, "add", "-A")
    git(checkout, "commit", "-q", "-m", "config and out/")
    git(checkout, "push", "-q", "origin", "HEAD:main")
    return bare, checkout


# --- the GitHub workflow ----------------------------------------------------------------------


def load_workflow() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    data["on"] = data.pop(True)  # YAML 1.1 reads the key `on` as a boolean
    return dict(data)


def run_steps(job: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """(script, env) of every `run:` step; `uses:` steps are only checkout and setup-python."""
    steps = []
    for step in job["steps"]:
        if "uses" in step:
            assert step["uses"].split("@")[0] in ("actions/checkout", "actions/setup-python")
            continue
        env = {}
        for key, value in {**job.get("env", {}), **step.get("env", {})}.items():
            for expression, replacement in EXPRESSIONS.items():
                value = value.replace(expression, replacement)
            env[key] = value
        assert "${{" not in step["run"] + "".join(env.values()), step
        steps.append((step["run"], env))
    return steps


def run_job(
    job: dict[str, Any], cwd: Path, env: dict[str, str]
) -> list[subprocess.CompletedProcess[str]]:
    """Run the steps as GitHub does (bash -eo pipefail), stopping at the first failure."""
    results = []
    for script, step_env in run_steps(job):
        done = shell(
            script,
            cwd,
            {**env, **step_env},
            "bash",
            "--noprofile",
            "--norc",
            "-eo",
            "pipefail",
            "-c",
        )
        results.append(done)
        if done.returncode != 0:
            break
    return results


def test_the_workflow_checks_pull_requests_and_publishes_main() -> None:
    workflow = load_workflow()
    assert set(workflow["on"]) == {"pull_request", "push"}
    assert workflow["on"]["push"]["branches"] == ["main"]
    check, publish = workflow["jobs"]["check"], workflow["jobs"]["publish"]
    assert check["if"] == "github.event_name == 'pull_request'"
    assert publish["if"] == "github.event_name == 'push'"
    assert [s for s, _ in run_steps(check)][1:3] == [
        "gigrouter render --check",
        "gigrouter validate out --format github",
    ]
    assert check["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert publish["concurrency"] == {"group": "gigrouter-publish", "cancel-in-progress": False}
    checkout = next(s for s in publish["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    assert run_steps(publish)[-1][0].splitlines()[-1] == "gigrouter publish"


def test_the_workflow_steps_run(
    tmp_path: Path, fake_bin: Path, gigrouter_exe: str, github: FakeGitHub
) -> None:
    env = environment(tmp_path, fake_bin, RUNNER_TEMP=str(tmp_path), **github.env())
    gitops = tmp_path / "gitops.git"
    git(tmp_path, "init", "-q", "--bare", str(gitops), env=env)
    _, checkout = config_repo(tmp_path, gitops, gigrouter_exe)
    jobs = load_workflow()["jobs"]

    # A pull request whose out/ is fresh passes, and says in a comment that nothing changed.
    results = run_job(jobs["check"], checkout, env)
    assert [r.returncode for r in results] == [0, 0, 0, 0], results[-1].stderr
    assert "up to date" in results[1].stdout
    assert results[3].stdout == "posted part 1 of 1\n"
    ((first, body),) = github.comments.items()
    assert body.startswith("<!-- gigrouter-diff part 1 of 1 -->\n### gigrouter diff\n\nNo changes")
    # One that forgot to render fails the check, and posts nothing.
    config = checkout / "config" / "platform.yaml"
    config.write_text(with_replicas(config.read_text(), 4))
    results = run_job(jobs["check"], checkout, env)
    assert [r.returncode for r in results] == [0, 1]
    assert "differs from a fresh render" in results[1].stdout
    # Rendered and pushed again: the same comment now shows the change (updated, not added).
    assert (
        subprocess.run([gigrouter_exe, "render"], cwd=checkout, capture_output=True).returncode == 0
    )
    results = run_job(jobs["check"], checkout, env)
    assert [r.returncode for r in results] == [0, 0, 0, 0], results[-1].stderr
    assert results[3].stdout == "updated part 1 of 1\n"
    assert list(github.comments) == [first]
    assert "| changed | `Deployment web/shop` |" in github.comments[first]
    git(checkout, "checkout", "-q", "--", ".")

    # A push to main publishes the render of the pushed commit.
    results = run_job(jobs["publish"], checkout, env)
    assert [r.returncode for r in results] == [0, 0], results[-1].stderr
    head = git(checkout, "rev-parse", "HEAD").strip()
    assert "published the render of" in results[-1].stdout
    message = git(gitops, "log", "-1", "--format=%B", "main")
    assert message.rstrip().endswith(f"Gigrouter-Source: {head}")
    rewrite = git(checkout, "config", "--global", "--get-regexp", "^url\\.")
    assert rewrite.startswith("url.https://x-access-token:test-token@github.com/.insteadof")
    # Publishing again (a re-run) commits nothing.
    results = run_job(jobs["publish"], checkout, env)
    assert "nothing to commit" in results[-1].stdout
    assert git(gitops, "rev-list", "--count", "main").strip() == "1"


# --- the Jenkinsfile ------------------------------------------------------------------------------


def jenkins_environment() -> dict[str, str]:
    block = JENKINSFILE.read_text().split("environment {", 1)[1].split("}", 1)[0]
    return dict(re.findall(r"^\s*([A-Z_]+) = '([^']*)'$", block, re.M))


def jenkins_steps() -> list[str]:
    """The scripts of the `sh '''...'''` steps. They hold no backslash, so Groovy's escapes in
    single-quoted strings cannot change them."""
    scripts = re.findall(r"sh '''\n(.*?)'''", JENKINSFILE.read_text(), re.S)
    for script in scripts:
        assert "\\" not in script
    return scripts


def app_workspace(tmp_path: Path) -> tuple[Path, str]:
    workspace = tmp_path / "app"
    git(tmp_path, "init", "-q", str(workspace))
    (workspace / "Dockerfile").write_text("FROM scratch\n")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-q", "-m", "the application")
    return workspace, git(workspace, "rev-parse", "--short=7", "HEAD").strip()


def run_jenkins(workspace: Path, env: dict[str, str]) -> list[subprocess.CompletedProcess[str]]:
    """Every sh step in order, as Jenkins runs them (sh -e, in the workspace)."""
    results = []
    for script in jenkins_steps():
        done = shell(script, workspace, env, "sh", "-e", "-c")
        results.append(done)
        if done.returncode != 0:
            break
    return results


def test_the_jenkinsfile_commits_config_and_out_together_and_retries(
    tmp_path: Path, fake_bin: Path, gigrouter_exe: str
) -> None:
    assert len(jenkins_steps()) == 2
    base = environment(tmp_path, fake_bin)
    bare, checkout = config_repo(tmp_path, tmp_path / "gitops.git", gigrouter_exe)
    start = git(checkout, "rev-parse", "HEAD").strip()
    workspace, short = app_workspace(tmp_path)
    # Another pipeline's commit, pushed by the hook just before our first render, so our first
    # push is rejected and the stage must redo its change on top of it.
    config = checkout / "config" / "platform.yaml"
    config.write_text(with_replicas(config.read_text(), 5))
    subprocess.run([gigrouter_exe, "render"], cwd=checkout, check=True, capture_output=True)
    git(checkout, "commit", "-q", "-am", "another pipeline: five replicas")
    rival = git(checkout, "rev-parse", "HEAD").strip()
    hook = tmp_path / "rival.sh"
    hook.write_text(f'git -C "{checkout}" push -q origin HEAD:main\n')

    env = {
        **base,
        **jenkins_environment(),
        "CONFIG_REPO": f"file://{bare}",
        "COMPONENT": "frontend",
        "BUILD_NUMBER": "42",
        "BUILD_URL": "https://jenkins.example.com/job/app/42/",
        "BEFORE_FIRST_RENDER": str(hook),
    }
    env["WORKSPACE"] = str(workspace)
    results = run_jenkins(workspace, env)
    assert [r.returncode for r in results] == [0, 0], results[-1].stdout + results[-1].stderr
    tag = f"42-{short}"
    assert (workspace / ".image-tag").read_text().strip() == tag
    log = (tmp_path / "fake.log").read_text().splitlines()
    image = f"{env['IMAGE_REPOSITORY']}:{tag}"
    assert f"docker build --tag {image} ." in log
    assert f"docker push {image}" in log
    assert (
        "docker login --username AWS --password-stdin 231056963705.dkr.ecr.eu-north-1.amazonaws.com"
        in log
    )
    assert "push rejected (attempt 1 of 5)" in results[1].stdout
    # gigrouter is installed once, outside the retry loop
    assert log.count("pip install --quiet --constraint requirements/runtime.txt .") == 1

    # One deploy commit on top of the rival's, holding the config and out/ together.
    history = git(bare, "log", "--format=%H %P|%s", "main").splitlines()
    assert [h.split("|")[1] for h in history] == [
        f"Deploy frontend {tag}",
        "another pipeline: five replicas",
        "config and out/",
    ]
    assert history[0].split("|")[0].split()[1] == rival
    assert history[1].split("|")[0].split()[1] == start
    files = git(bare, "show", "--format=", "--name-only", "main").split()
    # the image is also listed in the generated READMEs
    assert files == [
        "config/platform.yaml",
        "out/README.md",
        "out/web/README.md",
        "out/web/deployment.yaml",
    ]
    assert git(bare, "show", "main", "--format=%an").splitlines()[0] == "Jenkins"
    final = git(bare, "show", "main:config/platform.yaml")
    assert f"image: registry.example.com/shop/web:{tag}" in final and "replicas: 5" in final

    # main's out/ is a fresh render of main's config.
    verify = tmp_path / "verify"
    git(tmp_path, "clone", "-q", f"file://{bare}", str(verify))
    check = subprocess.run(
        [gigrouter_exe, "render", "--check"], cwd=verify, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout

    # The same build deployed again changes nothing.
    again = run_jenkins(workspace, {**env, "BEFORE_FIRST_RENDER": ""})
    assert [r.returncode for r in again] == [0, 0]
    assert f"frontend already runs {tag}" in again[1].stdout
    assert git(bare, "rev-list", "--count", "main").strip() == "3"


def test_the_readme_shows_the_exact_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The pipelines", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.S)
    jenkins = JENKINSFILE.read_text()
    for line in block.splitlines():
        command = line.split("  #", 1)[0].strip()
        assert command in jenkins, command
    for job in load_workflow()["jobs"].values():
        for script, _ in run_steps(job):
            for command in script.splitlines():
                assert f"`{command}`" in section, command


def _comment(diff: Path, github: FakeGitHub) -> subprocess.CompletedProcess[str]:
    env = {**git_env(diff.parent / "home"), **github.env(), "GITHUB_TOKEN": "pr-token"}
    env["PR_NUMBER"] = "7"
    return subprocess.run(
        ["python3", str(COMMENTER), str(diff)], env=env, capture_output=True, text=True, check=False
    )


def test_the_comment_script_updates_adds_and_deletes_parts(
    tmp_path: Path, github: FakeGitHub
) -> None:
    github.comments[1] = "a reviewer's own comment"
    diff = tmp_path / "diff.md"
    three = "".join(f"<!-- gigrouter-diff part {i} of 3 -->\n### part {i}\n" for i in (1, 2, 3))
    diff.write_text(three)
    done = _comment(diff, github)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"posted part {i} of 3" for i in (1, 2, 3)]
    ours = sorted(i for i in github.comments if i != 1)
    assert [github.comments[i].splitlines()[1] for i in ours] == [
        "### part 1",
        "### part 2",
        "### part 3",
    ]
    # A later push needs one part: the first is updated, the other two deleted, the listing
    # read across pages (two comments a page here), the reviewer's comment untouched.
    diff.write_text("<!-- gigrouter-diff part 1 of 1 -->\n### smaller now\n")
    done = _comment(diff, github)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "updated part 1 of 1",
        "deleted part 2, no longer needed",
        "deleted part 3, no longer needed",
    ]
    assert github.comments == {1: "a reviewer's own comment", ours[0]: diff.read_text()}
    assert any("page=2" in call or call.startswith("GET") for call in github.calls)
    assert sum(1 for c in github.calls if c.startswith("GET")) >= 2
