"""gigrouter's user cache: results that are slow to build and are fully determined by what they
were built from (compiled templates, the text of ``--help``).

Every entry is named by a digest of everything its result depends on, content and versions, so
an entry can be missing or unused but never stale: a changed input is a different name. The
cache lives outside the repository, in ``$GIGROUTER_CACHE_DIR`` or else
``$XDG_CACHE_HOME/gigrouter`` (``~/.cache/gigrouter``); ``GIGROUTER_NO_CACHE=1`` turns it off.
A cache that cannot be read or written is the same as an empty one: it never fails a command.

Standard library only: the start-up fast path imports it.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_VARIABLE = "GIGROUTER_CACHE_DIR"
OFF_VARIABLE = "GIGROUTER_NO_CACHE"


def enabled() -> bool:
    """False when ``GIGROUTER_NO_CACHE`` is set to anything but empty or 0."""
    return os.environ.get(OFF_VARIABLE, "") in ("", "0")


def root() -> Path:
    """The cache directory (which may not exist yet)."""
    chosen = os.environ.get(DIR_VARIABLE, "")
    if chosen:
        return Path(chosen)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # the XDG base directory spec: a relative path is invalid and ignored
    base = Path(xdg) if os.path.isabs(xdg) else Path(os.path.expanduser("~")) / ".cache"
    return base / "gigrouter"


def directory(kind: str) -> Path | None:
    """The directory of one kind of entry, created; None when the cache is off or unusable."""
    if not enabled():
        return None
    path = root() / kind
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path


def digest(*parts: str | bytes) -> str:
    """One name for the parts, in order (each part is length-prefixed: no two lists of parts
    give the same bytes)."""
    import hashlib  # here: a command that keeps nothing in the cache never loads OpenSSL

    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        hasher.update(b"%d:" % len(data))
        hasher.update(data)
    return hasher.hexdigest()


def read(kind: str, key: str) -> bytes | None:
    """The entry ``key`` of ``kind``, or None."""
    folder = directory(kind)
    if folder is None:
        return None
    try:
        return (folder / key).read_bytes()
    except OSError:
        return None


def write(kind: str, key: str, data: bytes) -> None:
    """Store an entry atomically (a reader sees the old entry, none, or all of the new one)."""
    folder = directory(kind)
    if folder is None:
        return
    import tempfile  # here: most runs only read the cache

    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{key[:16]}-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, folder / key)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        return
