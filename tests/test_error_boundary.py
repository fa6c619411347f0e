"""One error boundary: every failure a command can meet becomes a message and an exit code.

0 ok, 1 findings or drift, 2 bad config or usage, 3 internal error, 130 interrupted. These run
the CLI in-process through typer's runner, which goes through the same boundary as the console
script (the boundary lives in the app's command group, not in a wrapper around it).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gigrouter import cli, errors, pipeline
from gigrouter.config.source import MAX_DEPTH, parse_yaml
from gigrouter.errors import ConfigError, TemplateError

REPO = Path(__file__).resolve().parent.parent


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_an_unexpected_exception_is_an_internal_error_with_exit_3(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the layout lost a file")

    monkeypatch.setattr(pipeline, "render_to", broken)
    code, out, err = invoke("render", "--check")
    assert code == cli.EXIT_INTERNAL == 3
    assert out == ""
    assert err.splitlines() == [
        "internal error: RuntimeError: the layout lost a file",
        "this is a bug in gigrouter 0.1.0: please report this, with the command that ran"
        " (run with --debug for the traceback)",
    ]
    assert "Traceback" not in err


@pytest.mark.parametrize("how", ["flag", "variable"])
def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    def broken(*_: object, **__: object) -> None:
        raise KeyError("lost")

    monkeypatch.setattr(pipeline, "render_to", broken)
    if how == "flag":
        code, _, err = invoke("--debug", "render", "--check")
    else:
        code, _, err = invoke("render", "--check", env={cli.DEBUG_VARIABLE: "1"})
    assert code == 3
    assert err.startswith("Traceback (most recent call last):")
    assert 'raise KeyError("lost")' in err
    assert "internal error: KeyError: 'lost'" in err
    assert "--debug for the traceback" not in err


def test_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "render_to", interrupted)
    code, out, err = invoke("render", "--check")
    assert (code, out, err) == (130, "", "interrupted\n")


def test_a_template_bug_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def template_bug(*_: object, **__: object) -> None:
        raise TemplateError("backend/deployment.yaml.j2: 'x' is undefined")

    monkeypatch.setattr(pipeline, "render_to", template_bug)
    code, _, err = invoke("render")
    assert code == 3
    assert err == "internal error: backend/deployment.yaml.j2: 'x' is undefined\n"


def test_a_user_error_is_its_message_and_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    code, out, err = invoke("render", "--config", str(missing), "--out", str(tmp_path / "o"))
    assert (code, out) == (2, "")
    assert err == f"error: {missing}: config file not found\n"


def test_usage_errors_keep_typers_exit_2() -> None:
    code, _, err = invoke("render", "--no-such-flag")
    assert code == 2
    assert "No such option: --no-such-flag" in err


def test_publish_without_git_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    code, out, err = invoke("publish", "--config", str(REPO / "config" / "platform.yaml"))
    assert (code, out) == (2, "")
    assert err == "error: git is not installed (not found on PATH); publish needs it\n"


# --- the exit-code table of the README is the code's -------------------------------------


def _readme_exit_codes() -> dict[int, str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `(\d+)` \| (.+?) \|$", section, flags=re.M)
    return {int(code): meaning for code, meaning in rows}


def test_the_readme_exit_code_table_matches_the_code() -> None:
    table = _readme_exit_codes()
    assert sorted(table) == [
        cli.EXIT_OK,
        cli.EXIT_FINDINGS,
        cli.EXIT_USAGE,
        cli.EXIT_INTERNAL,
        cli.EXIT_INTERRUPTED,
    ]
    # every error class exits with a code the table explains, under the heading it belongs to
    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.GigrouterError)
    ]
    for error_class in classes:
        assert error_class.exit_code in table, error_class
    assert errors.ConfigError.exit_code == errors.UsageError.exit_code == cli.EXIT_USAGE
    assert errors.ValidationFailed.exit_code == cli.EXIT_FINDINGS
    assert errors.TemplateError.exit_code == cli.EXIT_INTERNAL
    assert "internal error" in table[cli.EXIT_INTERNAL]
    assert "config" in table[cli.EXIT_USAGE] and "usage" in table[cli.EXIT_USAGE]


# --- any YAML the config loader is handed is a one-line error with file and line ----------

HOSTILE = [
    (
        "a: !!python/object:os.system x\n",
        1,
        "a",
        "the tag !!python/object:os.system is not allowed",
    ),
    (
        "a: !!python/object/apply:os.system [id]\n",
        1,
        "a",
        "the tag !!python/object/apply:os.system",
    ),
    ("a: &a [*a]\n", 1, "a[0]", "a YAML alias repeats the node of line 1"),
    ("a: &x 1\nb: *x\n", 2, "b", "a YAML alias repeats the node of line 1"),
    (
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
        2,
        "b[0]",
        "a YAML alias repeats the node of line 1",
    ),
    ("a: " + "1" * 5000 + "\n", 1, "a", "Exceeds the limit (4300 digits)"),
    ("a: !foo 3\n", 1, "a", "the tag !foo is not allowed"),
    ("!!set {a: 1}\n", 1, "", "the tag !!set is not allowed"),
    ("a: !!binary aGVsbG8=\n", 1, "a", "the tag !!binary is not allowed"),
    ("a: " + "[" * 900 + "]" * 900 + "\n", 1, "a[0][0]", f"nested deeper than {MAX_DEPTH} levels"),
    ("a: " + "[" * 1200 + "]" * 1200 + "\n", 1, "", "exceeded maximum nesting depth"),
    ("a: x\x01\n", 1, "", "the character U+0001 is not allowed"),
    ("a: 1\na: 2\n", 2, "a", "duplicate key 'a' (first defined at line 1)"),
    ("a:\n  <<: {b: 1}\n", 2, "a", "merge keys (<<) are not supported"),
    ("- a\n", 1, "", "the config must be a mapping of keys"),
    ("? [1]\n: 2\n", 1, "", "a key must be a plain string"),
    ("a: 1\n---\nb: 2\n", 3, "", "expected one YAML document, found more"),
    ("a: [1\n", 2, "", "not valid YAML"),
]


@pytest.mark.parametrize(("text", "line", "key_path", "message"), HOSTILE)
def test_hostile_yaml_is_a_config_error_at_its_line(
    text: str, line: int, key_path: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, "platform.yaml")
    problem = caught.value.problems[0]
    assert (problem.location.file, problem.location.line) == ("platform.yaml", line)
    assert problem.location.key_path == key_path
    assert message in problem.message
    assert all("\n" not in p.message for p in caught.value.problems)


@pytest.mark.parametrize(("text", "line", "key_path", "message"), HOSTILE)
def test_hostile_yaml_through_the_cli_is_one_line_and_exit_2(
    tmp_path: Path, text: str, line: int, key_path: str, message: str
) -> None:
    config = tmp_path / "platform.yaml"
    config.write_text(text, encoding="utf-8")
    code, out, err = invoke("render", "--config", str(config), "--out", str(tmp_path / "out"))
    assert (code, out) == (2, "")
    first = err.splitlines()[0]
    where = f"error: {config}:{line}: " + (f"{key_path}: " if key_path else "")
    assert first.startswith(where), first
    assert message in first
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_plain_scalars_kubernetes_reads_as_text_stay_text() -> None:
    source = parse_yaml("a: 2024-01-01\nb: =\nc: yes\n", "platform.yaml")
    assert source.data == {"a": "2024-01-01", "b": "=", "c": True}
