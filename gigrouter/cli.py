"""The command line. The only module that prints, and the only one that picks exit codes.

One error boundary (``_Boundary.invoke``) turns whatever a command raises into a message and an
exit code: 0 ok, 1 findings or drift, 2 bad config or usage, 3 internal error (a bug in
gigrouter; the traceback is shown with ``--debug``), 130 interrupted.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer
from typer._click.core import Context as ClickContext
from typer._click.exceptions import ClickException
from typer.core import TyperGroup

from gigrouter.errors import GigrouterError, Location, Problem, UsageError, ValidationFailed

if TYPE_CHECKING:
    from gigrouter.validate.context import External, Options
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
            settings = ctx.find_object(Settings) or Settings()
            _print_error(error, settings.colored(sys.stderr))
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
    add_completion=True,  # --install-completion / --show-completion: typer's, for every shell
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Color(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


@dataclass(frozen=True)
class Settings:
    """What the global options say, for every command."""

    quiet: bool = False
    verbose: bool = False
    color: Color = Color.auto

    def colored(self, stream: TextIO) -> bool:
        """Colour on ``stream``: always, never, or (auto) on a terminal unless NO_COLOR is set."""
        if self.color is not Color.auto:
            return self.color is Color.always
        return not os.environ.get("NO_COLOR") and stream.isatty()


def _settings(ctx: typer.Context) -> Settings:
    found = ctx.find_object(Settings)
    return found if found is not None else Settings()


def _version(value: bool) -> None:
    if value:
        from gigrouter import __version__

        typer.echo(f"gigrouter {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_version, help="Print the version and exit."
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Print only errors and findings; diff then exits 1 on changes (git diff -q).",
        ),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Also list every file render and publish add or change."
        ),
    ] = False,
    color: Annotated[
        Color,
        typer.Option(
            "--color",
            help="Colour: on a terminal unless NO_COLOR is set (auto), always, never.",
            metavar="WHEN",
        ),
    ] = Color.auto,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help=f"Show the traceback of an internal error (also: {DEBUG_VARIABLE}=1).",
        ),
    ] = False,
) -> None:
    """Render, validate and publish an Argo CD GitOps repo from one typed platform config."""
    if quiet and verbose:
        raise UsageError([Problem(Location("--quiet"), "--quiet and --verbose contradict")])
    ctx.obj = Settings(quiet=quiet, verbose=verbose, color=color)


def _say(ctx: typer.Context, line: str) -> None:
    """An informational line on stdout, unless --quiet."""
    if not _settings(ctx).quiet:
        typer.echo(line)


def _json(data: object) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config", "-c", help="The platform config file.", dir_okay=False, metavar="PATH"
    ),
]
OutOption = Annotated[
    Path, typer.Option("--out", help="The output directory.", file_okay=False, metavar="DIR")
]


class Format(StrEnum):
    text = "text"
    json = "json"
    junit = "junit"
    github = "github"
    sarif = "sarif"


EnvOption = Annotated[
    str | None,
    typer.Option(
        "--env",
        help="Only this environment: config/environments/NAME.yaml, rendered into"
        " OUT/environments/NAME.",
        metavar="NAME",
    ),
]
TreeEnvOption = Annotated[
    str | None,
    typer.Option(
        "--env", help="Only this environment's tree, PATH/environments/NAME.", metavar="NAME"
    ),
]
KubernetesVersion = Annotated[
    str,
    typer.Option(
        "--kubernetes-version",
        help="Validate against this Kubernetes version.",
        metavar="VERSION",
    ),
]


def _print_error(error: GigrouterError, color: bool = False) -> None:
    if isinstance(error, ValidationFailed):
        from gigrouter.validate.findings import Report

        if isinstance(error.report, Report):
            text = _format(error.report, Format.text, "", color)
            typer.echo(text, nl=False, err=True, color=color)
    label = "internal error" if error.exit_code == EXIT_INTERNAL else "error"
    for line in error.lines():
        typer.echo(f"{label}: {line}", err=True)


def _format(report: Report, fmt: Format, path: str, color: bool = False) -> str:
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
    return formats.to_text(report, color=color)


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


def _options(
    kubernetes_version: str, strict: bool, crd: list[Path], external: list[str]
) -> Options:
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


def _listing(
    ctx: typer.Context, labels: Mapping[str, Sequence[str]], everything: bool = False
) -> None:
    """``  removed: PATH`` for every removed file, always (nothing is removed unsaid), and with
    --verbose (or ``everything``) every added and changed one."""
    settings = _settings(ctx)
    for label, paths in labels.items():
        if label == "removed" or settings.verbose or everything:
            for path in paths:
                _say(ctx, f"  {label}: {path}")


class UnresolvedLevel(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"


class RenderFormat(StrEnum):
    text = "text"
    json = "json"


def _fix_command(config: Path, out: Path, env: str | None) -> str:
    parts = ["gigrouter", "render"]
    if config != Path("config/platform.yaml"):
        parts += ["--config", str(config)]
    if out != Path("out"):
        parts += ["--out", str(out)]
    if env is not None:
        parts += ["--env", env]
    return " ".join(parts)


@app.command()
def render(
    ctx: typer.Context,
    config: ConfigOption = Path("config/platform.yaml"),
    out: OutOption = Path("out"),
    check: Annotated[
        bool, typer.Option("--check", help="Compare a fresh render with OUT; write nothing.")
    ] = False,
    kubernetes_version: KubernetesVersion = "1.30",
    env: EnvOption = None,
    output: Annotated[
        RenderFormat,
        typer.Option("--output", "-o", help="Output format: text|json.", metavar="FORMAT"),
    ] = RenderFormat.text,
) -> None:
    """Render the platform config into the output directory."""
    from gigrouter.pipeline import render_to

    options = _options(kubernetes_version, False, [], [])
    env = _plain_env(env) if env is not None else None
    result = render_to(config, out, check=check, options=options, env=env)
    drift = result.drift
    where = out / "environments" / env if env is not None else out
    settings = _settings(ctx)
    if result.report.warnings and not settings.quiet:
        painted = settings.colored(sys.stderr)
        text = _format(result.report, Format.text, str(where), painted)
        typer.echo(text, nl=False, err=True, color=painted)
    if output is RenderFormat.json:
        typer.echo(
            _json(
                {
                    "out": str(where),
                    "check": check,
                    "written": result.written,
                    "upToDate": drift.clean,
                    "files": len(result.tree.files),
                    "added": drift.added,
                    "removed": drift.removed,
                    "changed": drift.changed,
                    "warnings": [
                        f.as_dict() for f in result.report.sorted() if not f.waived_because
                    ],
                }
            ),
            nl=False,
        )
        if check and not drift.clean:
            raise typer.Exit(EXIT_FINDINGS)
        return
    if check:
        if drift.clean:
            _say(ctx, f"{where}: up to date ({len(result.tree.files)} files)")
            return
        typer.echo(f"{where}: differs from a fresh render of {config}")
        for label, paths in (
            ("added", drift.added),
            ("removed", drift.removed),
            ("changed", drift.changed),
        ):
            for path in paths:
                typer.echo(f"  {label}: {path}")
        typer.echo(drift.diff, nl=False)
        typer.echo(f"to bring {where} up to date, run: {_fix_command(config, out, env)}")
        raise typer.Exit(EXIT_FINDINGS)
    summary = (
        f"{len(drift.added)} added, {len(drift.removed)} removed, {len(drift.changed)} changed"
    )
    _say(ctx, f"rendered {len(result.tree.files)} files into {where} ({summary})")
    _listing(ctx, {"added": drift.added, "changed": drift.changed, "removed": drift.removed})


@app.command()
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="GitOps trees (directories), manifest files, or - for standard input"
            " (default: out).",
            metavar="[PATH]...",
        ),
    ] = None,
    kubernetes_version: KubernetesVersion = "1.30",
    env: TreeEnvOption = None,
    output: Annotated[
        Format,
        typer.Option(
            "--output",
            "-o",
            "--format",
            help="Output format: text|json|junit|github|sarif.",
            metavar="FORMAT",
        ),
    ] = Format.text,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail on warnings too (waived findings never fail).")
    ] = False,
    crd: Annotated[
        list[Path] | None,
        typer.Option(
            "--crd",
            help="A CRD file or directory; validates its kinds. Repeatable.",
            metavar="PATH",
        ),
    ] = None,
    external: Annotated[
        list[str] | None,
        typer.Option(
            "--external",
            help="KIND/NAMESPACE/NAME of an object that exists outside the tree. Repeatable.",
            metavar="KIND/NAMESPACE/NAME",
        ),
    ] = None,
    unresolved: Annotated[
        UnresolvedLevel | None,
        typer.Option(
            "--unresolved",
            help="Severity of a reference nothing in the tree resolves: error|warning|info"
            " (default: error for gigrouter's trees, warning for others).",
            metavar="LEVEL",
        ),
    ] = None,
    render: Annotated[
        bool,
        typer.Option(
            "--render",
            help="Render Helm charts (helm template) and kustomizations (kubectl kustomize)"
            " of the tree and validate what they produce.",
        ),
    ] = False,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            help="Do not read tree paths matching GLOB (** crosses '/'; a directory takes"
            " what is below it). Repeatable.",
            metavar="GLOB",
        ),
    ] = None,
    list_rules: Annotated[
        bool,
        typer.Option(
            "--list-rules",
            help="Print every rule (id, default severity, description) and exit; -o json too.",
        ),
    ] = False,
) -> None:
    """Check GitOps trees or manifests: schemas, references, Argo CD order, ALB groups, practice."""
    from dataclasses import replace

    from gigrouter.validate.findings import Severity

    if list_rules:
        typer.echo(_rule_list(output), nl=False)
        return
    options = replace(
        _options(kubernetes_version, strict, crd or [], external or []),
        unresolved=Severity(unresolved.value) if unresolved is not None else None,
        render=render,
        exclude=tuple(exclude or ()),
    )
    given = paths or [Path("out")]
    report = _validate_all(given, env, options)
    single = len(given) == 1 and given[0].is_dir() and str(given[0]) != "-"
    where = str(_environment_tree(given[0], env) if single and env else given[0]) if single else ""
    settings = _settings(ctx)
    if not (settings.quiet and output is Format.text and not (report.errors or report.warnings)):
        painted = settings.colored(sys.stdout)
        typer.echo(_format(report, output, where, painted), nl=False, color=painted)
    if report.errors or (strict and report.warnings):
        raise typer.Exit(EXIT_FINDINGS)


def _rule_list(output: Format) -> str:
    """The rule catalogue as text (aligned columns) or JSON."""
    from gigrouter.validate.runner import catalogue

    rows = catalogue()
    if output is Format.json:
        return _json([{"id": r, "severity": sev, "description": text} for r, sev, text in rows])
    if output is not Format.text:
        raise UsageError([Problem(Location("--output"), "--list-rules prints text or json only")])
    width = max(len(r) for r, _, _ in rows)
    return "".join(f"{r:<{width}}  {sev:<7}  {text}\n" for r, sev, text in rows)


def _validate_all(paths: list[Path], env: str | None, options: Options) -> Report:
    """One report over every PATH: each directory a tree (with its environments, and its
    .gigrouter.yaml); the files and standard input together one tree of the manifests they
    hold (so they may refer to each other), with the .gigrouter.yaml of the working
    directory. With several PATHs, findings of a directory name it too."""
    from dataclasses import replace

    from gigrouter.validate.findings import Report
    from gigrouter.validate.runner import all_rules, validate_memory, validate_path
    from gigrouter.validate.settings import read_settings
    from gigrouter.validate.tree import MANIFEST_SUFFIXES, MemoryFiles

    total = Report()
    seen: set[str] = set()
    for path in paths:
        key = "-" if str(path) == "-" else os.path.realpath(path)
        if key in seen:
            what = "standard input" if key == "-" else str(path)
            raise UsageError([Problem(Location(str(path)), f"{what} is given twice")])
        seen.add(key)
    several = len(paths) > 1
    texts: dict[str, str] = {}  # tree path -> text, for the files and standard input
    shown: dict[str, str] = {}  # tree path -> the name the user gave
    for i, path in enumerate(paths):
        part: Report | None = None
        if str(path) == "-":
            name = "-.yaml"
            texts[name] = _text(sys.stdin.buffer.read(), "-")
            shown[name] = "-"
        elif path.is_symlink():
            raise UsageError(
                [Problem(Location(str(path)), "is a symbolic link; give the path it points to")]
            )
        elif path.is_dir():
            tree = _environment_tree(path, env) if env is not None else path
            part = validate_path(tree, options)
            if several:
                part.findings = [replace(f, file=f"{tree}/{f.file}") for f in part.findings]
        elif path.is_file():
            if env is not None:
                raise UsageError([Problem(Location("--env"), "applies to directories, not files")])
            name = path.as_posix()
            inside = not path.is_absolute() and ".." not in path.parts
            if not inside or any(p.startswith(".") for p in path.parts):
                name = f"{i}/{path.name.lstrip('.') or 'file'}"
            if not name.endswith(MANIFEST_SUFFIXES):
                name += ".yaml"  # a file given by name is read whatever its suffix
            texts[name] = _text(path.read_bytes(), str(path))
            shown[name] = str(path)
        else:
            reason = "is not a regular file" if path.exists() else "no such file or directory"
            raise UsageError([Problem(Location(str(path)), reason)])
        if part is not None:
            total.findings.extend(part.findings)
            total.files += part.files
            total.resources += part.resources
    if texts:
        part = validate_memory(MemoryFiles(texts), options, read_settings(Path("."), all_rules()))
        part.findings = [replace(f, file=shown.get(f.file, f.file)) for f in part.findings]
        total.findings.extend(part.findings)
        total.files += part.files
        total.resources += part.resources
    total.findings = total.sorted()
    return total


def _text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UsageError(
            [
                Problem(
                    Location(name, line), f"not UTF-8 text (byte offset {exc.start}: {exc.reason})"
                )
            ]
        ) from None


@app.command("set-image")
def set_image(
    ctx: typer.Context,
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
            help="A full image reference, a digest (sha256:...) to pin the current repository"
            " to, or just a tag (no ':', '/' or '@').",
        ),
    ],
    config: ConfigOption = Path("config/platform.yaml"),
    env: Annotated[
        str | None,
        typer.Option(
            "--env",
            help="Edit this environment's overlay (config/environments/NAME.yaml) instead.",
            metavar="NAME",
        ),
    ] = None,
    output: Annotated[
        RenderFormat,
        typer.Option("--output", "-o", help="Output format: text|json.", metavar="FORMAT"),
    ] = RenderFormat.text,
) -> None:
    """Set one component's image in the config, changing only that line."""
    from gigrouter.setimage.command import set_image as run_set_image

    result = run_set_image(config, component, image_or_tag, env=env)
    if output is RenderFormat.json:
        typer.echo(
            _json(
                {
                    "file": str(result.file or config),
                    "line": result.line,
                    "keyPath": result.key_path,
                    "old": result.old,
                    "new": result.new,
                    "changed": result.changed,
                    "added": result.added,
                }
            ),
            nl=False,
        )
        return
    where = f"{result.file or config}:{result.line}: {result.key_path}"
    if result.added:
        _say(ctx, f"{where}: {result.old} → {result.new} (added to the overlay)")
    elif result.changed:
        _say(ctx, f"{where}: {result.old} → {result.new}")
    else:
        _say(ctx, f"{where}: already {result.new}; unchanged")


class PublishFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def publish(
    ctx: typer.Context,
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
            metavar="NAME",
        ),
    ] = None,
    kubernetes_version: KubernetesVersion = "1.30",
    output: Annotated[
        PublishFormat,
        typer.Option("--output", "-o", help="Output format: text|json.", metavar="FORMAT"),
    ] = PublishFormat.text,
) -> None:
    """Commit the render of the checkout's HEAD to the repo Argo CD watches, and push it."""
    from gigrouter.publish.command import Outcome
    from gigrouter.publish.command import publish as run_publish

    settings = _settings(ctx)

    def notify(line: str) -> None:
        if not settings.quiet or line.startswith("error"):
            typer.echo(line, err=True)

    options = _options(kubernetes_version, False, [], [])
    result = run_publish(
        config,
        to=to,
        branch=branch,
        message=message,
        allow_dirty=allow_dirty,
        dry_run=dry_run,
        env=_plain_env(env) if env is not None else None,
        notify=notify,
        sign=sign,
        options=options,
    )
    if result.report.warnings and not settings.quiet:
        painted = settings.colored(sys.stderr)
        text = _format(result.report, Format.text, "render", painted)
        typer.echo(text, nl=False, err=True, color=painted)
    if output is PublishFormat.json:
        typer.echo(
            _json(
                {
                    "outcome": result.outcome.value,
                    "pushed": result.outcome is Outcome.PUBLISHED,
                    "superseded": result.outcome is Outcome.SUPERSEDED,
                    "commit": result.commit or None,
                    "repo": result.repo,
                    "branch": result.branch,
                    "path": result.path,
                    "source": result.source,
                    "publishedSource": result.published_source or None,
                    "attempts": result.attempts,
                    "added": list(result.added),
                    "removed": list(result.removed),
                    "changed": list(result.changed),
                    "warnings": list(result.warnings),
                }
            ),
            nl=False,
        )
        return
    target = f"{result.repo} {result.branch}"
    if result.path:
        target += f" (under {result.path}/)"
    source = result.source[:12] + (f" (environment {env})" if env is not None else "")
    summary = (
        f"{len(result.added)} added, {len(result.removed)} removed, {len(result.changed)} changed"
    )
    if result.outcome is Outcome.SUPERSEDED:
        _say(
            ctx,
            f"superseded: {target} already holds the render of"
            f" {result.published_source[:12]}, which is newer than {source}; nothing pushed",
        )
        return
    if result.outcome is Outcome.UNCHANGED:
        _say(ctx, f"{target} already holds the render of {source}; nothing to commit")
        return
    if result.outcome is Outcome.DRY_RUN:
        _say(ctx, f"dry run: would commit the render of {source} to {target} ({summary})")
    else:
        tries = f" after {result.attempts} attempts" if result.attempts > 1 else ""
        _say(
            ctx,
            f"published the render of {source} to {target} as {result.commit[:12]}"
            f" ({summary}){tries}",
        )
    listed = {"added": result.added, "changed": result.changed, "removed": result.removed}
    _listing(ctx, listed, everything=dry_run)  # a dry run is asked for the list


class PlanFormat(StrEnum):
    text = "text"
    json = "json"
    mermaid = "mermaid"


@app.command()
def plan(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="The GitOps repo tree to plan.", metavar="[PATH]")
    ] = Path("out"),
    output: Annotated[
        PlanFormat,
        typer.Option(
            "--output", "-o", "--format", help="Output format: text|json|mermaid.", metavar="FORMAT"
        ),
    ] = PlanFormat.text,
    env: TreeEnvOption = None,
    kubernetes_version: KubernetesVersion = "1.30",
) -> None:
    """Show the order in which Argo CD applies each tree (PATH and its environments)."""
    from gigrouter.plan import formats as plan_formats
    from gigrouter.plan.steps import plan_tree
    from gigrouter.validate.tree import ENVIRONMENTS_DIR, environment_roots

    options = _options(kubernetes_version, False, [], [])
    if env is not None:
        plans = [plan_tree(_environment_tree(path, env), options=options)]
    else:
        plans = [plan_tree(path, options=options)]
        for name in environment_roots(path):
            plans.append(plan_tree(path / ENVIRONMENTS_DIR / name, options=options))
    if output is PlanFormat.json:
        typer.echo(plan_formats.to_json(plans), nl=False)
    elif output is PlanFormat.mermaid:
        typer.echo(plan_formats.to_mermaid_all(plans), nl=False)
    elif not _settings(ctx).quiet or any(p.errors for p in plans):
        typer.echo("\n".join(plan_formats.to_text(p) for p in plans), nl=False)
    if any(p.errors for p in plans):
        raise typer.Exit(EXIT_FINDINGS)


class DiffFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


@app.command()
def diff(
    ctx: typer.Context,
    config: ConfigOption = Path("config/platform.yaml"),
    out: OutOption = Path("out"),
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            help="Compare with OUT as committed at this git ref instead of OUT on disk.",
            metavar="REF",
        ),
    ] = None,
    output: Annotated[
        DiffFormat,
        typer.Option(
            "--output",
            "-o",
            "--format",
            help="Output format: text|json|markdown.",
            metavar="FORMAT",
        ),
    ] = DiffFormat.text,
    env: EnvOption = None,
    to_env: Annotated[
        str | None,
        typer.Option(
            "--to-env",
            help="Compare fresh renders of two environments: --env NAME (or the base platform"
            " without it) with this one, resource by resource.",
            metavar="NAME",
        ),
    ] = None,
    max_bytes: Annotated[
        int,
        typer.Option(
            "--max-bytes",
            help="Markdown: the most bytes in one part (a pull-request comment).",
            metavar="N",
        ),
    ] = 65_000,
    show_noise: Annotated[
        bool,
        typer.Option("--show-noise", help="Markdown: also show chart labels and checksums."),
    ] = False,
    exit_code: Annotated[
        bool,
        typer.Option("--exit-code", help="Exit 1 when there are changes, as git diff does."),
    ] = False,
    kubernetes_version: KubernetesVersion = "1.30",
) -> None:
    """Show what a render of the config would change in OUT, per resource."""
    from gigrouter.diff import formats as diff_formats
    from gigrouter.diff.compare import diff_config, diff_environments

    _options(kubernetes_version, False, [], [])
    first = _plain_env(env) if env is not None else None
    if to_env is not None:
        if against is not None:
            raise UsageError([Problem(Location("--to-env"), "compares renders: no --against")])
        result = diff_environments(config, first, _plain_env(to_env))
    else:
        result = diff_config(config, out, against, env=first)
    settings = _settings(ctx)
    if output is DiffFormat.markdown:
        try:
            parts = diff_formats.to_markdown(result, max_bytes, show_noise)
        except ValueError as exc:
            raise UsageError(
                [Problem(Location("--max-bytes"), str(exc).removeprefix("--max-bytes "))]
            ) from None
        typer.echo("".join(parts), nl=False)
    elif output is DiffFormat.json:
        typer.echo(diff_formats.to_json(result), nl=False)
    elif not settings.quiet:
        painted = settings.colored(sys.stdout)
        typer.echo(diff_formats.to_text(result, color=painted), nl=False, color=painted)
    if (exit_code or settings.quiet) and not result.clean:
        raise typer.Exit(EXIT_FINDINGS)


@app.command()
def schema(
    environment: Annotated[
        bool,
        typer.Option(
            "--environment",
            help="The schema of an environment overlay instead (nothing required).",
        ),
    ] = False,
) -> None:
    """Print the JSON Schema of the platform config (or of an environment overlay)."""
    from gigrouter.pipeline import environment_schema_json, schema_json

    sys.stdout.write(environment_schema_json() if environment else schema_json())


@app.command()
def init(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Argument(help="Where to write config/ (default: here).", metavar="[DIR]")
    ] = Path("."),
    name: Annotated[
        str, typer.Option("--name", help="The platform's name (a DNS label).", metavar="NAME")
    ] = "my-platform",
    domain: Annotated[
        str, typer.Option("--domain", help="The domain it serves.", metavar="DOMAIN")
    ] = "example.com",
    repo_url: Annotated[
        str | None,
        typer.Option(
            "--repo-url",
            help="The GitOps repository Argo CD watches (default: a placeholder to edit).",
            metavar="URL",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite config files that exist.")
    ] = False,
) -> None:
    """Write a minimal working platform: config/platform.yaml and its JSON Schema."""
    from gigrouter.init import init as write_starter

    done = write_starter(directory, name, domain, repo_url, force)
    _say(ctx, f"wrote {done.config}, {done.schema} and {done.environment_schema}")
    config = ["--config", str(done.config)] if done.config != Path("config/platform.yaml") else []
    out = ["--out", str(directory / "out")] if directory != Path(".") else []
    _say(ctx, "next: " + " ".join(["gigrouter", "render", *config, *out]))


@app.command()
def version() -> None:
    """Print the version."""
    _version(True)


def main() -> None:
    app()
