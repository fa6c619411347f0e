"""Publish commits that tell the story: what changed in the subject, honest trailers, a warning
when the target is not the repo Argo CD reads, and signed commits (real git, throwaway keys,
offline)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from gitworld import World, git, isolate, with_replicas

from gigrouter.errors import PublishError
from gigrouter.publish.command import Outcome, PublishResult, publish


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(monkeypatch, tmp_path / "home")


def run(world: World, **kwargs: object) -> PublishResult:
    kwargs.setdefault("backoff", 0.01)
    return publish(world.config_of(world.main), **kwargs)  # type: ignore[arg-type]


def subject(world: World) -> str:
    return git(world.gitops, "log", "-1", "--format=%s", "main").strip()


def test_the_subject_names_the_source_and_the_applications_that_changed(tmp_path: Path) -> None:
    world = World(tmp_path)
    run(world)
    text = world.config_of(world.main).read_text()
    world.commit(world.main, with_replicas(text, 5), "frontend: five replicas for the sale")
    result = run(world)
    assert result.outcome is Outcome.PUBLISHED
    assert subject(world) == "frontend: five replicas for the sale (frontend)"
    body = git(world.gitops, "log", "-1", "--format=%b", "main")
    assert "Applications changed: frontend." in body
    assert f"Gigrouter-Source: {git(world.main, 'rev-parse', 'HEAD').strip()}" in body


def test_a_long_subject_is_cut_and_the_applications_stay(tmp_path: Path) -> None:
    world = World(tmp_path)
    run(world)
    text = world.config_of(world.main).read_text()
    long = "raise the frontend to five replicas because " + "the sale is coming " * 6
    world.commit(world.main, with_replicas(text, 5), long)
    run(world)
    line = subject(world)
    assert len(line) <= 72
    assert line.endswith("... (frontend)")
    assert line.startswith("raise the frontend to five replicas")


def test_message_overrides_the_subject_not_the_provenance(tmp_path: Path) -> None:
    world = World(tmp_path)
    run(world, message="release 2026-12")
    assert subject(world) == "release 2026-12"
    assert f"Gigrouter-Source: {world.first}" in git(world.gitops, "log", "-1", "--format=%b")


def test_publishing_elsewhere_than_gitops_repo_url_warns(tmp_path: Path) -> None:
    world = World(tmp_path)
    other = tmp_path / "mirror.git"
    git(tmp_path, "init", "-q", "--bare", str(other))
    said: list[str] = []
    result = run(world, to=str(other), notify=said.append)
    assert result.outcome is Outcome.PUBLISHED
    expected = (
        f"warning: publishing to {other}, but the Applications read {world.gitops}"
        " (gitops.repo_url): Argo CD will not see this commit"
    )
    assert result.warnings == (expected,)
    assert said == [expected]


@pytest.mark.parametrize("spelling", ["{0}", "{0}/", "file://{0}"])
def test_the_same_repo_spelled_otherwise_does_not_warn(tmp_path: Path, spelling: str) -> None:
    world = World(tmp_path)
    to = spelling.format(world.gitops)
    result = run(world, to=to)
    assert result.outcome is Outcome.PUBLISHED
    if to.startswith("file://"):  # another transport to the same place: said, not hidden
        assert len(result.warnings) == 1
    else:
        assert result.warnings == ()


# --- signing --------------------------------------------------------------------------------


def ssh_signing(home: Path) -> Path:
    """A throwaway SSH key as the runner's signing key; returns the allowed-signers file."""
    key = home / "signing-key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "runner", "-f", str(key)],
        check=True,
    )
    git(home, "config", "--global", "gpg.format", "ssh")
    git(home, "config", "--global", "user.signingKey", str(key) + ".pub")
    allowed = home / "allowed-signers"
    allowed.write_text("runner@example.com " + (key.with_suffix(".pub")).read_text())
    git(home, "config", "--global", "gpg.ssh.allowedSignersFile", str(allowed))
    return allowed


def test_sign_signs_the_commit_with_an_ssh_key(tmp_path: Path) -> None:
    world = World(tmp_path)
    ssh_signing(tmp_path / "home")
    result = run(world, sign=True)
    assert result.outcome is Outcome.PUBLISHED
    verified = subprocess.run(
        ["git", "verify-commit", "-v", result.commit],
        cwd=world.gitops,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    assert 'Good "git" signature for runner@example.com' in verified.stderr


def test_sign_signs_with_a_gpg_key_argo_cd_can_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(tmp_path)
    gnupg = tmp_path / "gnupg"
    gnupg.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(gnupg))
    subprocess.run(
        ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Runner <runner@example.com>",
         "ed25519", "sign", "never"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    listing = subprocess.run(
        ["gpg", "--with-colons", "--list-secret-keys"], check=True, capture_output=True, text=True
    ).stdout
    key_id = next(row.split(":")[4] for row in listing.splitlines() if row.startswith("sec:"))
    git(tmp_path / "home", "config", "--global", "user.signingKey", key_id)
    result = run(world, sign=True)
    shown = git(world.gitops, "log", "-1", "--format=%G?|%GK", result.commit).strip()
    assert shown == f"G|{key_id}"  # a good signature by the key AppProject signatureKeys names


def test_the_config_key_asks_for_signing_and_no_key_means_nothing_pushed(tmp_path: Path) -> None:
    world = World(tmp_path)
    text = world.config_of(world.main).read_text()
    assert "gitops:\n" in text
    world.commit(world.main, text.replace("gitops:\n", "gitops:\n  sign: true\n", 1), "sign")
    with pytest.raises(PublishError) as caught:
        run(world)  # gitops.sign, and no signing key configured
    assert caught.value.lines()[0].startswith(
        "cannot sign the commit (check user.signingKey and gpg.format): "
    )
    assert world.tip() is None
    ssh_signing(tmp_path / "home")
    assert run(world).outcome is Outcome.PUBLISHED
    assert git(world.gitops, "cat-file", "commit", "main").count("gpgsig ") == 1
    world.commit(world.main, with_replicas(world.config_of(world.main).read_text(), 4), "four")
    unsigned = run(world, sign=False)
    assert "gpgsig " not in git(world.gitops, "cat-file", "commit", unsigned.commit)
