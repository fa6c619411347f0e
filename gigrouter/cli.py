"""The command line. The only module that prints, and the only one that picks exit codes.

One error boundary (``_Boundary.invoke``) turns whatever a command raises into a message and an
exit code: 0 ok, 1 findings or drift, 2 bad config or usage, 3 internal error (a bug in
gigrouter; the traceback is shown with ``--debug``), 130 interrupted.
"""

from __future__ import annotations

import os
import sys
import traceback
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer._click.core import Context as ClickContext
from typer._click.exceptions import ClickException
from typer.core import TyperGroup

from gigrouter.errors import GigrouterError, Location, Problem, UsageError, ValidationFailed

if TYPE_CHECKING:
    from gigrouter.validate.context import External
    from gigrouter.validate.findings import Report

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
DEBUG_VARIABLE = "GIGROUTER_DEBUG"


class _Boundary(TyperGroup):
    """The one place where errors become messages and exit codes, for every command."""

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, ClickException):
            raise  # typer's own exits and usage errors already carry their code
        except GigrouterError as error:
            _print_error(error)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            # the reader went away (`gigrouter validate | head`): nothing more to say to it
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process exits
            raise typer.Exit(EXIT_FINDINGS) from None
        except Exception as exc:
            if _debug(ctx):
                traceback.print_exc(file=sys.stderr)
                hint = ""
            else:
                hint = " (run with --debug for the traceback)"
            summary = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
            typer.echo(f"internal error: {_first_line(summary)}", err=True)
            from gigrouter import __version__

            typer.echo(
                f"this is a bug in gigrouter {__version__}: please report this, with the command"
                f" that ran{hint}",
                err=True,
            )
            raise typer.Exit(EXIT_INTERNAL) from None


def _debug(ctx: ClickContext) -> bool:
    return bool(ctx.params.get("debug")) or os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")


def _first_line(text: str, limit: int = 300) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


app = typer.Typer(
    name="gigrouter",
    help="Render, validate and publish an Argo CD GitOps repo from one typed platform config.",
    cls=_Boundary,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help=f"Show the traceback of an internal error (also: {DEBUG_VARIABLE}=1).",
        ),
    ] = False,
) -> None:
    """Render, validate and publish an Argo CD GitOps repo from one typed platform config."""


ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="The platform config file.", dir_okay=False)
]
OutOption = Annotated[
    Path, typer.Option("--out", "-o", help="The output directory.", file_okay=False)
]


class Format(StrEnum):
    text = "text"
    json = "json"
    junit = "junit"
    github = "github"
    sarif = "sarif"


EnvOption = Annotated[
    str | None,
    typer.Option("--env", help="Only this environment (config/environments/NAME.yaml)."),
]
KubernetesVersion = Annotated[
    str, typer.Option("--kubernetes-version", help="Validate against this Kubernetes version.")
]


def _print_error(error: GigrouterError) -> None:
    if isinstance(error, ValidationFailed):
        from gigrouter.validate.findings import Report

        if isinstance(error.report, Report):
            typer.echo(_format(error.report, Format.text, ""), nl=False, err=True)
    label = "internal error" if error.exit_code == EXIT_INTERNAL else "error"
    for line in error.lines():
        typer.echo(f"{label}: {line}", err=True)


def _format(report: Report, fmt: Format, path: str) -> str:
    from gigrouter import __version__
    from gigrouter.validate import formats
    from gigrouter.validate.runner import all_rules

    if fmt is Format.json:
        return formats.to_json(report)
    if fmt is Format.junit:
        return formats.to_junit(report)
    if fmt is Format.github:
        return formats.to_github(report, path)
    if fmt is Format.sarif:
        return formats.to_sarif(report, all_rules(), __version__)
    return formats.to_text(report, color=sys.stdout.isatty())


def _plain_env(env: str) -> str:
    """``env`` if it names one directory (no '/', '..' or absolute path), else a usage error."""
    if not env or env.startswith((".", "-")) or any(c in env for c in "/\\:\0") or ".." in env:
        raise UsageError(
            [
                Problem(
                    Location("--env"),
                    f"{env!r} is not an environment name: use a plain name like staging"
                    " (no '/', '..' or absolute path)",
                )
            ]
        )
    return env


def _environment_tree(path: Path, env: str) -> Path:
    """PATH/environments/ENV, the tree of one environment, or a usage error naming the known."""
    tree = path / "environments" / _plain_env(env)
    if not tree.is_dir():
        envs = path / "environments"
        known = sorted(p.name for p in envs.iterdir() if p.is_dir()) if envs.is_dir() else []
        hint = f"; known: {', '.join(known)}" if known else ""
        raise UsageError([Problem(Location(str(tree)), f"no environment tree here{hint}")])
    return tree


def _parse_external(value: str) -> External:
    from gigrouter.validate.context import External

    parts = value.split("/")
    if len(parts) != 3 or not parts[0] or not parts[2]:
        raise UsageError(
            [
                Problem(
                    Location("--external"),
                    f"{value!r} is not KIND/NAMESPACE/NAME (leave NAMESPACE empty for"
                    " cluster-scoped objects: KIND//NAME)",
                )
            ]
        )
    return External(parts[0], parts[1], parts[2])


def _options(kubernetes_version: str, strict: bool, crd: list[Path], external: list[str]) -> object:
    from gigrouter.validate.context import Options
    from gigrouter.validate.schema import KubernetesSchemas

    try:
        KubernetesSchemas(kubernetes_version)
    except ValueError as exc:
        raise UsageError([Problem(Location("--kubernetes-version"), str(exc))]) from None
    for path in crd:
        if not path.exists():
            raise UsageError([Problem(Location(str(path)), "--crd: no such file or directory")])
    return Options(
        kubernetes_version=kubernetes_version,
        strict=strict,
        externals=tuple(_parse_external(e) for e in external),
        crd_files=tuple(str(p) for p in crd),
    )


@app.command()
def render(
    config: ConfigOption = Path("config/platform.yaml"),
    out: OutOption = Path("out"),
    check: Annotated[
        bool, typer.Option("--check", help="Compare a fresh render with OUT; write nothing.")
    ] = False,
    kubernetes_version: KubernetesVersion = "1.30",
    env: EnvOption = None,
) -> None:
    """Render the platform config into the output directory."""
    from gigrouter.pipeline import render_to

    options = _options(kubernetes_version, False, [], [])
    result = render_to(config, out, check=check, options=options, env=env)  # type: ignore[arg-type]
    drift = result.drift
    if env is not None:
        out = out / "environments" / env
    if check:
        if drift.clean:
            typer.echo(f"{out}: up to date ({len(result.tree.files)} files)")
            return
        typer.echo(f"{out}: differs from a fresh render of {config}")
        for label, paths in (
            ("added", drift.added),
            ("removed", drift.removed),
            ("changed", drift.changed),
        ):
            for path in paths:
                typer.echo(f"  {label}: {path}")
        typer.echo(drift.diff, nl=False)
        raise typer.Exit(1)
    summary = (
        f"{len(drift.added)} added, {len(drift.removed)} removed, {len(drift.changed)} changed"
    )
    if result.report.warnings:
        typer.echo(_format(result.report, Format.text, str(out)), nl=False, err=True)
    typer.echo(f"rendered {len(result.tree.files)} files into {out} ({summary})")


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="The GitOps repo tree to check.")] = Path("out"),
    kubernetes_version: KubernetesVersion = "1.30",
    env: EnvOption = None,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail on warnings too (waived findings never fail).")
    ] = False,
    crd: Annotated[
        list[Path] | None,
        typer.Option("--crd", help="A CRD file or directory; validates its kinds. Repeatable."),
    ] = None,
    external: Annotated[
        list[str] | None,
        typer.Option(
            "--external",
            help="KIND/NAMESPACE/NAME of an object that exists outside the tree. Repeatable.",
        ),
    ] = None,
) -> None:
    """Check a GitOps repo tree: schemas, references, Argo CD order, ALB groups, practice."""
    from gigrouter.validate.runner import validate_path

    options = _options(kubernetes_version, strict, crd or [], external or [])
    if env is not None:
        path = _environment_tree(path, env)
    report = validate_path(path, options)  # type: ignore[arg-type]
    typer.echo(_format(report, output, str(path)), nl=False)
    if report.errors or (strict and report.warnings):
        raise typer.Exit(1)


@app.command("set-image")
def set_image(
    component: Annotated[
        str,
        typer.Argument(
            metavar="COMPONENT", help="A component with an image: backend, redis, frontend, ..."
        ),
    ],
    image_or_tag: Annotated[
        str,
        typer.Argument(
            metavar="IMAGE_OR_TAG",
            help="A full image reference, or just a tag (no ':', '/' or '@') to replace the tag.",
        ),
    ],
    config: ConfigOption = Path("config/platform.yaml"),
    env: Annotated[
        str | None,
        typer.Option(
            "--env",
            help="Edit this environment's overlay (config/environments/NAME.yaml) instead.",
        ),
    ] = None,
) -> None:
    """Set one component's image in the config, changing only that line."""
    from gigrouter.setimage import set_image as run_set_image

    result = run_set_image(config, component, image_or_tag, env=env)
    where = f"{result.file or config}:{result.line}: {result.key_path}"
    if result.added:
        typer.echo(f"{where}: {result.old} → {result.new} (added to the overlay)")
    elif result.changed:
        typer.echo(f"{where}: {result.old} → {result.new}")
    else:
        typer.echo(f"{where}: already {result.new}; unchanged")


@app.command()
def publish(
    to: Annotated[
        str | None,
        typer.Option(
            "--to", help="The repo to publish to (default: gitops.repo_url).", metavar="REPO"
        ),
    ] = None,
    branch: Annotated[
        str | None,
        typer.Option("--branch", help="The branch (default: gitops.revision).", metavar="BRANCH"),
    ] = None,
    message: Annotated[
        str | None,
        typer.Option("--message", "-m", help="The commit's first line.", metavar="TEXT"),
    ] = None,
    allow_dirty: Annotated[
        bool, typer.Option("--allow-dirty", help="Publish although the checkout has changes.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be committed; push nothing.")
    ] = False,
    sign: Annotated[
        bool | None,
        typer.Option(
            "--sign/--no-sign",
            help="Sign the commit with git's signing setup (default: gitops.sign); an unsigned"
            " commit is then never pushed.",
        ),
    ] = None,
    config: ConfigOption = Path("config/platform.yaml"),
    env: Annotated[
        str | None,
        typer.Option(
            "--env",
            help="Publish this environment's tree to its own gitops settings instead.",
        ),
    ] = None,
) -> None:
    """Commit the render of the checkout's HEAD to the repo Argo CD watches, and push it."""
    from gigrouter.publish import Outcome
    from gigrouter.publish import publish as run_publish

    def notify(line: str) -> None:
        typer.echo(line, err=True)

    result = run_publish(
        config,
        to=to,
        branch=branch,
        message=message,
        allow_dirty=allow_dirty,
        dry_run=dry_run,
        env=env,
        notify=notify,
        sign=sign,
    )
    if result.report.warnings:
        typer.echo(_format(result.report, Format.text, "render"), nl=False, err=True)
    target = f"{result.repo} {result.branch}"
    if result.path:
        target += f" (under {result.path}/)"
    source = result.source[:12] + (f" (environment {env})" if env is not None else "")
    summary = (
        f"{len(result.added)} added, {len(result.removed)} removed, {len(result.changed)} changed"
    )
    if result.outcome is Outcome.SUPERSEDED:
        typer.echo(
            f"superseded: {target} already holds the render of"
            f" {result.published_source[:12]}, which is newer than {source}; nothing pushed"
        )
        return
    if result.outcome is Outcome.UNCHANGED:
        typer.echo(f"{target} already holds the render of {source}; nothing to commit")
        return
    if result.outcome is Outcome.DRY_RUN:
        typer.echo(f"dry run: would commit the render of {source} to {target} ({summary})")
    else:
        tries = f" after {result.attempts} attempts" if result.attempts > 1 else ""
        typer.echo(
            f"published the render of {source} to {target} as {result.commit[:12]}"
            f" ({summary}){tries}"
        )
    for label, paths in (
        ("added", result.added),
        ("removed", result.removed),
        ("changed", result.changed),
    ):
        for path in paths:
            typer.echo(f"  {label}: {path}")


class PlanFormat(StrEnum):
    text = "text"
    json = "json"
    mermaid = "mermaid"


@app.command()
def plan(
    path: Annotated[Path, typer.Argument(help="The GitOps repo tree to plan.")] = Path("out"),
    output: Annotated[
        PlanFormat, typer.Option("--format", help="Output format.")
    ] = PlanFormat.text,
    env: EnvOption = None,
) -> None:
    """Show the order in which Argo CD will apply the tree, with warnings where it is risky."""
    from gigrouter import plan_formats
    from gigrouter.plan import plan_tree

    if env is not None:
        path = _environment_tree(path, env)
    result = plan_tree(path)
    if output is PlanFormat.json:
        typer.echo(plan_formats.to_json(result), nl=False)
    elif output is PlanFormat.mermaid:
        typer.echo(plan_formats.to_mermaid(result), nl=False)
    else:
        typer.echo(plan_formats.to_text(result), nl=False)
    if result.errors:
        raise typer.Exit(1)


class DiffFormat(StrEnum):
    text = "text"
    markdown = "markdown"


@app.command()
def diff(
    config: ConfigOption = Path("config/platform.yaml"),
    out: OutOption = Path("out"),
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            help="Compare with OUT as committed at this git ref instead of OUT on disk.",
            metavar="GIT_REF",
        ),
    ] = None,
    output: Annotated[
        DiffFormat, typer.Option("--format", help="Output format.")
    ] = DiffFormat.text,
    env: EnvOption = None,
) -> None:
    """Show what a render of the config would change in OUT, per resource; exit 1 on changes."""
    from gigrouter import diff_formats
    from gigrouter.diff import diff_config

    result = diff_config(config, out, against, env=_plain_env(env) if env is not None else None)
    if output is DiffFormat.markdown:
        typer.echo(diff_formats.to_markdown(result), nl=False)
    else:
        typer.echo(diff_formats.to_text(result, color=sys.stdout.isatty()), nl=False)
    if not result.clean:
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the platform config."""
    from gigrouter.pipeline import schema_json

    sys.stdout.write(schema_json())


def main() -> None:
    app()
