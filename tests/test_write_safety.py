"""What render, render --check and diff do with an output tree a pull request can shape.

Through the installed command, as CI runs it: a clone of the GitOps repo is never replaced, a
symbolic link is an error naming the link (never what it points at), and a render killed with
SIGKILL at any step leaves the old tree or the new one, never none; what it left behind is
removed by the next run.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from gigrouter.layout import METADATA_FILE
from gigrouter.write import FAILPOINT_VARIABLE, read_tree

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "config" / "platform.yaml"
SECRET = "AUTHORIZATION: basic c2VjcmV0LXRva2Vu"


def gigrouter(
    exe: str, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def project(tmp_path: Path) -> Path:
    """A config repo with the default config and its render in out/."""
    root = tmp_path / "project"
    (root / "config").mkdir(parents=True)
    shutil.copy(CONFIG, root / "config" / "platform.yaml")
    if (REPO / "config" / "environments").is_dir():
        shutil.copytree(REPO / "config" / "environments", root / "config" / "environments")
    shutil.copytree(REPO / "out", root / "out")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


# --- ownership ------------------------------------------------------------------------------


def test_render_into_a_clone_of_the_gitops_repo_removes_nothing(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    root = project(tmp_path)
    clone = tmp_path / "k8s-manifests"
    shutil.copytree(root / "out", clone)  # what publish pushed: gigrouter's metadata at the root
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    (clone / "runbooks").mkdir()
    (clone / "runbooks" / "oncall.md").write_text("page the platform team\n")
    before = snapshot(clone)
    done = gigrouter(gigrouter_exe, "render", "--out", str(clone), cwd=root)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"error: {clone}: holds .git, so it is (or contains) a git checkout, perhaps a clone of"
        " the GitOps repo, which gigrouter never replaces (render into out/; publish commits);"
        " refusing to replace it\n"
    )
    assert snapshot(clone) == before
    assert (clone / ".git" / "HEAD").is_file()


def test_a_nested_git_checkout_is_refused_too(tmp_path: Path, gigrouter_exe: str) -> None:
    root = project(tmp_path)
    subprocess.run(["git", "init", "-q", str(root / "out" / "backend")], check=True)
    done = gigrouter(gigrouter_exe, "render", cwd=root)
    assert done.returncode == 2
    assert "holds backend/.git, so it is (or contains) a git checkout" in done.stderr
    assert (root / "out" / "backend" / ".git").is_dir()


def test_entries_the_metadata_does_not_list_are_not_gigrouters(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    root = project(tmp_path)
    (root / "out" / "team-payments").mkdir()
    (root / "out" / "team-payments" / "app.yaml").write_text("kind: ConfigMap\n")
    before = snapshot(root / "out")
    done = gigrouter(gigrouter_exe, "render", cwd=root)
    assert done.returncode == 2
    assert done.stderr == (
        f"error: out: holds team-payments, which {METADATA_FILE} does not list as"
        " gigrouter's; move them out or choose another directory; refusing to replace it\n"
    )
    assert snapshot(root / "out") == before


@pytest.mark.parametrize(
    "metadata",
    ["", "not: gigrouter's\n", "gigrouter: {format: 1}\nentries: 5\n", "\xff\xfe", "[1, 2"],
)
def test_a_metadata_file_that_is_not_gigrouters_proves_nothing(
    tmp_path: Path, gigrouter_exe: str, metadata: str
) -> None:
    target = tmp_path / "precious"
    target.mkdir()
    (target / METADATA_FILE).write_bytes(metadata.encode("utf-8", "surrogateescape"))
    (target / "notes.txt").write_text("keep me\n")
    done = gigrouter(
        gigrouter_exe, "render", "--config", str(CONFIG), "--out", str(target), cwd=REPO
    )
    assert done.returncode == 2
    assert "listing what gigrouter wrote" in done.stderr
    assert (target / "notes.txt").read_text() == "keep me\n"


# --- links ----------------------------------------------------------------------------------


@pytest.fixture
def linked(tmp_path: Path) -> tuple[Path, Path]:
    """out/ with a link to a file outside the tree that holds a secret (as .git/config does)."""
    root = project(tmp_path)
    secret = root / ".git-config"
    secret.write_text(f"[http]\n\textraheader = {SECRET}\n")
    link = root / "out" / "backend" / "x.yaml"
    link.symlink_to(Path("..") / ".." / ".git-config")
    return root, link


@pytest.mark.parametrize(
    "command",
    [
        ["render", "--check"],
        ["render"],
        ["diff"],
        ["diff", "--format", "markdown"],
    ],
)
def test_a_link_in_out_is_named_and_never_followed(
    linked: tuple[Path, Path], gigrouter_exe: str, command: list[str]
) -> None:
    root, link = linked
    done = gigrouter(gigrouter_exe, *command, cwd=root)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    assert done.stderr == (
        "error: out/backend/x.yaml: is a symbolic link; gigrouter never writes links and does not"
        " follow them in a tree it reads (one could point outside it): remove it\n"
    )
    assert SECRET not in done.stderr and "extraheader" not in done.stderr
    assert link.is_symlink()


def test_a_linked_directory_is_not_entered(tmp_path: Path, gigrouter_exe: str) -> None:
    root = project(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "service.yaml").write_text(SECRET + "\n")
    shutil.rmtree(root / "out" / "memcached")
    (root / "out" / "memcached").symlink_to(outside)
    done = gigrouter(gigrouter_exe, "render", "--check", cwd=root)
    assert done.returncode == 2
    assert "error: out/memcached: is a symbolic link" in done.stderr
    assert SECRET not in done.stdout + done.stderr


def test_out_itself_a_link_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "out").symlink_to(real)
    with pytest.raises(Exception, match="is a symbolic link"):
        read_tree(tmp_path / "out")


# --- a kill at any step -----------------------------------------------------------------------


def _with_replicas(root: Path, replicas: int) -> None:
    config = root / "config" / "platform.yaml"
    text = CONFIG.read_text(encoding="utf-8")
    assert "replicas: 2" in text
    config.write_text(text.replace("replicas: 2", f"replicas: {replicas}", 1), encoding="utf-8")


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".out.gigrouter-tmp-"))


@pytest.mark.parametrize(("step", "holds"), [("staged", "old"), ("swapped", "new")])
def test_a_kill_at_each_step_leaves_a_whole_tree_and_the_next_run_cleans_up(
    tmp_path: Path, gigrouter_exe: str, step: str, holds: str
) -> None:
    root = project(tmp_path)
    old = snapshot(root / "out")
    _with_replicas(root, 5)
    done = gigrouter(gigrouter_exe, "render", cwd=root, env={FAILPOINT_VARIABLE: step})
    assert done.returncode == -signal.SIGKILL
    assert (root / "out").is_dir()
    now = snapshot(root / "out")
    if holds == "old":
        assert now == old
    else:
        assert now != old and "replicas: 5" in now["backend/deployment.yaml"].decode()
    assert len(_leftovers(root)) == 1  # what the killed run could not remove
    again = gigrouter(gigrouter_exe, "render", cwd=root)
    assert again.returncode == 0, again.stderr
    assert _leftovers(root) == []
    assert gigrouter(gigrouter_exe, "render", "--check", cwd=root).returncode == 0


def test_the_swap_is_one_exchange_here(tmp_path: Path, gigrouter_exe: str) -> None:
    """On Linux the swap is renameat2(RENAME_EXCHANGE): the two-rename fallback, with its
    moment of no tree (where this failpoint kills), is never taken."""
    root = project(tmp_path)
    _with_replicas(root, 6)
    done = gigrouter(gigrouter_exe, "render", cwd=root, env={FAILPOINT_VARIABLE: "halfway"})
    assert done.returncode == 0, done.stderr
    assert "replicas: 6" in (root / "out" / "backend" / "deployment.yaml").read_text()
    assert _leftovers(root) == []


def test_random_kills_never_leave_out_missing_or_mixed(tmp_path: Path, gigrouter_exe: str) -> None:
    root = project(tmp_path)
    trees = {2: snapshot(root / "out")}
    _with_replicas(root, 3)
    assert gigrouter(gigrouter_exe, "render", cwd=root).returncode == 0
    trees[3] = snapshot(root / "out")
    rng = random.Random(20261203)
    for attempt in range(8):
        replicas = 2 if attempt % 2 else 3
        _with_replicas(root, replicas)
        proc = subprocess.Popen(
            [gigrouter_exe, "render"],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert (root / "out").is_dir(), f"attempt {attempt}: out/ is missing"
        assert snapshot(root / "out") in trees.values(), f"attempt {attempt}: a mixed tree"
    assert gigrouter(gigrouter_exe, "render", cwd=root).returncode == 0
    assert _leftovers(root) == []


def test_two_renders_at_once_take_turns(tmp_path: Path, gigrouter_exe: str) -> None:
    root = project(tmp_path)
    _with_replicas(root, 4)
    procs = [
        subprocess.Popen(
            [gigrouter_exe, "render"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
    assert _leftovers(root) == []
    assert gigrouter(gigrouter_exe, "render", "--check", cwd=root).returncode == 0


def _as_nobody(exe: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``exe ARGS`` as an unprivileged user (root ignores permissions, so a read-only
    directory only means something to someone else)."""
    prefix = [] if os.geteuid() != 0 else [
        "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
    ]  # fmt: skip
    return subprocess.run(
        [*prefix, exe, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )


def test_a_read_only_subdirectory_leaves_nothing_behind(gigrouter_exe: str) -> None:
    top = Path(tempfile.mkdtemp(prefix="gigrouter-readonly-"))
    try:
        root = project(top)
        _with_replicas(root, 7)
        if os.geteuid() == 0:
            for path in [top, *top.rglob("*")]:
                os.chown(path, 65534, 65534, follow_symlinks=False)
        (root / "out" / "backend").chmod(0o555)
        done = _as_nobody(gigrouter_exe, "render", cwd=root)
        assert done.returncode == 0, done.stderr
        assert "replicas: 7" in (root / "out" / "backend" / "deployment.yaml").read_text()
        assert _leftovers(root) == []  # the old tree, read-only part and all, is gone
    finally:
        for path in top.rglob("*"):
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(top)


BOMB = (
    "gigrouter: {format: 1}\n"
    'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "entries: [*g]\n"
)


def test_an_alias_bomb_as_metadata_proves_nothing_and_hangs_nothing(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / METADATA_FILE).write_text(BOMB)
    (target / "notes.txt").write_text("keep me\n")
    started = time.monotonic()
    done = gigrouter(
        gigrouter_exe, "render", "--config", str(CONFIG), "--out", str(target), cwd=REPO
    )
    assert time.monotonic() - started < 30
    assert done.returncode == 2 and "listing what gigrouter wrote" in done.stderr
    assert (target / "notes.txt").read_text() == "keep me\n"


def test_diff_reads_a_hostile_values_file_within_bounds() -> None:
    from gigrouter.diff.compare import compare_files

    app = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: m, namespace: argocd}\n"
        "spec:\n  destination: {namespace: m, server: https://kubernetes.default.svc}\n"
        "  source: {repoURL: https://charts.example.com, chart: c, targetRevision: 1.0.0,\n"
        "    helm: {valueFiles: [values.yaml]}, path: m}\n"
    )
    deep = "a: " + "[" * 900 + "]" * 900 + "\n"
    started = time.monotonic()
    for hostile in (BOMB, deep, "n: " + "9" * 5000 + "\n"):
        diff = compare_files(
            {"argocd/m.yaml": app, "m/values.yaml": hostile},
            {"argocd/m.yaml": app, "m/values.yaml": "a: 1\n"},
            "before",
            "after",
        )
        assert [f.path for f in diff.files] == ["m/values.yaml"]
    assert time.monotonic() - started < 30


def test_only_gigrouters_own_temporaries_are_removed(tmp_path: Path, gigrouter_exe: str) -> None:
    root = project(tmp_path)
    looks_alike = [
        ".out.gigrouter-mybackup",
        ".out.gigrouter-tmp-mine",
        ".out.gigrouter-tmp-x1234567y",
    ]
    for name in looks_alike:  # made by hand, only named like gigrouter's temporaries
        (root / name).mkdir()
        (root / name / "notes").write_text("precious\n")
    mine = root / looks_alike[0]
    stale = root / ".out.gigrouter-tmp-ab12cd_3"  # what mkdtemp names a staging tree
    (stale / "backend").mkdir(parents=True)
    assert gigrouter(gigrouter_exe, "render", cwd=root).returncode == 0
    assert (mine / "notes").read_text() == "precious\n"
    assert all((root / name / "notes").is_file() for name in looks_alike)
    assert not stale.exists()


def test_a_tree_that_cannot_be_removed_does_not_fail_the_render(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    root = project(tmp_path)
    pinned = root / "out" / "backend" / "pinned.yaml"
    pinned.write_text("kind: ConfigMap\n")
    subprocess.run(["chattr", "+i", str(pinned)], check=True)  # not even root may delete it
    try:
        _with_replicas(root, 8)
        done = gigrouter(gigrouter_exe, "render", cwd=root)
        assert done.returncode == 0, done.stderr
        assert "replicas: 8" in (root / "out" / "backend" / "deployment.yaml").read_text()
        assert len(_leftovers(root)) == 1  # the old tree, kept where it could not be removed
        again = gigrouter(gigrouter_exe, "render", cwd=root)
        assert again.returncode == 0, again.stderr
    finally:
        for path in root.rglob("pinned.yaml"):
            subprocess.run(["chattr", "-i", str(path)], check=True)
    assert gigrouter(gigrouter_exe, "render", cwd=root).returncode == 0
    assert _leftovers(root) == []


def test_the_whole_render_and_an_environment_render_take_turns(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    root = project(tmp_path)
    for replicas in (3, 4, 5):
        _with_replicas(root, replicas)
        procs = [
            subprocess.Popen([gigrouter_exe, "render", *extra], cwd=root, stderr=subprocess.PIPE)
            for extra in ([], ["--env", "staging"])
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
    assert _leftovers(root) == []
    assert gigrouter(gigrouter_exe, "render", "--check", cwd=root).returncode == 0


def test_a_directory_that_is_not_gigrouters_is_refused_before_it_is_walked(
    tmp_path: Path, gigrouter_exe: str
) -> None:
    started = time.monotonic()
    done = gigrouter(gigrouter_exe, "render", "--config", str(CONFIG), "--out", "/usr", cwd=REPO)
    assert done.returncode == 2 and "listing what gigrouter wrote" in done.stderr
    assert time.monotonic() - started < 10
