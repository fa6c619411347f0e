"""Render and validate share a large tree's work with a forked copy of the process
(gigrouter.parallel): the files and the report are the ones one process makes, a failing copy
loses nothing, and GIGROUTER_JOBS controls it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO

from gigrouter import parallel, render
from gigrouter.errors import TemplateError, UsageError
from gigrouter.layout import Output
from gigrouter.validate import runner, tree

sys.path.insert(0, str(REPO / "bench"))
from synthetic import synthetic_config

SERVICES = 220  # 225 files and 1,105 documents: above both thresholds


@pytest.fixture(scope="module")
def large_tree(tmp_path_factory: pytest.TempPathFactory, gigrouter_exe: str) -> Path:
    """A rendered tree of SERVICES services with mistakes planted in files that fall in both
    halves of the reading and that rules run here and in the copy find."""
    base = tmp_path_factory.mktemp("parallel")
    (base / "platform.yaml").write_text(synthetic_config(SERVICES))
    out = base / "out"
    subprocess.run(
        [gigrouter_exe, "render", "--config", "platform.yaml", "--out", "out"],
        cwd=base,
        check=True,
        capture_output=True,
    )
    services = out / "services"
    assert len(list(out.rglob("*.yaml"))) >= tree.PARALLEL_FILES
    # first half: a schema finding (a rule the copy runs)
    first = services / "svc-0000.yaml"
    first.write_text(first.read_text().replace("replicas: 2", "replicas: two", 1))
    # second half, read by the copy: a repeated key, broken YAML, a List whose second item is
    # wrong (its own line), a reference to a missing ConfigMap (a rule this process runs)
    last = services / f"svc-{SERVICES - 1:04d}.yaml"
    last.write_text(last.read_text().replace("replicas: 2", "replicas: 2\n  replicas: 3", 1))
    broken = services / f"svc-{SERVICES - 2:04d}.yaml"
    broken.write_text(broken.read_text() + "\n---\nkind: [unclosed\n")
    (services / "zz-list.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: fine\n    namespace: shop\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: bad\n    namespace: shop\n"
        "  data:\n    n: 1\n"
    )
    ref = services / f"svc-{SERVICES - 3:04d}.yaml"
    name = f"svc-{SERVICES - 3:04d}"
    ref.write_text(ref.read_text().replace(f"name: {name}-config", "name: nowhere-config", 1))
    return out


def _validate(out: Path, exe: str, jobs: str) -> tuple[int, Any, str]:
    env = {**os.environ, "GIGROUTER_JOBS": jobs}
    result = subprocess.run(
        [exe, "validate", str(out), "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return result.returncode, json.loads(result.stdout), result.stderr


def test_two_processes_report_what_one_reports(large_tree: Path, gigrouter_exe: str) -> None:
    one = _validate(large_tree, gigrouter_exe, "1")
    two = _validate(large_tree, gigrouter_exe, "2")
    assert one == two
    code, report, _ = two
    assert code == 1
    found = {(f["rule"], Path(f["file"]).name) for f in report["findings"]}
    last = f"svc-{SERVICES - 1:04d}.yaml"
    assert ("schema", "svc-0000.yaml") in found
    assert ("yaml-duplicate-key", last) in found
    assert ("yaml-invalid", f"svc-{SERVICES - 2:04d}.yaml") in found
    assert ("configmap-ref", f"svc-{SERVICES - 3:04d}.yaml") in found
    listed = [f for f in report["findings"] if f["file"].endswith("zz-list.yaml")]
    assert [(f["rule"], f["line"]) for f in listed] == [("schema", 14)]


def test_large_tree_is_shared_with_a_copy(
    large_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both the reading and the checks of a large tree go through the copy, and what the copy
    did arrives: the copy's documents are in the tree and its rules' findings in the report."""
    calls: list[int] = []
    real = parallel.split

    def spy(here: Any, there: Any) -> Any:
        parent = os.getpid()

        def traced() -> Any:
            assert os.getpid() != parent  # it ran in the copy
            return there()

        calls.append(1)
        return real(here, traced)

    monkeypatch.setenv("GIGROUTER_JOBS", "2")
    monkeypatch.setattr(parallel, "split", spy)
    report = runner.validate_path(large_tree)
    assert len(calls) == 2  # reading, checking
    assert report.resources >= SERVICES * 5
    assert {f.rule for f in report.findings} >= {"schema", "yaml-duplicate-key", "configmap-ref"}


def test_split_runs_the_second_share_in_another_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIGROUTER_JOBS", "2")
    here, there = parallel.split(os.getpid, os.getpid)
    assert here == os.getpid() and there != here
    monkeypatch.setenv("GIGROUTER_JOBS", "1")
    assert parallel.split(os.getpid, os.getpid) == (os.getpid(), os.getpid())


def test_a_failing_copy_has_its_share_redone_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIGROUTER_JOBS", "2")
    parent = os.getpid()

    def killed_in_copy() -> str:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return "redone"

    assert parallel.split(lambda: "mine", killed_in_copy) == ("mine", "redone")

    def raises() -> None:
        raise LookupError("the share's own error")

    # the error surfaces from this process, as it would without a copy
    with pytest.raises(LookupError, match="the share's own error"):
        parallel.split(lambda: "mine", raises)


def test_a_failing_share_here_still_waits_for_the_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIGROUTER_JOBS", "2")
    before = _children()

    def fails() -> None:
        raise KeyError("here")

    with pytest.raises(KeyError):
        parallel.split(fails, lambda: sum(range(10)))
    assert _children() == before  # reaped: no zombie left


def _children() -> set[str]:
    me = str(os.getpid())
    out = set()
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:
            out.add(status.parent.name)
    return out


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_jobs_refuses_what_is_not_a_count(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIGROUTER_JOBS", value)
    with pytest.raises(UsageError, match="GIGROUTER_JOBS"):
        parallel.jobs()


def test_jobs_defaults_to_the_cores_this_process_may_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GIGROUTER_JOBS", raising=False)
    expected = 2 if len(os.sched_getaffinity(0)) >= 2 else 1
    assert parallel.jobs() == expected
    monkeypatch.setenv("GIGROUTER_JOBS", "1")
    assert parallel.jobs() == 1


def test_a_bad_jobs_value_is_a_usage_error_of_the_command(
    large_tree: Path, gigrouter_exe: str
) -> None:
    result = subprocess.run(
        [gigrouter_exe, "validate", str(large_tree)],
        capture_output=True,
        text=True,
        env={**os.environ, "GIGROUTER_JOBS": "many"},
        check=False,
    )
    assert result.returncode == 2
    assert "GIGROUTER_JOBS" in result.stderr and "'many'" in result.stderr


def test_a_large_render_writes_what_one_process_writes(tmp_path: Path, gigrouter_exe: str) -> None:
    """Rendering SERVICES services (above render.PARALLEL_OUTPUTS files) in two processes and
    in one gives the same bytes, and the same bytes as the tree the fixture rendered."""
    (tmp_path / "platform.yaml").write_text(synthetic_config(SERVICES))
    trees = {}
    for jobs in ("1", "2"):
        subprocess.run(
            [gigrouter_exe, "render", "--config", "platform.yaml", "--out", f"out{jobs}"],
            cwd=tmp_path,
            check=True,
            capture_output=True,
            env={**os.environ, "GIGROUTER_JOBS": jobs},
        )
        root = tmp_path / f"out{jobs}"
        trees[jobs] = {
            str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
        }
    assert len(trees["2"]) > render.PARALLEL_OUTPUTS
    assert trees["1"] == trees["2"]


def test_template_problems_of_both_halves_are_reported_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Outputs rendered by the copy arrive with their problems, after the first half's."""
    monkeypatch.setenv("GIGROUTER_JOBS", "2")
    shared: list[int] = []
    real = parallel.split
    monkeypatch.setattr(parallel, "split", lambda a, b: shared.append(1) or real(a, b))
    count = render.PARALLEL_OUTPUTS
    outputs = [Output(f"plain-{i:03d}.txt", None, text=f"{i}\n") for i in range(count)]
    outputs[1] = Output("early.yaml", "no-such-early.yaml.j2")
    outputs[-1] = Output("late.yaml", "no-such-late.yaml.j2")
    with pytest.raises(TemplateError) as caught:
        render.render(outputs)
    assert [p.location.file for p in caught.value.problems] == [
        "templates/no-such-early.yaml.j2",
        "templates/no-such-late.yaml.j2",
    ]
    assert outputs == []  # emptied, as a one-process render empties it
    parts = [Output(f"f-{i:03d}.txt", None, text=f"{i}\n") for i in range(count)]
    tree = render.render(parts)
    assert list(tree.files) == sorted(f"f-{i:03d}.txt" for i in range(count))
    assert tree.files["f-199.txt"] == "199\n"
    assert len(shared) == 2  # both renders were shared with a copy
