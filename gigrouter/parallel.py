"""Share a large render's or validate's work with a second core.

The work splits into two shares: one runs here, the other in a forked copy of this process,
which inherits everything computed so far (nothing is sent to it) and sends its result back
pickled through a pipe. Callers put the results together in the order one process makes them,
so nothing written or reported depends on how it was made (``tests/test_parallel.py`` compares
both ways). Used for rendering a large tree's files (render.py), and for reading a large
tree's files and running its checks (validate/tree.py, validate/runner.py).

``GIGROUTER_JOBS=1`` keeps everything in this process; so does a machine with one core or without
``fork``, and work too small to be worth a copy. A copy that fails in any way (an exception, a
signal, a result that does not arrive) has its share done again here, so a failure is reported
as it would be without the copy, never lost.
"""

from __future__ import annotations

import gc
import os
import pickle
from collections.abc import Callable
from typing import TypeVar

from gigrouter.errors import Location, Problem, UsageError

JOBS_VARIABLE = "GIGROUTER_JOBS"

Here = TypeVar("Here")
There = TypeVar("There")


def jobs() -> int:
    """How many processes a render or validate may use: ``$GIGROUTER_JOBS``, else 2 when this
    process may run on two or more cores (one copy is all the work here can use), else 1."""
    value = os.environ.get(JOBS_VARIABLE, "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise UsageError(
                [
                    Problem(
                        Location(JOBS_VARIABLE),
                        f"must be a whole number of 1 or more, not {value!r}",
                    )
                ]
            )
        return int(value)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return 2 if cores >= 2 else 1


def split(here: Callable[[], Here], there: Callable[[], There]) -> tuple[Here, There]:
    """``here()`` and ``there()``, the second in a forked copy of this process while the first
    runs here; both run here when :func:`jobs` is 1 or ``fork`` is missing. ``there`` must only
    compute its result: what it changes in memory is lost with the copy."""
    if jobs() < 2 or not hasattr(os, "fork"):
        return here(), there()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the copy, whose coverage is not collected
        _child(reader, writer, there)
    os.close(writer)
    try:
        mine = here()
    finally:
        # the copy is always waited for, even when this share raised
        with os.fdopen(reader, "rb") as stream:
            payload = stream.read()
        _, status = os.waitpid(pid, 0)
    if status == 0 and payload:
        try:
            return mine, pickle.loads(payload)  # written by our own copy
        except Exception:  # a damaged result is redone here
            pass
    return mine, there()


def _child(reader: int, writer: int, there: Callable[[], object]) -> None:  # pragma: no cover
    """The copy's whole life: compute, send, leave without running the parent's exit handlers
    or flushing its output buffers (the parent does that once)."""
    code = 1
    try:
        os.close(reader)
        gc.disable()  # a short life: collecting would only copy pages the parent still shares
        payload = pickle.dumps(there(), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(writer, "wb") as stream:
            stream.write(payload)
        code = 0
    except BaseException:  # any failure: the parent redoes the share
        code = 1
    finally:
        os._exit(code)
