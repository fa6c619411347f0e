"""Nothing from a config or a remote runs, hangs or leaks through git.

Real git, real loopback sockets, the installed command: a remote that starts with '-' or names a
remote helper never reaches git as one, a remote that accepts the connection and never answers
fails within the time limit over http, git and ssh, and no credential is printed or rendered.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gitworld import World, config_text, git_env, isolate
from hypothesis import given
from hypothesis import strategies as st

from gigrouter import git, giturl
from gigrouter.config.load import load_platform
from gigrouter.errors import ConfigError, PublishError, UsageError
from gigrouter.publish.command import publish

HOSTILE_REMOTES = [
    "--upload-pack=touch${IFS}CANARY",
    "--upload-pack=touch CANARY",
    "-oProxyCommand=touch CANARY",
    "ext::sh -c touch% CANARY",
    "fd::17",
    "ext::sh",
]


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(monkeypatch, tmp_path / "home")


def publish_command(
    exe: str, world: World, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """The installed ``gigrouter publish ARGS`` in the world's checkout, as CI runs it."""
    return subprocess.run(
        [exe, "publish", *args],
        cwd=world.main,
        env=git_env(world.root.parent / "home") | env,
        capture_output=True,
        text=True,
        check=False,
        timeout=90,
    )


def _hostile(remote: str, canary: Path) -> str:
    return remote.replace("CANARY", str(canary))


@pytest.mark.parametrize("remote", HOSTILE_REMOTES)
def test_a_hostile_repo_url_in_the_config_is_refused_at_load(tmp_path: Path, remote: str) -> None:
    canary = tmp_path / "canary"
    world = World(tmp_path / "w")
    text = config_text(_hostile(remote, canary))
    config = world.config_of(world.main)
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_platform(config)
    hostile = _hostile(remote, canary)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if hostile in row)
    (problem,) = caught.value.problems
    assert (problem.location.line, problem.location.key_path) == (line, "gitops.repo_url")
    assert not canary.exists()


@pytest.mark.parametrize("remote", HOSTILE_REMOTES)
def test_publish_to_a_hostile_remote_runs_nothing(
    tmp_path: Path, remote: str, gigrouter_exe: str
) -> None:
    canary = tmp_path / "canary"
    world = World(tmp_path / "w")
    done = publish_command(gigrouter_exe, world, "--to", _hostile(remote, canary))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: --to: ")
    assert "Traceback" not in done.stderr
    assert not canary.exists()


def test_a_hostile_overlay_repo_url_is_refused(tmp_path: Path, gigrouter_exe: str) -> None:
    canary = tmp_path / "canary"
    world = World(tmp_path / "w")
    overlay = world.main / "config" / "environments" / "staging.yaml"
    overlay.parent.mkdir(parents=True)
    overlay.write_text(
        f"gitops:\n  repo_url: '--upload-pack=touch${{IFS}}{canary}'\n  path: staging\n",
        encoding="utf-8",
    )
    done = publish_command(gigrouter_exe, world, "--env", "staging", "--allow-dirty")
    assert done.returncode == 2, done.stderr
    assert "gitops.repo_url" in done.stderr and "starts with '-'" in done.stderr
    assert not canary.exists()


@pytest.mark.parametrize("remote", HOSTILE_REMOTES)
def test_git_itself_refuses_them_too(tmp_path: Path, remote: str) -> None:
    """Defence in depth: were a check ever bypassed, '--' and GIT_ALLOW_PROTOCOL still hold."""
    canary = tmp_path / "canary"
    done = git.run(tmp_path, "ls-remote", "--", _hostile(remote, canary))
    assert done.returncode != 0
    assert not canary.exists()


# --- a remote that never answers ----------------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A loopback port that accepts connections and never says a word."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    server.close()


@pytest.mark.parametrize("scheme", ["http", "git", "ssh"])
def test_a_remote_that_never_answers_fails_within_the_limit(
    tmp_path: Path, silent_server: int, scheme: str, gigrouter_exe: str
) -> None:
    world = World(tmp_path / "w")
    started = time.monotonic()
    remote = f"{scheme}://127.0.0.1:{silent_server}/gitops.git"
    done = publish_command(gigrouter_exe, world, "--to", remote, **{git.TIMEOUT_VARIABLE: "3"})
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert "git ls-remote did not finish within 3 s and was stopped" in done.stderr
    assert f"set {git.TIMEOUT_VARIABLE} to allow longer" in done.stderr
    assert elapsed < 30, elapsed


def test_a_stopped_git_leaves_no_process_behind(tmp_path: Path, silent_server: int) -> None:
    """The kill takes git's children (ssh) with it: nothing holds the socket afterwards."""
    os.environ[git.TIMEOUT_VARIABLE] = "2"
    try:
        with pytest.raises(PublishError, match="did not finish within 2 s"):
            git.run(tmp_path, "ls-remote", "--", f"ssh://127.0.0.1:{silent_server}/x.git")
    finally:
        del os.environ[git.TIMEOUT_VARIABLE]
    leftover = subprocess.run(
        ["ps", "-eo", "args"], capture_output=True, text=True, check=True
    ).stdout
    assert f"127.0.0.1 -p {silent_server}" not in leftover
    assert f"-p {silent_server} 127.0.0.1" not in leftover


@pytest.mark.parametrize("value", ["soon", "0", "-1", "inf"])
def test_a_bad_timeout_setting_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(git.TIMEOUT_VARIABLE, value)
    with pytest.raises(UsageError, match=git.TIMEOUT_VARIABLE):
        git.run(tmp_path, "version")


def test_every_git_call_gets_the_limits() -> None:
    env = git.environment()
    assert env["GIT_ALLOW_PROTOCOL"] == "https:http:ssh:git:file"
    assert env["GIT_HTTP_LOW_SPEED_LIMIT"] == "1000"
    assert env["GIT_HTTP_LOW_SPEED_TIME"] == "60"
    ssh = env["GIT_SSH_COMMAND"].split()
    assert ssh[0] == "ssh"
    for option in ("BatchMode=yes", "ConnectTimeout=30", "ServerAliveInterval=15"):
        assert option in ssh


def test_a_users_own_ssh_and_speed_settings_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_SSH_COMMAND", "ssh -i /keys/deploy")
    monkeypatch.setenv("GIT_HTTP_LOW_SPEED_TIME", "5")
    env = git.environment()
    assert env["GIT_SSH_COMMAND"] == "ssh -i /keys/deploy"
    assert env["GIT_HTTP_LOW_SPEED_TIME"] == "5"


# --- credentials ----------------------------------------------------------------------------

SECRET_URLS = [
    ("https://ghp_T0KEN1234567890@github.com/acme/gitops.git", "ghp_T0KEN1234567890"),
    ("https://u:pa/ss3cret@github.com/acme/gitops.git", "ss3cret"),  # '/' in the password
    ("https://user:p@ss@github.com/acme/gitops.git", "p@ss"),
    ("https://x-access-token:abc123@github.com/acme/gitops.git", "abc123"),
    ("ssh://git:hunter2@github.com/acme/gitops.git", "hunter2"),
]


@pytest.mark.parametrize(("url", "secret"), SECRET_URLS)
def test_credentials_in_a_config_url_are_refused_without_printing_them(
    tmp_path: Path, url: str, secret: str
) -> None:
    world = World(tmp_path / "w")
    config = world.config_of(world.main)
    config.write_text(config_text(url), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_platform(config)
    text = "\n".join(caught.value.lines())
    assert "carries credentials" in text
    assert secret not in text
    assert secret.split("@")[-1] not in text.replace("github.com", "")


def test_credentials_in_a_helm_repo_url_are_refused(tmp_path: Path) -> None:
    text = (Path(__file__).parent.parent / "config" / "platform.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "repo_url: https://aws.github.io/eks-charts",
        "repo_url: https://robot:t0ken@charts.example.com/eks",
    )
    config = tmp_path / "platform.yaml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_platform(config)
    message = "\n".join(caught.value.lines())
    assert "applications[aws-load-balancer-controller].helm.repo_url" in message
    assert "t0ken" not in message and "robot" not in message


@pytest.mark.parametrize(("url", "secret"), SECRET_URLS)
def test_publish_to_a_url_with_credentials_never_prints_them(
    tmp_path: Path, url: str, secret: str
) -> None:
    world = World(tmp_path / "w")
    local = url.replace("github.com", "127.0.0.1:9")
    with pytest.raises(PublishError) as caught:
        publish(world.config_of(world.main), to=local, backoff=0.01)
    assert secret not in str(caught.value)
    assert "***@127.0.0.1:9" in str(caught.value)


# user info ends where a URL does in a message: at '/' or white space
userinfo = st.text(
    st.characters(codec="ascii").filter(lambda ch: ch != "/" and not ch.isspace()),
    min_size=1,
    max_size=30,
)


@given(userinfo, st.sampled_from(["https", "http", "ssh", "git"]))
def test_redaction_hides_every_user_info(secret: str, scheme: str) -> None:
    text = f"fatal: unable to access '{scheme}://{secret}@example.com/repo.git/': denied"
    assert giturl.redact(text) == (
        f"fatal: unable to access '{scheme}://***@example.com/repo.git/': denied"
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("u:s3cret@host:acme/gitops.git", "***@host:acme/gitops.git"),
        ("x-access-token:ghp_abc@github.com/acme", "***@github.com/acme"),
        ("git@github.com:acme/gitops.git", "git@github.com:acme/gitops.git"),
        ("https://github.com:443/acme/gitops.git", "https://github.com:443/acme/gitops.git"),
    ],
)
def test_scp_like_passwords_are_masked_and_plain_remotes_kept(text: str, shown: str) -> None:
    assert giturl.redact(text) == shown
    assert giturl.credentials_in(text) is (shown != text)
