"""Every way a user feeds validate (files, stdin, directories, --exclude, .gigrouter.yaml,
--list-rules) and findings at the line of their field (issue 12, parts 4 and 5)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from helpers import REPO
from support.cli import Result, working_directory
from typer.testing import CliRunner

from gigrouter.cli import app
from gigrouter.errors import ConfigError
from gigrouter.validate import formats
from gigrouter.validate.findings import Finding, Origin, Report, Resource, Severity
from gigrouter.validate.runner import all_rules, catalogue, validate_path
from gigrouter.validate.settings import excluder, glob_regex, parse_settings


def invoke(*args: str, cwd: Path | None = None, input: str | None = None) -> Result:
    """``gigrouter ARGS...`` in ``cwd``, with ``input`` on standard input."""
    with working_directory(cwd if cwd is not None else Path.cwd()):
        done = CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)
    return Result(done.exit_code, done.stdout, done.stderr)


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:latest
          ports:
            - name: http
              containerPort: 8080
          readinessProbe:
            httpGet:
              path: /
              port: http
          resources:
            requests: {cpu: 10m, memory: 16Mi}
            limits: {memory: 16Mi}
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  selector:
    app: web
  ports:
    - name: http
      port: 80
      targetPort: 9090
"""


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def _rules(report: Report) -> list[tuple[str, str, str, int]]:
    return [(f.rule, f.severity.value, f.file, f.line) for f in report.findings]


# --- findings at the line of their field ---------------------------------------------------


def test_a_finding_points_at_the_line_of_its_field(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"web.yaml": DEPLOYMENT + "---\n" + SERVICE})
    found = {f.rule: f for f in validate_path(root).findings}
    # the image line (17), not the Deployment's line 1; the Service's ports[0] (line 38)
    assert (found["image-tag"].line, found["image-tag"].path) == (
        17,
        "spec.template.spec.containers[0].image",
    )
    target = found["service-target-port"]
    assert (target.line, target.path) == (38, "spec.ports[0]")
    text = (root / "web.yaml").read_text().splitlines()
    assert text[17 - 1].strip() == "image: nginx:latest"
    assert text[38 - 1].strip() == "- name: http"


def test_an_annotation_finding_points_at_the_annotation(tmp_path: Path) -> None:
    manifest = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n"
        "  annotations:\n    team: web\n    argocd.argoproj.io/sync-wave: one\ndata: {}\n"
    )
    root = _tree(tmp_path, {"a.yaml": manifest})
    (wave,) = [f for f in validate_path(root).findings if f.rule == "sync-wave-format"]
    assert wave.line == 8
    assert wave.path == "metadata.annotations.argocd.argoproj.io/sync-wave"


def test_a_path_that_is_not_in_the_document_leaves_the_document_line(tmp_path: Path) -> None:
    from gigrouter.validate.lines import locate

    resource = Resource("v1", "ConfigMap", "default", "a")
    finding = Finding(
        Severity.ERROR, "x-rule", "set spec.nothing.here to fix it", "a.yaml", 1, resource
    )
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
    assert locate([finding], {"a.yaml": text}.get) == [finding]


# --- inputs --------------------------------------------------------------------------------


def test_files_given_together_are_one_tree(tmp_path: Path) -> None:
    _tree(tmp_path, {"deploy.yaml": DEPLOYMENT, "svc.yaml": SERVICE.replace("9090", "http")})
    alone = invoke("validate", "svc.yaml", "-o", "json", cwd=tmp_path)
    assert "service-selects-nothing" in alone.stdout  # nothing selects app=web on its own
    both = invoke("validate", "deploy.yaml", "svc.yaml", "-o", "json", cwd=tmp_path)
    rules = {(f["rule"], f["file"]) for f in json.loads(both.stdout)["findings"]}
    assert rules == {("image-tag", "deploy.yaml")}


def test_stdin_with_several_documents_and_a_file(tmp_path: Path) -> None:
    _tree(tmp_path, {"svc.yaml": SERVICE})
    done = invoke("validate", "-", "svc.yaml", "-o", "json", cwd=tmp_path, input=DEPLOYMENT)
    found = {(f["rule"], f["file"], f["line"]) for f in json.loads(done.stdout)["findings"]}
    assert found == {("image-tag", "-", 17), ("service-target-port", "svc.yaml", 10)}
    assert done.exit_code == 1


def test_a_file_with_another_suffix_is_read_when_named(tmp_path: Path) -> None:
    _tree(tmp_path, {"deploy.txt": DEPLOYMENT})
    done = invoke("validate", "deploy.txt", "-o", "json", cwd=tmp_path)
    assert [f["file"] for f in json.loads(done.stdout)["findings"]] == ["deploy.txt"]


@pytest.mark.parametrize(
    ("pattern", "path", "excluded"),
    [
        ("docs", "docs/a.yaml", True),
        ("docs/", "docs/deep/a.yaml", True),
        ("docs/*.yaml", "docs/deep/a.yaml", False),  # "deep" is no "*.yaml" directory
        ("*.yaml", "apps/a.yaml", False),  # * stays inside one segment
        ("**/*.yaml", "apps/a.yaml", True),
        ("**/*.yaml", "a.yaml", True),
        ("apps/*/values.yaml", "apps/web/values.yaml", True),
        ("apps/*/values.yaml", "apps/web/x/values.yaml", False),
        ("a?.yaml", "ab.yaml", True),
        ("[ab].yaml", "c.yaml", False),
        ("[!ab].yaml", "c.yaml", True),
        ("docs", "docsite/a.yaml", False),
    ],
)
def test_exclude_globs(pattern: str, path: str, excluded: bool) -> None:
    assert bool(glob_regex(pattern).match(path)) is excluded


def test_exclude_leaves_files_unread(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"web.yaml": DEPLOYMENT, "docs/broken.yaml": "a: [\n"})
    assert "yaml-invalid" in {f.rule for f in validate_path(root).findings}
    done = invoke("validate", str(root), "--exclude", "docs", "-o", "json")
    data = json.loads(done.stdout)
    assert {f["rule"] for f in data["findings"]} == {"image-tag"}
    assert data["summary"]["files"] == 1
    assert excluder([]) is None


# --- .gigrouter.yaml ------------------------------------------------------------------------


SETTINGS = """\
rules:
  image-tag: error
  readiness-probe-missing:
    severity: off
    reason: the mesh sidecar answers the probes
externals:
  - {kind: Secret, namespace: default, name: db, keys: [password]}
"""


def test_settings_raise_a_rule_and_turn_one_off_with_its_reason(tmp_path: Path) -> None:
    deploy = DEPLOYMENT.replace(
        "          readinessProbe:\n            httpGet:\n              path: /\n"
        "              port: http\n",
        "          env:\n            - name: DB\n              valueFrom:\n"
        "                secretKeyRef: {name: db, key: password}\n",
    )
    root = _tree(tmp_path, {"web.yaml": deploy})
    before = {f.rule: f.severity.value for f in validate_path(root).findings}
    assert before["image-tag"] == "warning" and "readiness-probe-missing" in before
    assert "secret-ref" in before
    (root / ".gigrouter.yaml").write_text(SETTINGS)
    after = validate_path(root).findings
    assert _rules(Report(after)) == [
        ("rule-disabled", "info", ".gigrouter.yaml", 3),
        ("image-tag", "error", "web.yaml", 17),
    ]
    assert "(the mesh sidecar answers the probes): 1 finding is not listed" in after[0].message


def test_settings_in_the_metadata_file(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "web.yaml": DEPLOYMENT,
            "gigrouter-metadata.yaml": "validate:\n  rules:\n    image-tag: info\n",
        },
    )
    assert [(f.rule, f.severity.value) for f in validate_path(root).findings] == [
        ("image-tag", "info")
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules:\n  imagetag: error\n", ".gigrouter.yaml:2: rules.imagetag: unknown rule"),
        ("rules:\n  image-tag: fatal\n", ".gigrouter.yaml:2: rules.image-tag: severity 'fatal'"),
        (
            "rules:\n  image-tag:\n    severity: off\n",
            ".gigrouter.yaml:2: rules.image-tag: turning image-tag off needs a reason",
        ),
        (
            "rules:\n  image-tag: {severity: off, reason: ''}\n",
            ".gigrouter.yaml:2: rules.image-tag.reason: reason must be a non-empty string",
        ),
        ("rule:\n  image-tag: error\n", ".gigrouter.yaml:1: rule: unknown key 'rule'"),
        ("exclude: docs\n", ".gigrouter.yaml:1: exclude: expected a list of path globs"),
        (
            "externals:\n  - {kind: Secret, nam: db}\n",
            ".gigrouter.yaml:2: externals[0].nam: unknown key 'nam' (did you mean 'name'?)",
        ),
        (
            "externals:\n  - kind: Service\n    name: api\n    ports: [http]\n",
            ".gigrouter.yaml:4: externals[0].ports: ports must be a list of port numbers",
        ),
        ("rules:\n  image-tag: error\n  image-tag: info\n", "duplicate key 'image-tag'"),
    ],
)
def test_settings_mistakes_name_file_line_and_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, ".gigrouter.yaml", all_rules())
    assert any(line.startswith(message) or message in line for line in caught.value.lines()), (
        caught.value.lines()
    )


def test_a_bad_settings_file_exits_2_naming_the_line(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"web.yaml": DEPLOYMENT, ".gigrouter.yaml": "rules:\n  imag-tag: x\n"})
    done = invoke("validate", str(root))
    assert done.exit_code == 2
    assert "error: .gigrouter.yaml:2: rules.imag-tag: unknown rule 'imag-tag' (did you mean" in (
        done.stderr
    )


def test_off_written_plain_is_off() -> None:
    settings = parse_settings(
        "rules:\n  image-tag: {severity: off, reason: why}\n", "s.yaml", all_rules()
    )
    assert set(settings.disabled) == {"image-tag"}


# --- the catalogue ---------------------------------------------------------------------------

_RULE_ID = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")


def _emitted_rule_ids() -> set[str]:
    """Every rule id the validate package passes to a finding: string literals in calls that
    also pass a severity (``ctx.finding(doc, Severity.X, "rule", ...)``, ``Finding(...)``,
    helpers such as ``member.finding(...)``) or that build a reference finding."""
    found: set[str] = set()
    # the package as imported: tests/mutants.py runs the tests against a copy outside REPO
    for path in sorted(Path(formats.__file__).parent.rglob("*.py")):
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(call, ast.Call):
                continue
            args = [*call.args, *(k.value for k in call.keywords)]
            name = call.func.attr if isinstance(call.func, ast.Attribute) else ""
            severity = any(
                (isinstance(a, ast.Attribute) and getattr(a.value, "id", "") == "Severity")
                or (isinstance(a, ast.Name) and "severity" in a.id.lower())
                for a in args
            )
            if not severity and name != "unresolved":
                continue
            found.update(
                a.value
                for a in args
                if isinstance(a, ast.Constant)
                and isinstance(a.value, str)
                and _RULE_ID.match(a.value)
            )
    return found


def test_every_rule_id_the_code_emits_is_in_the_catalogue() -> None:
    emitted = _emitted_rule_ids()
    assert len(emitted) >= 40
    assert emitted - set(all_rules()) == set()


def test_list_rules_prints_every_rule_with_its_severity() -> None:
    text = invoke("validate", "--list-rules")
    assert text.exit_code == 0
    rows = [line.split(None, 2) for line in text.stdout.splitlines()]
    assert [r[0] for r in rows] == sorted(all_rules())
    assert {r[0]: r[1] for r in rows}["image-tag"] == "warning"
    data = json.loads(invoke("validate", "--list-rules", "-o", "json").stdout)
    assert [d["id"] for d in data] == sorted(all_rules())
    assert all(set(d) == {"id", "severity", "description"} for d in data)
    assert {d["id"]: d["severity"] for d in data}["rule-disabled"] == "info"
    assert invoke("validate", "--list-rules", "-o", "sarif").exit_code == 2


def test_each_listed_severity_is_one_the_rule_reports() -> None:
    """The catalogue's default severity is among those the code gives the rule (where the
    code names it literally)."""
    literal: dict[str, set[str]] = {}
    # the package as imported: tests/mutants.py runs the tests against a copy outside REPO
    for path in sorted(Path(formats.__file__).parent.rglob("*.py")):
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(call, ast.Call):
                continue
            args = [*call.args, *(k.value for k in call.keywords)]
            levels = [
                a.attr.lower()
                for a in args
                if isinstance(a, ast.Attribute) and getattr(a.value, "id", "") == "Severity"
            ]
            for a in args:
                if isinstance(a, ast.Constant) and isinstance(a.value, str) and levels:
                    literal.setdefault(a.value, set()).update(levels)
    for rule, severity, _ in catalogue():
        if rule in literal and severity != "varies":
            assert severity in literal[rule], (rule, severity, literal[rule])


# --- the config location in reports ---------------------------------------------------------


def _with_origin() -> Report:
    return Report(
        [
            Finding(
                Severity.ERROR,
                "image-tag",
                "image 'nginx:latest' uses the tag 'latest'",
                "backend/deployment.yaml",
                21,
                Resource("apps/v1", "Deployment", "backend", "backend"),
                path="spec.template.spec.containers[0].image",
                origin=Origin("config/platform.yaml", 42, "components.backend.image"),
            )
        ]
    )


def test_text_json_and_sarif_carry_the_config_location() -> None:
    report = _with_origin()
    text = formats.to_text(report, color=False)
    lines = text.splitlines()
    assert lines[1].startswith("  21  error")
    assert lines[2].strip() == "from config/platform.yaml:42 components.backend.image"
    (finding,) = json.loads(formats.to_json(report))["findings"]
    assert finding["path"] == "spec.template.spec.containers[0].image"
    assert finding["config"] == {
        "file": "config/platform.yaml",
        "line": 42,
        "key": "components.backend.image",
    }
    (result,) = json.loads(formats.to_sarif(report, all_rules(), "0"))["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 21}
    (related,) = result["relatedLocations"]
    assert related["physicalLocation"] == {
        "artifactLocation": {"uri": "config/platform.yaml"},
        "region": {"startLine": 42},
    }
    assert related["message"]["text"] == "set by components.backend.image"


def test_the_home_lab_true_find_is_at_its_field_line() -> None:
    """tests/realworld/homelab-apps-and-manifests: the Service's wrong targetPort is reported
    at spec.ports[0] (line 41 of the file), not at the Service's first line."""
    tree = REPO / "tests" / "realworld" / "homelab-apps-and-manifests" / "tree"
    (finding,) = [f for f in validate_path(tree).findings if f.severity is Severity.ERROR]
    assert (finding.rule, finding.file, finding.line, finding.path) == (
        "service-target-port",
        "manifests/media/jellyfin.yaml",
        41,
        "spec.ports[0]",
    )
    lines = (tree / finding.file).read_text().splitlines()
    assert lines[40].strip() == "- name: http" and lines[41].strip() == "port: 80"
