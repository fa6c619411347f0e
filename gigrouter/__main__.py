"""The ``gigrouter`` command's entry point, with a fast path for what needs no command line
library: ``--version`` (and ``version``), and help text that an earlier run already printed.

Importing typer and rich takes most of a ``--help``; the text they print is fully determined by
gigrouter's sources, the installed typer and rich, the program name, the arguments, and how the
terminal looks (environment variables, which streams are terminals and their sizes). The first
run prints it through typer and stores it in the user cache (``gigrouter.cache``) under a
digest of all of those; later runs print the stored text without importing typer. Output to a
terminal always goes through typer (the captured text would not be a terminal's).
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from gigrouter import __version__, cache

HELP_OPTIONS = ("--help", "-h")
# What typer, click and rich read from the environment when they print help.
_ENVIRONMENT = (
    "COLUMNS", "LINES", "TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR", "PY_COLORS",
    "GITHUB_ACTIONS", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "TERMINAL_WIDTH",
    "_TYPER_FORCE_DISABLE_TERMINAL", "TYPER_USE_RICH", "JUPYTER_COLUMNS", "JUPYTER_LINES",
    "DATABRICKS_RUNTIME_VERSION", "PYTHONIOENCODING", "LANG", "LC_ALL", "LC_CTYPE",
)  # fmt: skip
_COMPLETION = "_GIGROUTER_COMPLETE"


def _is_help(argv: list[str]) -> bool:
    """Arguments that only print help: none at all, ``--help``, or ``COMMAND --help``."""
    if not argv:
        return True
    if argv[-1] not in HELP_OPTIONS:
        return False
    return len(argv) == 1 or (len(argv) == 2 and not argv[0].startswith("-"))


def _sources() -> bytes:
    """gigrouter's own code, every module (a help text can quote a constant of any)."""
    parts: list[bytes] = []
    package = Path(__file__).resolve().parent
    for folder, dirs, files in os.walk(package):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                path = Path(folder, name)
                parts += [path.relative_to(package).as_posix().encode(), path.read_bytes()]
    return cache.digest(*parts).encode()


def _libraries() -> list[str]:
    """The installed versions of the libraries that print help (their dist-info names)."""
    found: list[str] = []
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        found += sorted(
            n for n in names if n.startswith(("typer-", "rich-")) and n.endswith(".dist-info")
        )
    return [os.pathsep.join(sys.path), *found]


def _terminal() -> list[str]:
    """Which of stdin, stdout and stderr are terminals, their sizes, stdout's encoding."""
    looks = [str(sys.stdout.encoding), str(sys.stdout.errors)]
    for fd in (0, 1, 2):
        try:
            looks.append(f"{fd}:{os.isatty(fd)}:{tuple(os.get_terminal_size(fd))}")
        except OSError:
            looks.append(f"{fd}:{os.isatty(fd) if fd_open(fd) else 'closed'}")
    return looks


def fd_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def help_key(argv: list[str]) -> str | None:
    """The cache name of the help text ``argv`` prints, or None when it must not be cached."""
    if not _is_help(argv) or _COMPLETION in os.environ or not cache.enabled():
        return None
    if not fd_open(1) or os.isatty(1):
        return None
    return cache.digest(
        __version__,
        sys.version,
        sys.executable,
        sys.argv[0],
        "\0".join(argv),
        _sources(),
        *_libraries(),
        *(f"{name}={os.environ.get(name)}" for name in _ENVIRONMENT),
        *_terminal(),
    )


class _Tee:
    """A text stream that passes everything to ``stream`` and keeps the bytes it wrote (click
    writes help as bytes, to the binary buffer beneath)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.written = bytearray()

    def write(self, text: str | bytes) -> int:
        if isinstance(text, str):
            self.written += text.encode(self.stream.encoding, self.stream.errors or "strict")
            return self.stream.write(text)
        self.written += text
        self.stream.flush()
        count = self.stream.buffer.write(text)
        self.stream.buffer.flush()
        return count

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _print(data: bytes) -> None:
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        # the reader went away (`gigrouter --help | head`): nothing more to say to it
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process exits


def _code(status: object) -> int:
    if status is None:
        return 0
    return status if isinstance(status, int) else 1


def main() -> None:
    argv = sys.argv[1:]
    if argv in (["--version"], ["version"]) and _COMPLETION not in os.environ:
        _print(f"gigrouter {__version__}\n".encode())
        return
    key = help_key(argv)
    stored = cache.read("help", key) if key else None
    if key is not None and stored is not None:
        code, _, data = stored.partition(b"\n")
        _print(data)
        raise SystemExit(int(code))

    # A run builds many objects and frees few: collecting the young generation every 700
    # allocations (the default) cost about a tenth of a 1,000-service render or validate.
    gc.set_threshold(50_000, 50, 100)
    from gigrouter.cli import main as run

    gc.freeze()  # what the imports made lives until the process exits: never scanned again
    if key is None:
        run()
        return
    out, err = _Tee(sys.stdout), _Tee(sys.stderr)
    sys.stdout, sys.stderr = out, err
    status: object = 0
    try:
        run()
    except SystemExit as exit:
        status = exit.code
    finally:
        sys.stdout, sys.stderr = out.stream, err.stream
    # typer printed help: kept when all of it went to stdout (an error goes to stderr)
    if out.written and not err.written:
        cache.write("help", key, b"%d\n" % _code(status) + bytes(out.written))
    raise SystemExit(status)


if __name__ == "__main__":
    main()
