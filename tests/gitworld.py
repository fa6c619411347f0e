"""Real git repositories in tmp_path for the publish and pipeline tests (no mocks).

A World holds a bare GitOps repo, a bare config repo and checkouts of it. Every git command
runs with a HOME of its own and without the system config, so the machine's git setup never
leaks into a test; the runner's identity is "Runner <runner@example.com>" unless a test
removes it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers import REPO

MINIMAL = (REPO / "tests" / "golden" / "minimal" / "config.yaml").read_text(encoding="utf-8")
RUNNER = ("Runner", "runner@example.com")
TRAILER = "Gigrouter-Source"


def git_env(home: Path, identity: bool = True) -> dict[str, str]:
    """os.environ without git's repo and identity variables, with HOME set to ``home``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "PYTEST")) and k not in ("EMAIL", "XDG_CONFIG_HOME")
    }
    home.mkdir(parents=True, exist_ok=True)
    lines = ["[init]\n\tdefaultBranch = main\n", "[advice]\n\tdetachedHead = false\n"]
    if identity:
        lines.append(f"[user]\n\tname = {RUNNER[0]}\n\temail = {RUNNER[1]}\n")
    (home / ".gitconfig").write_text("".join(lines), encoding="utf-8")
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    return env


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Make this process's git (and publish's) use ``home`` and no system config."""
    for key in list(os.environ):
        if key.startswith("GIT_"):
            monkeypatch.delenv(key)
    for key, value in git_env(home).items():
        monkeypatch.setenv(key, value)


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def config_text(gitops: Path | str, path: str = "", revision: str = "main") -> str:
    """The minimal golden config, publishing to ``gitops`` under ``path``."""
    return (
        MINIMAL.replace("git@github.com:example/shop-gitops.git", str(gitops))
        .replace("revision: release", f"revision: {revision}")
        .replace("path: clusters/prod", f"path: {path!r}" if path else 'path: ""')
    )


def with_replicas(text: str, replicas: int) -> str:
    return text.replace("replicas: 3", f"replicas: {replicas}")


def without_frontend(text: str) -> str:
    return text.replace("  - name: frontend\n", "  - name: frontend\n    enabled: false\n")


class World:
    """A bare GitOps repo, a bare config repo, and checkouts of the config repo."""

    def __init__(self, root: Path, path: str = "") -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.gitops = root / "gitops.git"
        self.config_remote = root / "config.git"
        self.path = path
        git(root, "init", "-q", "--bare", str(self.gitops))
        git(self.gitops, "config", "receive.denyNonFastForwards", "true")
        git(root, "init", "-q", "--bare", str(self.config_remote))
        self.main = self.clone("main-checkout")
        self.first = self.commit(self.main, config_text(self.gitops, path), "the first config")

    def clone(self, name: str, *args: str) -> Path:
        target = self.root / name
        git(self.root, "clone", "-q", *args, f"file://{self.config_remote}", str(target))
        return target

    def commit(
        self, checkout: Path, text: str, message: str, files: dict[str, str] | None = None
    ) -> str:
        """Write the config (and ``files``), commit and push to the config remote."""
        config = checkout / "config" / "platform.yaml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(text, encoding="utf-8")
        for rel, content in (files or {}).items():
            (checkout / rel).parent.mkdir(parents=True, exist_ok=True)
            (checkout / rel).write_text(content, encoding="utf-8")
        git(checkout, "add", "-A")
        git(checkout, "commit", "-q", "-m", message)
        git(checkout, "push", "-q", "origin", "HEAD:main")
        return git(checkout, "rev-parse", "HEAD").strip()

    def config_of(self, checkout: Path) -> Path:
        return checkout / "config" / "platform.yaml"

    # --- what the GitOps repo holds -----------------------------------------------------------

    def tip(self, branch: str = "main") -> str | None:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
            cwd=self.gitops,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip() or None

    def files(self, branch: str = "main") -> dict[str, str]:
        """Every file on the branch, by path."""
        names = git(self.gitops, "ls-tree", "-r", "--name-only", branch).split("\n")
        return {n: git(self.gitops, "show", f"{branch}:{n}") for n in names if n}

    def sources(self, branch: str = "main") -> list[str]:
        """The Gigrouter-Source trailers on the branch, newest first."""
        out = git(
            self.gitops,
            "log",
            f"--format=%(trailers:key={TRAILER},valueonly,separator=)",
            branch,
        )
        return [line.strip() for line in out.splitlines() if line.strip()]

    def assert_linear(self, branch: str = "main") -> None:
        for line in git(self.gitops, "rev-list", "--parents", branch).splitlines():
            assert len(line.split()) <= 2, f"a merge commit on {branch}: {line}"

    def hand_commit(self, files: dict[str, str | None], message: str, branch: str = "main") -> str:
        """Commit ``files`` (None deletes) to the GitOps branch as a person would."""
        work = self.root / "hand-edit"
        if work.exists():
            git(work, "fetch", "-q", "origin")
            git(work, "reset", "-q", "--hard", f"origin/{branch}")
        else:
            git(self.root, "clone", "-q", f"file://{self.gitops}", str(work))
            if self.tip(branch) is None:
                git(work, "checkout", "-q", "--orphan", branch)
            else:
                git(work, "checkout", "-q", branch)
        for rel, content in files.items():
            target = work / rel
            if content is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", message)
        git(work, "push", "-q", "origin", f"HEAD:{branch}")
        return git(work, "rev-parse", "HEAD").strip()
