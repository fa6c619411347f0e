"""The command line. The only module that prints, and the only one that picks exit codes:
0 ok, 1 drift or findings, 2 bad config or usage."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from gigrouter.errors import GigrouterError

app = typer.Typer(
    name="gigrouter",
    help="Render, validate and publish an Argo CD GitOps repo from one typed platform config.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="The platform config file.", dir_okay=False)
]
OutOption = Annotated[
    Path, typer.Option("--out", "-o", help="The output directory.", file_okay=False)
]


def _fail(error: GigrouterError) -> typer.Exit:
    for line in error.lines():
        typer.echo(f"error: {line}", err=True)
    return typer.Exit(error.exit_code)


@app.command()
def render(
    config: ConfigOption = Path("config/platform.yaml"),
    out: OutOption = Path("out"),
    check: Annotated[
        bool, typer.Option("--check", help="Compare a fresh render with OUT; write nothing.")
    ] = False,
) -> None:
    """Render the platform config into the output directory."""
    from gigrouter.pipeline import render_to

    try:
        result = render_to(config, out, check=check)
    except GigrouterError as error:
        raise _fail(error) from None
    drift = result.drift
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
    typer.echo(f"rendered {len(result.tree.files)} files into {out} ({summary})")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the platform config."""
    from gigrouter.pipeline import schema_json

    sys.stdout.write(schema_json())


def main() -> None:
    app()
