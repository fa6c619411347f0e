"""The user cache never serves a stale result: compiled templates are named by their source and
the versions they were compiled with, a changed template is compiled again, help text comes
back exactly as typer printed it, and GIGROUTER_NO_CACHE=1 turns every cache off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

from gigrouter import __main__ as entry
from gigrouter import cache, render


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv(cache.DIR_VARIABLE, str(where))
    monkeypatch.delenv(cache.OFF_VARIABLE, raising=False)
    return where


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_the_cache_directory_follows_the_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(cache.DIR_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.root() == tmp_path / "xdg" / "gigrouter"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert cache.root() == Path(os.path.expanduser("~")) / ".cache" / "gigrouter"
    monkeypatch.setenv(cache.DIR_VARIABLE, str(tmp_path / "mine"))
    assert cache.root() == tmp_path / "mine"
    monkeypatch.setenv(cache.OFF_VARIABLE, "1")
    assert cache.directory("templates") is None
    cache.write("help", "k", b"x")
    assert cache.read("help", "k") is None and not (tmp_path / "mine").exists()


def test_an_unwritable_cache_is_an_empty_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(cache.DIR_VARIABLE, str(blocker))
    monkeypatch.delenv(cache.OFF_VARIABLE, raising=False)
    cache.write("help", "k", b"x")
    assert cache.read("help", "k") is None
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "t.j2").write_text("a: {{ x | q }}\n")
    assert render.make_environment(templates).get_template("t.j2").render(x=1) == "a: 1\n"


def test_a_changed_template_is_compiled_again(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "t.j2").write_text("a: {{ x | q }}\n")
    assert render.make_environment(templates).get_template("t.j2").render(x="v") == 'a: "v"\n'
    first = entries(cache_dir / "templates")
    assert len(first) == 1

    # the same source: a new environment loads the compiled code instead of compiling
    env = render.make_environment(templates)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled again although the cache has it")

    monkeypatch.setattr(env, "compile", refuse)
    assert env.get_template("t.j2").render(x="v") == 'a: "v"\n'

    # a changed template: a new entry, and the new text (not the cached one) renders
    (templates / "t.j2").write_text("b: {{ x | q }}\n")
    assert render.make_environment(templates).get_template("t.j2").render(x="v") == 'b: "v"\n'
    second = entries(cache_dir / "templates")
    assert len(second) == 2 and set(first) < set(second)

    # another Jinja2 version: another entry, compiled again
    monkeypatch.setattr(jinja2, "__version__", "0.0-test")
    assert render.make_environment(templates).get_template("t.j2").render(x="v") == 'b: "v"\n'
    assert len(entries(cache_dir / "templates")) == 3


def test_a_corrupt_entry_is_compiled_again(tmp_path: Path, cache_dir: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "t.j2").write_text("a: {{ x | q }}\n")
    render.make_environment(templates).get_template("t.j2")
    (entry_file,) = (cache_dir / "templates").iterdir()
    entry_file.write_bytes(entry_file.read_bytes()[:20])
    assert render.make_environment(templates).get_template("t.j2").render(x=2) == "a: 2\n"


def test_no_cache_compiles_and_writes_nothing(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.OFF_VARIABLE, "1")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "t.j2").write_text("a: {{ x | q }}\n")
    env = render.make_environment(templates)
    assert env.bytecode_cache is None
    assert env.get_template("t.j2").render(x=1) == "a: 1\n"
    assert not cache_dir.exists()


# --- the start-up fast path -----------------------------------------------------------------

PROBE = """
import sys
sys.argv = ["gigrouter", *sys.argv[1:]]
from gigrouter.__main__ import main
try:
    main()
except SystemExit as exit:
    code = exit.code
else:
    code = 0
sys.stderr.write(f"exit={code} typer={'typer' in sys.modules}")
"""


def gigrouter(*args: str, cache_dir: Path, off: bool = False) -> tuple[bytes, str]:
    """stdout, and what the probe says on stderr (exit code, whether typer was imported)."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR")}
    env[cache.DIR_VARIABLE] = str(cache_dir)
    env.pop(cache.OFF_VARIABLE, None)
    if off:
        env[cache.OFF_VARIABLE] = "1"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        env=env,
        check=False,
    )
    return done.stdout, done.stderr.decode()[-40:]


@pytest.mark.parametrize(
    "args", [("--help",), ("-h",), (), ("render", "--help"), ("validate", "-h")]
)
def test_help_is_what_typer_prints(args: tuple[str, ...], tmp_path: Path) -> None:
    store = tmp_path / "cache"
    typer_text, typer_said = gigrouter(*args, cache_dir=store, off=True)
    assert typer_said.endswith("typer=True") and b"Usage: gigrouter" in typer_text
    assert not store.exists()
    first, first_said = gigrouter(*args, cache_dir=store)
    assert first == typer_text and first_said == typer_said
    assert len(entries(store / "help")) == 1
    again, again_said = gigrouter(*args, cache_dir=store)
    assert again == typer_text
    assert again_said == typer_said.replace("typer=True", "typer=False")


def test_version_is_what_typer_prints(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from gigrouter.cli import app

    typer_text = CliRunner().invoke(app, ["--version"]).output
    for args in (["--version"], ["version"]):
        text, said = gigrouter(*args, cache_dir=tmp_path)
        assert text.decode() == typer_text and said.endswith("exit=0 typer=False")


def test_a_usage_error_is_not_cached(tmp_path: Path) -> None:
    _, said = gigrouter("no-such-command", "--help", cache_dir=tmp_path)
    assert "exit=2 typer=True" in said
    assert entries(tmp_path / "help") == []


def test_the_help_key_names_everything_the_text_depends_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(cache.OFF_VARIABLE, raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(os, "isatty", lambda fd: False)
    base = entry.help_key(["--help"])
    assert base is not None
    assert entry.help_key(["render", "--help"]) not in (None, base)
    monkeypatch.setenv("COLUMNS", "200")
    assert entry.help_key(["--help"]) not in (None, base)
    monkeypatch.delenv("COLUMNS")
    monkeypatch.setattr(entry, "_sources", lambda: b"other sources")
    assert entry.help_key(["--help"]) not in (None, base)
    # not help, completion, or a terminal: never from the cache
    assert entry.help_key(["render"]) is None
    assert entry.help_key(["--quiet", "--help"]) is None
    monkeypatch.setenv("_GIGROUTER_COMPLETE", "bash_complete")
    assert entry.help_key(["--help"]) is None
    monkeypatch.delenv("_GIGROUTER_COMPLETE")
    monkeypatch.setattr(os, "isatty", lambda fd: fd == 1)
    assert entry.help_key(["--help"]) is None
