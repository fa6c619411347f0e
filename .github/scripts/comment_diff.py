"""Post gigrouter's Markdown diff on a pull request: one comment per part, updating the comments
an earlier run of the workflow posted instead of adding new ones, and deleting parts that are no
longer needed. Standard library only, so the workflow needs nothing installed for it.

    python3 .github/scripts/comment_diff.py DIFF.md

Reads GITHUB_TOKEN, GITHUB_REPOSITORY, PR_NUMBER and GITHUB_API_URL (set by GitHub Actions).
Each part starts with ``<!-- gigrouter-diff part I of N -->`` (gigrouter diff -o markdown
writes it); that line is how the comments are found again.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.request
from typing import Any

MARK = re.compile(r"^<!-- gigrouter-diff part (\d+) of (\d+) -->$", re.M)
PREFIX = "<!-- gigrouter-diff part "


def split_parts(text: str) -> list[str]:
    """The comments' bodies, in order: the text cut at each part marker."""
    starts = [m.start() for m in MARK.finditer(text)]
    if not starts:
        return [f"{PREFIX}1 of 1 -->\n" + text]
    return [
        text[a:b].rstrip("\n") + "\n" for a, b in zip(starts, [*starts[1:], len(text)], strict=True)
    ]


class GitHub:
    def __init__(self, api: str, token: str, repo: str, number: str) -> None:
        self.api, self.token, self.repo, self.number = api.rstrip("/"), token, repo, number

    def call(self, method: str, url: str, body: dict[str, Any] | None = None) -> tuple[Any, str]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            link = response.headers.get("Link", "")
        return (json.loads(raw) if raw else None), link

    def ours(self) -> dict[int, int]:
        """Part number -> comment id, for the comments an earlier run posted."""
        found: dict[int, int] = {}
        url: str | None = f"{self.api}/repos/{self.repo}/issues/{self.number}/comments?per_page=100"
        while url:
            comments, link = self.call("GET", url)
            for comment in comments:
                body = comment.get("body") or ""
                match = MARK.match(body.split("\n", 1)[0])
                if match:
                    found.setdefault(int(match.group(1)), int(comment["id"]))
            url = next(
                (p.split(";")[0].strip(" <>") for p in link.split(",") if 'rel="next"' in p), None
            )
        return found

    def publish(self, parts: list[str]) -> list[str]:
        done = []
        existing = self.ours()
        for number, body in enumerate(parts, 1):
            if number in existing:
                url = f"{self.api}/repos/{self.repo}/issues/comments/{existing[number]}"
                self.call("PATCH", url, {"body": body})
                done.append(f"updated part {number} of {len(parts)}")
            else:
                url = f"{self.api}/repos/{self.repo}/issues/{self.number}/comments"
                self.call("POST", url, {"body": body})
                done.append(f"posted part {number} of {len(parts)}")
        for number in sorted(n for n in existing if n > len(parts)):
            self.call("DELETE", f"{self.api}/repos/{self.repo}/issues/comments/{existing[number]}")
            done.append(f"deleted part {number}, no longer needed")
        return done


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: comment_diff.py DIFF.md", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        parts = split_parts(handle.read())
    github = GitHub(
        os.environ.get("GITHUB_API_URL", "https://api.github.com"),
        os.environ["GITHUB_TOKEN"],
        os.environ["GITHUB_REPOSITORY"],
        os.environ["PR_NUMBER"],
    )
    for line in github.publish(parts):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
