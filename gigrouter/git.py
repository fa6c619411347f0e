"""Run git for publish: explicit argument lists (no shell), a predictable environment, a
bound on every call, and errors that quote git's own message with the credentials of any URL
masked.

Every call has a time limit (``GIGROUTER_GIT_TIMEOUT`` seconds, default 600) after which git and
everything it started (ssh, git-remote-https) are killed; a stalled HTTP transfer fails sooner
through git's low-speed limit, and ssh runs in batch mode with connect and keep-alive limits.
git may use only the transports gigrouter publishes over (``GIT_ALLOW_PROTOCOL``).

Also the read-only questions publish asks the config checkout (its root, HEAD, whether it has
uncommitted changes, its remotes). None of them writes to the checkout: ``GIT_OPTIONAL_LOCKS=0``
keeps ``git status`` from refreshing its index.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from pathlib import Path

from gigrouter.errors import Location, Problem, PublishError, UsageError
from gigrouter.giturl import SCHEMES
from gigrouter.giturl import redact as redact  # callers mask URLs where they run git

TIMEOUT_VARIABLE = "GIGROUTER_GIT_TIMEOUT"
DEFAULT_TIMEOUT = 600.0
# Defaults that a user's own setting of the same variable overrides.
_NETWORK_DEFAULTS = {
    "GIT_HTTP_LOW_SPEED_LIMIT": "1000",  # bytes per second, for ...
    "GIT_HTTP_LOW_SPEED_TIME": "60",  # ... this many seconds, or the transfer fails
}
_SSH_COMMAND = (
    "ssh -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15 -o ServerAliveCountMax=4"
)

# Variables that would point git at another repository than the one each command names (they
# are set, for example, when publish runs inside a git hook).
_REPO_VARIABLES = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
        "GIT_CEILING_DIRECTORIES",
    }
)
_SCP_LIKE = re.compile(r"^[^/]+:")


def environment(**extra: str) -> dict[str, str]:
    """The process environment for git: never prompts, C locale for parsing, no locks taken
    on repositories it only reads."""
    env = {k: v for k, v in os.environ.items() if k not in _REPO_VARIABLES}
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C", LANGUAGE="C", GIT_OPTIONAL_LOCKS="0")
    env["GIT_ALLOW_PROTOCOL"] = ":".join(SCHEMES)
    for key, value in _NETWORK_DEFAULTS.items():
        env.setdefault(key, value)
    if "GIT_SSH" not in env and "GIT_SSH_COMMAND" not in env:
        env["GIT_SSH_COMMAND"] = _SSH_COMMAND
    env.update(extra)
    return env


def timeout() -> float:
    """Seconds one git call may take (``GIGROUTER_GIT_TIMEOUT``)."""
    raw = os.environ.get(TIMEOUT_VARIABLE, "")
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        raise UsageError(f"{TIMEOUT_VARIABLE}={raw!r} is not a number of seconds") from None
    if not 0 < value < float("inf"):
        raise UsageError(f"{TIMEOUT_VARIABLE}={raw!r} must be a positive number of seconds")
    return value


def run(
    cwd: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``git ARGS`` in ``cwd``; the caller looks at the return code. Never reads the terminal;
    a call that outlives ``timeout()`` is killed with everything it started (PublishError)."""
    limit = timeout()
    try:
        proc = subprocess.Popen(
            ["git", *args],
            cwd=cwd,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env or environment(),
            text=True,
            start_new_session=True,  # its own process group: ssh and helpers die with it
        )
    except FileNotFoundError:
        if not cwd.is_dir():
            raise UsageError([Problem(Location(str(cwd)), "no such directory")]) from None
        raise UsageError("git is not installed (not found on PATH); publish needs it") from None
    try:
        out, err = proc.communicate(stdin, timeout=limit)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise PublishError(
            f"git {args[0]} did not finish within {limit:g} s and was stopped (a remote that"
            f" does not answer?); set {TIMEOUT_VARIABLE} to allow longer"
        ) from None
    except BaseException:  # Ctrl-C, or the process was told to stop: leave nothing running
        _kill(proc)
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _kill(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def must(
    cwd: Path, what: str, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> str:
    """``git ARGS``'s output; PublishError saying ``what`` failed, with git's message."""
    done = run(cwd, *args, stdin=stdin, env=env)
    if done.returncode != 0:
        raise failure(what, done.stderr)
    return done.stdout


def failure(what: str, stderr: str) -> PublishError:
    """``what: <git's first line>``, then git's next lines (hints left out)."""
    lines = [redact(line.strip()) for line in stderr.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("hint:")]
    first = f"{what}: {lines[0]}" if lines else what
    rest = [Problem(Location(""), f"git: {line}") for line in lines[1:6]]
    return PublishError([Problem(Location(""), first), *rest])


def last_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return redact(lines[-1]) if lines else "failed"


def exists(git_dir: Path, revision: str) -> bool:
    """Whether ``revision`` names a commit in ``git_dir``."""
    return run(git_dir, "cat-file", "-e", f"{revision}^{{commit}}").returncode == 0


def is_ancestor(git_dir: Path, older: str, newer: str) -> bool:
    return run(git_dir, "merge-base", "--is-ancestor", older, newer).returncode == 0


def init_bare(path: Path) -> Path:
    must(path.parent, "cannot create a temporary repository", "init", "-q", "--bare", str(path))
    return path


# --- the config checkout (read only) ----------------------------------------------------------


def checkout_root(config: Path) -> Path:
    """The top of the git checkout that holds ``config``."""
    done = run(Path(os.path.abspath(config)).parent, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise UsageError(
            [
                Problem(
                    Location(str(config)),
                    "is not in a git checkout; publish takes its source commit from the"
                    " config repo's HEAD",
                )
            ]
        )
    return Path(done.stdout.strip())


def head(checkout: Path) -> str:
    done = run(checkout, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if done.returncode != 0:
        raise UsageError([Problem(Location(str(checkout)), "the checkout has no commit yet")])
    return done.stdout.strip()


def subject(checkout: Path, commit: str) -> str:
    return must(checkout, "cannot read the source commit", "log", "-1", "--format=%s", commit)


def dirty_paths(checkout: Path) -> list[str]:
    """Changed, staged and untracked files; ignored files do not count."""
    out = must(
        checkout,
        "cannot read the checkout's status",
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
    )
    paths: list[str] = []
    entries = iter(out.split("\0"))
    for entry in entries:
        if len(entry) > 3:
            paths.append(entry[3:])
            if entry[0] in "RC":
                next(entries, None)  # a rename's original path
    return paths


def remote_urls(checkout: Path) -> list[str]:
    """The URLs of the checkout's remotes; relative paths made absolute."""
    urls = []
    for name in run(checkout, "remote").stdout.split():
        url = run(checkout, "remote", "get-url", name).stdout.strip()
        if url:
            urls.append(url if "://" in url or _SCP_LIKE.match(url) else str(checkout / url))
    return urls


def valid_branch(cwd: Path, name: str) -> bool:
    return run(cwd, "check-ref-format", "--branch", name).returncode == 0
