"""Where a published source stands relative to ours, in the config repo's history.

The history is fetched on demand into a bare repository of publish's temporary directory:
first from the checkout itself (read only; a shallow checkout gives a shallow history), then,
only when that cannot answer, from the checkout's remotes, unshallowing. The checkout is never
written to.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from gigrouter import git


class Placement(Enum):
    SAME = "same"
    OLDER = "older"  # the published source is an ancestor of ours: apply
    NEWER = "newer"  # the published source descends from ours: superseded
    UNRELATED = "unrelated"  # both known, neither descends from the other
    UNKNOWN = "unknown"  # not in the checkout nor in its remotes


class SourceHistory:
    """Answers "is the published source older or newer than ours?" for one source commit."""

    def __init__(self, git_dir: Path, checkout: Path, source: str) -> None:
        self.dir = git_dir
        self.checkout = checkout
        self.source = source
        self.notes: list[str] = []  # why a fetch failed, for the error message
        self._cache: dict[str, Placement] = {}
        self._pending = [self._fetch_checkout, self._fetch_remotes]

    def place(self, published: str) -> Placement:
        if published == self.source:
            return Placement.SAME
        if published not in self._cache:
            self._cache[published] = self._decide(published)
        return self._cache[published]

    def _decide(self, published: str) -> Placement:
        while True:
            known = self.dir.exists() and all(
                git.exists(self.dir, c) for c in (published, self.source)
            )
            if known:
                # A yes is true even in a shallow history; a no needs the whole history.
                if git.is_ancestor(self.dir, published, self.source):
                    return Placement.OLDER
                if git.is_ancestor(self.dir, self.source, published):
                    return Placement.NEWER
                if not self._shallow():
                    return Placement.UNRELATED
            if not self._pending:
                return Placement.UNRELATED if known else Placement.UNKNOWN
            self._pending.pop(0)()

    def _fetch_checkout(self) -> None:
        git.init_bare(self.dir)
        done = git.run(
            self.dir,
            "fetch",
            "--no-tags",
            "--quiet",
            "--update-shallow",
            "--",
            str(self.checkout),
            "+HEAD:refs/source/HEAD",
            "+refs/heads/*:refs/source/heads/*",
            "+refs/remotes/*:refs/source/remotes/*",
        )
        if done.returncode != 0:
            self.notes.append(f"reading {self.checkout}: {git.last_line(done.stderr)}")

    def _fetch_remotes(self) -> None:
        for index, url in enumerate(git.remote_urls(self.checkout)):
            deepen = ["--unshallow"] if self._shallow() else []
            done = git.run(
                self.dir,
                "fetch",
                "--no-tags",
                "--quiet",
                *deepen,
                "--",
                url,
                f"+refs/heads/*:refs/source/remote{index}/*",
            )
            if done.returncode != 0:
                self.notes.append(f"fetching {git.redact(url)}: {git.last_line(done.stderr)}")

    def _shallow(self) -> bool:
        done = git.run(self.dir, "rev-parse", "--is-shallow-repository")
        return done.stdout.strip() == "true"
