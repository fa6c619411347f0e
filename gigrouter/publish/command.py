"""Publish the rendered tree to the Git repository Argo CD watches: the CI job.

The source is the HEAD commit of the config checkout. The render is validated, the target
branch is fetched into a bare repository in a temporary directory, and the commit is built
there with plumbing (a private index, ``write-tree``, ``commit-tree``): nothing is checked out,
and the user's checkout is only read.

What publish owns in the target: with a ``gitops.path``, everything under it; at the root, the
top-level entries it writes now plus those its metadata file recorded last time. Inside that, the
target becomes exactly the render; everything else is left alone.

Environments (``env``): the environment's tree alone (``out/environments/<name>/`` of a full
render) goes to the environment's own ``gitops`` settings (by default the base repo and branch,
under ``<base path>/environments/<name>``). That default place is inside what a base publish
owns, and the base publish writes the same tree there (the same render of the same source), so
the two agree byte for byte and never undo each other. Any other place on the base's branch must
be outside what the base publish owns, or the two would keep deleting each other's files: such
an environment is refused. Trees that share a branch also share its ``Gigrouter-Source`` order.

Ordering, decided before every commit: each publish commit carries ``Gigrouter-Source: <sha>``.
The newest such trailer on the branch is placed against our source in the config repo's history
(sources.py): a descendant of ours means a newer render is there (superseded, nothing pushed);
ours or an ancestor means apply; anything else is refused. In the same-repo layout, config
commits after ours on the branch mean the same as a newer trailer. Every push is a plain
fast-forward; when it is rejected because the branch moved, publish fetches, decides again and
retries with exponential backoff, a bounded number of times.
"""

from __future__ import annotations

import random
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import yaml

from gigrouter import git, safeyaml
from gigrouter.config.load import load_platform
from gigrouter.config.overlay import ENVIRONMENTS_DIR, load_environment, overlay_path
from gigrouter.errors import Location, Problem, PublishError, UsageError
from gigrouter.giturl import check_remote
from gigrouter.layout import METADATA_FILE
from gigrouter.model import GitOps
from gigrouter.pipeline import build_trees, render_to
from gigrouter.sources import Placement, SourceHistory
from gigrouter.validate.context import Options
from gigrouter.validate.findings import Report
from gigrouter.validate.tree import environment_roots, load_tree

TRAILER = "Gigrouter-Source"
# A render of a checkout with uncommitted changes: it names HEAD, but HEAD did not produce it,
# so it is never taken as HEAD's render when publishes are ordered.
DIRTY_TRAILER = "Gigrouter-Source-Dirty"
DEFAULT_IDENTITY = {"user.name": "gigrouter", "user.email": "gigrouter@localhost"}
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
# Push rejections that mean "another pipeline pushed first": fetch, decide again, retry.
_MOVED = ("fetch first", "non-fast-forward", "failed to update ref", "cannot lock ref")

Notify = Callable[[str], None]


class Outcome(Enum):
    PUBLISHED = "published"
    UNCHANGED = "unchanged"
    SUPERSEDED = "superseded"
    DRY_RUN = "dry-run"


@dataclass(frozen=True)
class PublishResult:
    """What publish did. ``repo`` has any password in its URL replaced by ``***``;
    ``published_source`` is what the branch held when publish decided."""

    outcome: Outcome
    source: str
    repo: str
    branch: str
    path: str
    commit: str = ""
    published_source: str = ""
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    attempts: int = 1
    warnings: tuple[str, ...] = ()
    report: Report = field(default_factory=Report)


def publish(
    config: Path,
    to: str | None = None,
    branch: str | None = None,
    message: str | None = None,
    allow_dirty: bool = False,
    dry_run: bool = False,
    env: str | None = None,
    options: Options | None = None,
    sign: bool | None = None,
    notify: Notify | None = None,
    attempts: int = 8,
    backoff: float = 0.5,
) -> PublishResult:
    """Render ``config`` at the checkout's HEAD and publish it (see the module docstring).

    Raises ConfigError or UsageError (exit 2) for the config and the arguments,
    ValidationFailed (exit 1) when the render has errors, and PublishError (exit 1) when git
    fails or the branch holds a render whose source cannot be ordered against ours.
    ``notify`` receives warnings and retry notes as they happen.
    """
    say = notify or (lambda _line: None)
    platform = load_platform(config)
    gitops = _gitops_target(config, platform.gitops, env)
    signed = gitops.sign if sign is None else sign
    checkout = git.checkout_root(config)
    source = git.head(checkout)
    dirty = git.dirty_paths(checkout)
    if dirty and not allow_dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise UsageError(
            [
                Problem(
                    Location(str(checkout)),
                    f"uncommitted changes ({shown}); publish renders a commit: commit them,"
                    " or pass --allow-dirty",
                )
            ]
        )
    repo = _repo_argument(to or gitops.repo_url, checkout, "--to" if to else "gitops.repo_url")
    target_branch = branch or gitops.revision
    if not git.valid_branch(checkout, target_branch):
        raise UsageError([Problem(Location("--branch"), f"{target_branch!r} is not a branch name")])
    warnings: list[str] = []
    if target_branch != gitops.revision:
        warnings.append(
            f"warning: publishing to branch {target_branch!r}, but Argo CD reads"
            f" {gitops.revision!r} (gitops.revision)"
        )
        say(warnings[-1])
    if to is not None and _Remote(repo) != _Remote(gitops.repo_url):
        warnings.append(
            f"warning: publishing to {git.redact(repo)}, but the Applications read"
            f" {git.redact(gitops.repo_url)} (gitops.repo_url): Argo CD will not see this commit"
        )
        say(warnings[-1])
    with tempfile.TemporaryDirectory(prefix="gigrouter-publish-") as scratch:
        work = Path(scratch)
        rendered = render_to(config, work / "render", options=options, env=env)
        tree = work / "render" / (f"{ENVIRONMENTS_DIR}/{env}" if env is not None else "")
        target = _Target(git.init_bare(work / "gitops.git"), repo, target_branch, gitops.path)
        files = target.store(tree)
        text = _Message(
            source=source,
            subject=git.subject(checkout, source).strip(),
            title=(message or "").strip(),
            dirty=bool(dirty),
            files=len(files),
            env=env,
            applications=_Applications(tree, gitops.path),
        )
        history = SourceHistory(work / "source.git", checkout, source)
        decision = _Publisher(target, history, files, text, source, signed).run(
            dry_run, attempts, backoff, say
        )
    return PublishResult(
        outcome=decision.outcome,
        source=source,
        repo=git.redact(repo),
        branch=target_branch,
        path=gitops.path,
        commit=decision.commit,
        published_source=decision.published_source or "",
        added=decision.tree.added,
        removed=decision.tree.removed,
        changed=decision.tree.changed,
        attempts=decision.attempts,
        warnings=tuple(warnings),
        report=rendered.report,
    )


def _gitops_target(config: Path, gitops: GitOps, env: str | None) -> GitOps:
    """Where to publish: the config's gitops settings, or the environment's (its overlay's, by
    default the base repo and branch under <base path>/environments/<name>)."""
    if env is None:
        return gitops
    overlay = overlay_path(config, env)  # a usage error naming the known environments
    mine = load_environment(config, env, display=str(config)).gitops
    if (mine.repo_url, mine.revision) != (gitops.repo_url, gitops.revision):
        return mine
    default = gitops.join(ENVIRONMENTS_DIR, env)
    if mine.path == default:
        return mine  # where the base publish writes the same tree: they agree
    base_owns, env_owns = _owned_areas(config, gitops.path, mine.path, env)
    clash = next((a for a in base_owns for b in env_owns if _overlap(a, b)), None)
    if clash is not None:
        raise UsageError(
            [
                Problem(
                    Location(str(overlay), 0, "gitops.path"),
                    f"{mine.path or '(the root)'!r} on {gitops.revision!r} of"
                    f" {git.redact(gitops.repo_url)} overlaps {clash!r}, which the base publish"
                    " owns; the two would keep removing each other's files. Leave gitops.path"
                    f" unset ({default!r}) or move it outside",
                )
            ]
        )
    return mine


def _owned_areas(config: Path, base: str, mine: str, env: str) -> tuple[list[str], list[str]]:
    """What the base and the environment publish own on one branch: their path, or at the
    root the top-level entries of their tree."""
    if base and mine:
        return [base], [mine]
    trees = build_trees(config, everything=True)
    top = {b.environment: sorted({p.split("/", 1)[0] for p in b.tree.files}) for b in trees}
    base_top = top[None] + ([ENVIRONMENTS_DIR] if len(trees) > 1 else [])
    return [base] if base else base_top, [mine] if mine else top[env]


def _overlap(a: str, b: str) -> bool:
    """Whether two repository paths are the same or one holds the other."""
    return a == b or a.startswith(f"{b}/") or b.startswith(f"{a}/")


def _repo_argument(repo: str, checkout: Path, where: str) -> str:
    """A remote git may be handed (``giturl.check_remote``), a local path made absolute (git
    runs elsewhere); the checkout itself is refused."""
    try:
        check_remote(repo, allow_credentials=where == "--to")
    except ValueError as exc:
        raise UsageError([Problem(Location(where), str(exc))]) from None
    local = Path(repo).expanduser()
    if "://" in repo or not local.exists():
        return repo
    if local.resolve() == checkout.resolve():
        raise UsageError(
            [
                Problem(
                    Location("--to"),
                    f"{repo!r} is the config checkout itself; git refuses pushes into a"
                    " checked-out branch, so publish to its remote URL instead",
                )
            ]
        )
    return str(local.resolve())


@dataclass(frozen=True)
class _Remote:
    """A remote compared as git would reach it: scheme and host case and a trailing '/' or
    '.git' do not make another repository."""

    url: str

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Remote) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> str:
        url = self.url.rstrip("/").removesuffix(".git")
        scheme, sep, rest = url.partition("://")
        if not sep:
            local = Path(self.url).expanduser()
            return str(local.resolve()).removesuffix(".git") if local.exists() else url
        host, slash, path = rest.partition("/")
        return f"{scheme.lower()}://{host.lower()}{slash}{path}"


class _Applications:
    """Which Applications of a rendered tree own which of its files, so that a publish commit
    can name the applications whose output changed."""

    def __init__(self, rendered: Path, prefix: str) -> None:
        self.prefix = f"{prefix}/" if prefix else ""
        self.owners: list[tuple[str, str, str]] = []  # (tree prefix, file or dir/, app)
        roots = [("", rendered)] + [
            (f"{ENVIRONMENTS_DIR}/{name}/", rendered / ENVIRONMENTS_DIR / name)
            for name in environment_roots(rendered)
        ]
        for where, root in roots:
            label = f"{where.split('/')[1]}/" if where else ""
            for app in load_tree(root).applications:
                self.owners.append((where, app.file, label + app.name))
                for owned in (*app.paths, *app.value_files):
                    self.owners.append((where, owned.rstrip("/") + "/", label + app.name))
                    self.owners.append((where, owned, label + app.name))

    def changed(self, tree: _Tree) -> list[str]:
        """The applications owning any added, removed or changed file, in tree order."""
        names: list[str] = []
        for target in (*tree.added, *tree.removed, *tree.changed):
            path = target[len(self.prefix) :] if target.startswith(self.prefix) else target
            for where, owned, app in self.owners:
                inner = path[len(where) :] if path.startswith(where) else None
                if inner is None or app in names:
                    continue
                if inner == owned or (owned.endswith("/") and inner.startswith(owned)):
                    names.append(app)
        return sorted(names)


@dataclass(frozen=True)
class _Message:
    """A publish commit's message: a subject that says what changed (the source commit's
    subject and the applications whose output changed), then the provenance and trailers."""

    source: str
    subject: str
    title: str
    dirty: bool
    files: int
    env: str | None
    applications: _Applications

    def text(self, tree: _Tree) -> str:
        apps = self.applications.changed(tree)
        title = self.title or self._title(apps)
        body = f"Rendered by gigrouter from {self.source}" + (
            f" ({self.subject})." if self.subject else "."
        )
        if self.env:
            body += f"\nEnvironment: {self.env}."
        if apps:
            body += f"\nApplications changed: {', '.join(apps)}."
        body += f"\n{self.files} files."
        if self.dirty:
            body += (
                "\nThe config checkout had uncommitted changes (--allow-dirty): this is not the"
                f" render of {self.source[:12]} alone."
            )
            trailers = f"{DIRTY_TRAILER}: {self.source}"
        else:
            trailers = f"{TRAILER}: {self.source}"
        return f"{title}\n\n{body}\n\n{trailers}\n"

    def _title(self, apps: list[str]) -> str:
        what = self.subject or f"render of {self.source[:12]}"
        if self.env:
            what = f"{self.env}: {what}"
        if not apps:
            return _cut(what, SUBJECT_LIMIT)
        shown = apps[:3] + ([f"{len(apps) - 3} more"] if len(apps) > 3 else [])
        suffix = f" ({', '.join(shown)})"
        return _cut(what, SUBJECT_LIMIT - len(suffix)) + suffix


SUBJECT_LIMIT = 72


def _cut(text: str, limit: int) -> str:
    limit = max(limit, 20)
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


# --- the target branch --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tree:
    """A tree built for the branch, and how it differs from the branch's tip."""

    id: str = ""
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    @property
    def changes(self) -> bool:
        return bool(self.added or self.removed or self.changed)


class _Target:
    """One branch of the GitOps repo, fetched into a temporary bare repository."""

    def __init__(self, git_dir: Path, repo: str, branch: str, prefix: str) -> None:
        self.dir = git_dir
        self.repo = repo
        self.branch = branch
        self.ref = f"refs/heads/{branch}"
        self.prefix = prefix
        self.where = f"{branch} of {git.redact(repo)}"

    def store(self, rendered: Path) -> dict[str, str]:
        """Write every rendered file as a blob: target path -> blob id."""
        paths = sorted(p for p in rendered.rglob("*") if p.is_file())
        out = git.must(
            self.dir,
            "cannot store the render",
            "hash-object",
            "-w",
            "--no-filters",
            "--stdin-paths",
            stdin="".join(f"{p}\n" for p in paths),
        )
        names = (
            "/".join(x for x in (self.prefix, p.relative_to(rendered).as_posix()) if x)
            for p in paths
        )
        return dict(zip(names, out.split(), strict=True))

    def tip(self) -> str | None:
        """The branch's commit in the remote, fetched; None when the branch does not exist."""
        out = git.must(
            self.dir, f"cannot read {git.redact(self.repo)}", "ls-remote", "--", self.repo, self.ref
        )
        tips = [row.split("\t")[0] for row in out.splitlines() if row.endswith(f"\t{self.ref}")]
        if not tips:
            return None
        if not git.exists(self.dir, tips[0]):
            git.must(
                self.dir,
                f"cannot fetch {self.where}",
                "fetch",
                "--no-tags",
                "--quiet",
                "--",
                self.repo,
                f"+{self.ref}:refs/gigrouter/tip",
            )
        return tips[0]

    def published(self, tip: str) -> str | None:
        """The newest Gigrouter-Source on the branch; commits without one are walked past."""
        for _, values in self._trailers(tip, only_publishes=True):
            if values:
                return values[-1]
        return None

    def newer_config_commits(self, tip: str, source: str) -> bool:
        """Same-repo layout: the branch holds our source and, after it, commits that are not
        publishes, i.e. newer config commits."""
        if tip == source or not git.exists(self.dir, source):
            return False
        if not git.is_ancestor(self.dir, source, tip):
            return False
        dirty = set(
            git.must(
                self.dir,
                f"cannot read the history of {self.where}",
                "log",
                "--format=%H",
                "--regexp-ignore-case",
                f"--grep=^{DIRTY_TRAILER}:",
                f"{source}..{tip}",
                "--",
            ).split()
        )
        return any(
            not values and commit not in dirty
            for commit, values in self._trailers(f"{source}..{tip}")
        )

    def _trailers(
        self, revisions: str, only_publishes: bool = False
    ) -> list[tuple[str, list[str]]]:
        args = [
            "log",
            "--topo-order",
            f"--format=%H%x00%(trailers:key={TRAILER},valueonly,separator=%x01)%x00",
        ]
        if only_publishes:
            args += ["--regexp-ignore-case", f"--grep=^{TRAILER}:"]
        out = git.must(self.dir, f"cannot read the history of {self.where}", *args, revisions, "--")
        fields = out.split("\0")
        return [
            (fields[i].strip(), [v.strip() for v in fields[i + 1].split("\x01") if v.strip()])
            for i in range(0, len(fields) - 1, 2)
        ]

    def owned(self, tip: str | None, files: dict[str, str]) -> list[str]:
        """What publish owns: the prefix, or at the root the top-level entries it writes now
        and those its metadata file recorded last time."""
        if self.prefix:
            return [self.prefix]
        return sorted({p.split("/", 1)[0] for p in files} | self._recorded_entries(tip))

    def _recorded_entries(self, tip: str | None) -> set[str]:
        if tip is None:
            return set()
        done = git.run(self.dir, "cat-file", "blob", f"{tip}:{METADATA_FILE}")
        try:  # the branch may hold anyone's commits: read within bounds
            data = safeyaml.load(done.stdout) if done.returncode == 0 else None
        except (yaml.YAMLError, ValueError, RecursionError):
            return set()
        entries = data.get("entries") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            return set()
        return {
            e
            for e in entries
            if isinstance(e, str) and e not in ("", ".", "..", ".git") and not set(e) & set("/\\")
        }

    def build(self, tip: str | None, files: dict[str, str]) -> _Tree:
        """The tip's tree with what publish owns replaced by the render."""
        env = git.environment(GIT_INDEX_FILE=str(self.dir / "gigrouter-index"))
        start = ["read-tree", tip] if tip else ["read-tree", "--empty"]
        git.must(self.dir, f"cannot read {self.where}", *start, env=env)
        git.must(
            self.dir,
            "cannot update the index",
            "--literal-pathspecs",
            "rm",
            "--cached",
            "-r",
            "-q",
            "--ignore-unmatch",
            "--",
            *self.owned(tip, files),
            env=env,
        )
        entries = "".join(f"100644 {blob}\t{path}\n" for path, blob in files.items())
        git.must(
            self.dir,
            "cannot update the index",
            "update-index",
            "--add",
            "--index-info",
            stdin=entries,
            env=env,
        )
        tree = git.must(self.dir, "cannot write the tree", "write-tree", env=env).strip()
        base = f"{tip}^{{tree}}" if tip else self._empty_tree()
        out = git.must(
            self.dir,
            "cannot compare trees",
            "diff-tree",
            "-r",
            "--no-renames",
            "--name-status",
            "-z",
            base,
            tree,
        )
        added: list[str] = []
        removed: list[str] = []
        changed: list[str] = []
        fields = out.split("\0")
        for i in range(0, len(fields) - 1, 2):
            {"A": added, "D": removed}.get(fields[i][:1], changed).append(fields[i + 1])
        return _Tree(tree, tuple(added), tuple(removed), tuple(changed))

    def _empty_tree(self) -> str:
        return git.must(
            self.dir,
            "cannot write the tree",
            "hash-object",
            "-t",
            "tree",
            "-w",
            "--stdin",
            stdin="",
        ).strip()

    def commit(self, tree: str, tip: str | None, message: str, sign: bool = False) -> str:
        """Commit as the runner's git identity, or as gigrouter where none is configured;
        with ``sign``, signed with git's signing setup (``gpg.format``, ``user.signingKey``),
        and a commit that comes out unsigned is refused before anything is pushed."""
        identity: list[str] = []
        for key, default in DEFAULT_IDENTITY.items():
            variable = "GIT_COMMITTER_" + key.split(".")[1].upper()
            configured = git.run(self.dir, "config", "--get", key).stdout.strip()
            if not configured and not git.environment().get(variable):
                identity += ["-c", f"{key}={default}"]
        parents = ["-p", tip] if tip else []
        commit = git.must(
            self.dir,
            "cannot sign the commit (check user.signingKey and gpg.format)"
            if sign
            else "cannot commit",
            *identity,
            "commit-tree",
            *(["-S"] if sign else []),
            tree,
            *parents,
            "-F",
            "-",
            stdin=message,
        ).strip()
        if sign and not self.signed(commit):
            raise PublishError(
                f"signing is required, but git made {commit[:12]} without a signature; nothing"
                " was pushed"
            )
        return commit

    def signed(self, commit: str) -> bool:
        """Whether ``commit`` carries a signature (GPG, SSH or X.509)."""
        raw = git.must(self.dir, "cannot read the commit", "cat-file", "commit", commit)
        header = raw.split("\n\n", 1)[0]
        return any(line.startswith("gpgsig ") for line in header.splitlines())

    def push(self, commit: str) -> str:
        """'' when pushed; the reason when rejected because the branch moved. Any other
        failure is a PublishError with git's message."""
        done = git.run(self.dir, "push", "--porcelain", "--", self.repo, f"{commit}:{self.ref}")
        if done.returncode == 0:
            return ""
        status = next((row for row in done.stdout.splitlines() if row.startswith("!")), "")
        reason = status.split("\t")[-1] if status else ""
        moved = "rejected]" in reason and any(m in reason for m in _MOVED)
        if moved or ("[remote rejected]" in reason and "cannot lock ref" in done.stderr):
            return reason
        what = f"cannot push to {self.where}"
        raise git.failure(f"{what}: {reason}" if reason else what, done.stderr)


# --- the decide / build / commit / push loop ----------------------------------------------------


@dataclass(frozen=True)
class _Decision:
    outcome: Outcome
    attempts: int
    tree: _Tree = _Tree()
    commit: str = ""
    published_source: str | None = None


@dataclass(frozen=True)
class _Publisher:
    target: _Target
    history: SourceHistory
    files: dict[str, str]
    message: _Message
    source: str
    sign: bool = False

    def run(self, dry_run: bool, attempts: int, backoff: float, say: Notify) -> _Decision:
        reason = ""
        for attempt in range(1, attempts + 1):
            tip = self.target.tip()
            if tip and self.target.newer_config_commits(tip, self.source):
                return _Decision(Outcome.SUPERSEDED, attempt, published_source=tip)
            published = self.target.published(tip) if tip else None
            if published is not None and self._place(published) is Placement.NEWER:
                return _Decision(Outcome.SUPERSEDED, attempt, published_source=published)
            tree = self.target.build(tip, self.files)
            if not tree.changes:
                return _Decision(Outcome.UNCHANGED, attempt, tree, published_source=published)
            if dry_run:
                return _Decision(Outcome.DRY_RUN, attempt, tree, published_source=published)
            commit = self.target.commit(tree.id, tip, self.message.text(tree), self.sign)
            reason = self.target.push(commit)
            if not reason:
                return _Decision(Outcome.PUBLISHED, attempt, tree, commit, published)
            if attempt < attempts:
                delay = min(backoff * 2 ** (attempt - 1), 30.0) * random.uniform(0.5, 1.0)
                say(
                    f"push to {self.target.where} rejected ({reason}): deciding again in"
                    f" {delay:.1f} s, attempt {attempt + 1} of {attempts}"
                )
                time.sleep(delay)
        raise PublishError(
            f"gave up after {attempts} attempts: every push to {self.target.where} was rejected"
            f" because the branch had moved (last: {reason})"
        )

    def _place(self, published: str) -> Placement:
        where = self.target.where
        if not _SHA.match(published):
            raise PublishError(
                f"{where}: the newest {TRAILER} trailer, {published!r}, is not a commit id;"
                " refusing to overwrite a render that cannot be ordered"
            )
        placement = self.history.place(published)
        if placement is Placement.UNKNOWN:
            why = "is in neither the config checkout nor its remotes"
        elif placement is Placement.UNRELATED:
            why = f"is neither an ancestor nor a descendant of {self.source[:12]}"
        else:
            return placement
        notes = [Problem(Location(""), f"git: {note}") for note in self.history.notes]
        detail = (
            f"{where} holds the render of {published[:12]}, which {why};"
            " refusing to overwrite a render that cannot be ordered"
        )
        raise PublishError([Problem(Location(""), detail), *notes])
