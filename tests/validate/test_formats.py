"""Output formats of ``gigrouter validate`` (gigrouter.validate.formats), each parsed back."""

from __future__ import annotations

import json
import random
import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from gigrouter.validate.findings import Finding, Report, Resource, Severity
from gigrouter.validate.formats import (
    normalise_prefix,
    summary_line,
    to_github,
    to_json,
    to_junit,
    to_sarif,
    to_text,
)

DEPLOY = Resource("apps/v1", "Deployment", "web", "api")
SERVICE = Resource("v1", "Service", "web", "api")
NAMESPACE = Resource("v1", "Namespace", "", "web")
APP = Resource("argoproj.io/v1alpha1", "Application", "argocd", "wéb-äpp")

WAIVED_REASON = "tracked in OPS-12: rollout, then fix"

FINDINGS = [
    Finding(
        Severity.ERROR,
        "schema-invalid",
        "spec.replicas: expected integer, got 'two'\nsee: the schema, line 2",
        "apps/web/deployment.yaml",
        12,
        DEPLOY,
    ),
    Finding(
        Severity.WARNING,
        "no-resource-limits",
        "container 'api' has no limits: 100% of the node is up for grabs",
        "apps/web/deployment.yaml",
        20,
        DEPLOY,
    ),
    Finding(
        Severity.INFO,
        "image-tag-latest",
        f"waived ({WAIVED_REASON}): image uses :latest",
        "apps/web/deployment.yaml",
        30,
        DEPLOY,
        waived_because=WAIVED_REASON,
    ),
    Finding(Severity.ERROR, "port-mismatch", "port 80 ≠ 8080", "apps/web/service.yaml", 4, SERVICE),
    Finding(
        Severity.INFO,
        "cluster-scoped",
        "Namespace is cluster-scoped",
        "apps/web/ns.yaml",
        1,
        NAMESPACE,
    ),
    Finding(
        Severity.ERROR, "yaml-invalid", "not UTF-8 text; Argo CD cannot read it", "broken.yaml"
    ),
    Finding(
        Severity.WARNING,
        "app-unsynced",
        "Application 'wéb-äpp' → destination: in-cluster, namespace: ∅\r\ncarriage return",
        "argocd/apps 2024/app.yaml",
        7,
        APP,
    ),
]


def make_report(
    findings: list[Finding] | None = None, files: int = 30, resources: int = 40
) -> Report:
    chosen = list(FINDINGS if findings is None else findings)
    random.Random(7).shuffle(chosen)  # the formats must sort on their own
    return Report(chosen, files=files, resources=resources)


RULES = {
    "schema-invalid": "Manifests must match their schema",
    "port-mismatch": "Service ports must reach a container port",
    "yaml-invalid": "",  # empty description: falls back to the id
}


# --- JSON -----------------------------------------------------------------------------------


def test_json_structure_round_trips() -> None:
    report = make_report()
    out = to_json(report)
    assert out.endswith("}\n") and not out.endswith("\n\n")
    assert out.startswith('{\n  "findings"')  # indent 2
    data = json.loads(out)
    assert set(data) == {"findings", "summary"}
    assert data["summary"] == {"errors": 3, "warnings": 2, "infos": 2, "files": 30, "resources": 40}
    expected = sorted(FINDINGS, key=Finding.sort_key)
    assert len(data["findings"]) == len(expected)
    for got, want in zip(data["findings"], expected, strict=True):
        assert list(got) == ["severity", "rule", "message", "file", "line", "resource"]
        assert got["severity"] == want.severity.value
        assert got["rule"] == want.rule
        assert got["message"] == want.message
        assert got["file"] == want.file
        assert got["line"] == want.line
        if want.resource is None:
            assert got["resource"] is None
        else:
            assert got["resource"] == {
                "apiVersion": want.resource.api_version,
                "kind": want.resource.kind,
                "namespace": want.resource.namespace,
                "name": want.resource.name,
            }


def test_json_is_sorted_and_deterministic() -> None:
    a = to_json(make_report())
    b = to_json(Report(list(reversed(FINDINGS)), files=30, resources=40))
    assert a == b
    files = [f["file"] for f in json.loads(a)["findings"]]
    assert files == sorted(files)
    assert files[0] == "apps/web/deployment.yaml"
    lines = [
        f["line"] for f in json.loads(a)["findings"] if f["file"] == "apps/web/deployment.yaml"
    ]
    assert lines == [12, 20, 30]


def test_json_empty_report() -> None:
    data = json.loads(to_json(Report(files=2, resources=3)))
    assert data == {
        "findings": [],
        "summary": {"errors": 0, "warnings": 0, "infos": 0, "files": 2, "resources": 3},
    }


# --- GitHub workflow commands ---------------------------------------------------------------

COMMAND = re.compile(r"^::(?P<cmd>error|warning|notice) (?P<props>[^:]*)::(?P<msg>.*)$")


def unescape_data(value: str) -> str:
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(value: str) -> str:
    return unescape_data(value.replace("%3A", ":").replace("%2C", ","))


def parse_github(out: str) -> list[tuple[str, dict[str, str], str]]:
    assert out.endswith("\n")
    parsed = []
    for line in out.split("\n")[:-1]:
        match = COMMAND.match(line)
        assert match, line
        props = {}
        for pair in match["props"].split(","):
            key, _, value = pair.partition("=")
            assert key in {"file", "line", "title"}, pair
            props[key] = unescape_property(value)
        parsed.append((match["cmd"], props, unescape_data(match["msg"])))
    return parsed


@pytest.mark.parametrize(
    ("given_path", "prefix"),
    [
        ("out", "out/"),
        ("./out", "out/"),
        ("out/", "out/"),
        ("./out/", "out/"),
        ("out//sub/", "out/sub/"),
        (".", ""),
        ("./", ""),
        ("", ""),
        ("/abs/out", "/abs/out/"),
        ("/", "/"),
    ],
)
def test_prefix_normalisation(given_path: str, prefix: str) -> None:
    assert normalise_prefix(given_path) == prefix
    out = to_github(make_report([FINDINGS[5]]), given_path)
    assert parse_github(out)[0][1]["file"] == prefix + "broken.yaml"


def test_github_round_trip() -> None:
    report = make_report()
    out = to_github(report, "./out")
    assert "\r" not in out
    assert out.count("\n") == len(FINDINGS)  # newlines in messages are escaped
    parsed = parse_github(out)
    expected = sorted(FINDINGS, key=Finding.sort_key)
    kinds = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    for (cmd, props, message), want in zip(parsed, expected, strict=True):
        assert cmd == kinds[want.severity]
        assert props["file"] == "out/" + want.file
        assert props["title"] == want.rule
        assert message == want.message
        if want.line:
            assert props["line"] == str(want.line)
        else:
            assert "line" not in props


def test_github_escapes() -> None:
    out = to_github(make_report([FINDINGS[0], FINDINGS[1]]), ".")
    first, second = out.splitlines()
    assert first == (
        "::error file=apps/web/deployment.yaml,line=12,title=schema-invalid::"
        "spec.replicas: expected integer, got 'two'%0Asee: the schema, line 2"
    )
    assert second.endswith("::container 'api' has no limits: 100%25 of the node is up for grabs")
    weird = Finding(Severity.WARNING, "r", "m", "a,b:c%d.yaml", 0)
    assert to_github(make_report([weird]), "") == "::warning file=a%2Cb%3Ac%25d.yaml,title=r::m\n"


def test_github_empty_report_is_empty() -> None:
    assert to_github(Report(files=3), "out") == ""


text_values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=40)


@settings(max_examples=200, deadline=None)
@given(message=text_values, file=text_values.filter(bool), rule=text_values.filter(bool))
def test_github_round_trips_any_text(message: str, file: str, rule: str) -> None:
    finding = Finding(Severity.ERROR, rule, message, file, 3)
    out = to_github(Report([finding]), "")
    assert out.count("\n") == 1 and "\r" not in out
    ((_, props, got),) = parse_github(out)
    assert got == message
    assert props == {"file": file, "line": "3", "title": rule}


# --- JUnit ----------------------------------------------------------------------------------


def parse_junit(out: str) -> ET.Element:
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(out.encode("utf-8"))
    assert root.tag == "testsuites"
    return root


def test_junit_structure_and_counts() -> None:
    root = parse_junit(to_junit(make_report()))
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert suite.get("name") == "gigrouter validate"
    cases = suite.findall("testcase")
    names = [(case.get("classname"), case.get("name")) for case in cases]
    assert names == [
        ("apps/web/deployment.yaml", "Deployment/web/api"),
        ("apps/web/ns.yaml", "Namespace/web"),
        ("apps/web/service.yaml", "Service/web/api"),
        ("argocd/apps 2024/app.yaml", "Application/argocd/wéb-äpp"),
        ("broken.yaml", "broken.yaml"),
    ]
    failed = [case for case in cases if case.find("failure") is not None]
    for element in (root, suite):
        assert element.get("tests") == str(len(cases)) == "5"
        assert element.get("failures") == str(len(failed)) == "4"
        assert element.get("errors") == "0"
        assert element.get("skipped") == "0"
    assert all(len(case.findall("failure")) <= 1 for case in cases)
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props == {"errors": "3", "warnings": "2", "infos": "2", "files": "30", "resources": "40"}


def test_junit_failures_and_system_out() -> None:
    root = parse_junit(to_junit(make_report(), suite_name="prod tree"))
    assert root.get("name") == "prod tree"
    cases = {case.get("name"): case for case in root.iter("testcase")}

    deploy = cases["Deployment/web/api"]
    failure = deploy.find("failure")
    assert failure is not None
    assert failure.get("type") == "no-resource-limits schema-invalid"
    assert failure.get("message") == f"{FINDINGS[0].message} (and 1 more)"
    body = failure.text or ""
    assert FINDINGS[0].message in body and FINDINGS[1].message in body
    assert "image-tag-latest" not in body  # waived: an info, not a failure
    out = deploy.find("system-out")
    assert out is not None and WAIVED_REASON in (out.text or "")

    assert cases["Namespace/web"].find("failure") is None  # only an info
    ns_out = cases["Namespace/web"].find("system-out")
    assert ns_out is not None and "cluster-scoped" in (ns_out.text or "")

    service = cases["Service/web/api"].find("failure")
    assert service is not None
    assert service.get("type") == "port-mismatch"
    assert service.get("message") == "port 80 ≠ 8080"

    broken = cases["broken.yaml"]
    assert broken.get("classname") == "broken.yaml"
    broken_failure = broken.find("failure")
    assert broken_failure is not None and broken_failure.get("type") == "yaml-invalid"

    app_failure = cases["Application/argocd/wéb-äpp"].find("failure")
    assert app_failure is not None and app_failure.get("type") == "app-unsynced"
    assert app_failure.get("message") == FINDINGS[6].message  # \r\n survives the attribute


def test_junit_warnings_only_fail() -> None:
    root = parse_junit(to_junit(make_report([FINDINGS[1]])))
    (case,) = root.iter("testcase")
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "no-resource-limits"
    assert root.get("failures") == "1"


def test_junit_clean_report_has_one_passing_case() -> None:
    root = parse_junit(to_junit(Report(files=4, resources=9)))
    (case,) = root.iter("testcase")
    assert case.find("failure") is None
    assert case.get("name") == "no findings"
    assert root.get("tests") == "1" and root.get("failures") == "0"


def test_junit_infos_only_do_not_fail() -> None:
    root = parse_junit(to_junit(make_report([FINDINGS[2], FINDINGS[4]])))
    assert root.get("tests") == "2" and root.get("failures") == "0"
    assert [c.find("failure") for c in root.iter("testcase")] == [None, None]


def test_junit_survives_characters_xml_cannot_hold() -> None:
    nasty = Finding(Severity.ERROR, "r", "bell\x07 esc\x1b[31m nul\x00 ok", "f.yaml", 1)
    root = parse_junit(to_junit(Report([nasty])))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == "bell\\x07 esc\\x1b[31m nul\\x00 ok"


@settings(max_examples=100, deadline=None)
@given(message=text_values, file=text_values.filter(bool))
def test_junit_always_parses(message: str, file: str) -> None:
    finding = Finding(Severity.WARNING, "rule", message, file, 0, DEPLOY)
    root = parse_junit(to_junit(Report([finding])))
    (case,) = root.iter("testcase")
    assert case.get("name") == "Deployment/web/api"
    assert case.find("failure") is not None


# --- SARIF ----------------------------------------------------------------------------------

MESSAGE = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string"}},
}

# The parts of the SARIF 2.1.0 schema (OASIS sarif-schema-2.1.0.json) that this output uses,
# written down here: required properties, enums and the shape of locations.
SARIF_SUBSET_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "pattern": "^https://"},
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string", "minLength": 1},
                                    "version": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "uniqueItems": True,
                                        "items": {
                                            "type": "object",
                                            "required": ["id"],
                                            "properties": {
                                                "id": {"type": "string"},
                                                "shortDescription": MESSAGE,
                                            },
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "originalUriBaseIds": {
                        "type": "object",
                        "additionalProperties": {"$ref": "#/$defs/artifactLocation"},
                    },
                    "results": {"type": "array", "items": {"$ref": "#/$defs/result"}},
                },
            },
        },
    },
    "$defs": {
        "artifactLocation": {
            "type": "object",
            "properties": {
                "uri": {"type": "string", "pattern": "^[^ #?\\\\]*$"},
                "uriBaseId": {"type": "string"},
                "description": MESSAGE,
            },
        },
        "result": {
            "type": "object",
            "required": ["message"],
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": -1},
                "level": {"enum": ["none", "note", "warning", "error"]},
                "message": MESSAGE,
                "locations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "physicalLocation": {
                                "type": "object",
                                "properties": {
                                    "artifactLocation": {"$ref": "#/$defs/artifactLocation"},
                                    "region": {
                                        "type": "object",
                                        "properties": {
                                            "startLine": {"type": "integer", "minimum": 1}
                                        },
                                    },
                                },
                            },
                            "logicalLocations": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "name": {"type": "string"},
                                        "fullyQualifiedName": {"type": "string"},
                                        "kind": {"type": "string"},
                                    },
                                },
                            },
                        },
                    },
                },
                "suppressions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["kind"],
                        "properties": {
                            "kind": {"enum": ["inSource", "external"]},
                            "status": {"enum": ["accepted", "underReview", "rejected"]},
                            "justification": {"type": "string"},
                        },
                    },
                },
            },
        },
    },
}

SARIF_LEVELS = {"none", "note", "warning", "error"}  # SARIF 2.1.0 §3.27.10


def check_sarif(out: str) -> dict[str, Any]:
    assert out.endswith("\n")
    log: dict[str, Any] = json.loads(out)
    Draft202012Validator.check_schema(SARIF_SUBSET_SCHEMA)
    errors = sorted(Draft202012Validator(SARIF_SUBSET_SCHEMA).iter_errors(log), key=str)
    assert not errors, [e.message for e in errors]
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert result["level"] in SARIF_LEVELS
        # §3.27.6: ruleIndex points at the reportingDescriptor whose id is ruleId
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        for location in result["locations"]:
            physical = location.get("physicalLocation")
            if physical is not None:
                assert physical["artifactLocation"]["uriBaseId"] in run["originalUriBaseIds"]
    return log


def test_sarif_is_valid_and_complete() -> None:
    log = check_sarif(to_sarif(make_report(), RULES, "1.2.3"))
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "gigrouter"
    assert driver["version"] == "1.2.3"
    assert "informationUri" not in driver
    descriptions = {rule["id"]: rule["shortDescription"]["text"] for rule in driver["rules"]}
    assert descriptions == {
        "app-unsynced": "app-unsynced",
        "cluster-scoped": "cluster-scoped",
        "image-tag-latest": "image-tag-latest",
        "no-resource-limits": "no-resource-limits",
        "port-mismatch": "Service ports must reach a container port",
        "schema-invalid": "Manifests must match their schema",
        "yaml-invalid": "yaml-invalid",
    }
    assert list(descriptions) == sorted(descriptions)
    assert set(run["originalUriBaseIds"]) == {"%SRCROOT%"}

    expected = sorted(FINDINGS, key=Finding.sort_key)
    levels = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    assert len(run["results"]) == len(expected)
    for result, want in zip(run["results"], expected, strict=True):
        assert result["ruleId"] == want.rule
        assert result["level"] == levels[want.severity]
        assert result["message"]["text"] == want.message
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert unquote(physical["artifactLocation"]["uri"]) == want.file
        if want.line:
            assert physical["region"] == {"startLine": want.line}
        else:
            assert "region" not in physical
        if want.resource is None:
            assert "logicalLocations" not in location
        else:
            (logical,) = location["logicalLocations"]
            assert logical["fullyQualifiedName"] == str(want.resource)
        if want.waived_because is None:
            assert "suppressions" not in result
        else:
            assert result["suppressions"] == [{"kind": "inSource", "justification": WAIVED_REASON}]


def test_sarif_uris_are_encoded() -> None:
    finding = Finding(Severity.ERROR, "r", "m", "argocd/apps 2024/a:b#c.yaml", 1)
    log = check_sarif(to_sarif(Report([finding]), {}, "0"))
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"
    ]
    assert uri == "argocd/apps%202024/a%3Ab%23c.yaml"
    assert unquote(uri) == finding.file


def test_sarif_path_prefix_and_srcroot() -> None:
    out = to_sarif(
        make_report([FINDINGS[5]]),
        RULES,
        "0.1.0",
        path_prefix="./out/",
        srcroot_uri="file:///home/ci/repo",
    )
    run = check_sarif(out)["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///home/ci/repo/"}}
    location = run["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "out/broken.yaml", "uriBaseId": "%SRCROOT%"}


def test_sarif_empty_report() -> None:
    run = check_sarif(to_sarif(Report(files=1), RULES, "0.1.0"))["runs"][0]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []


def test_sarif_schema_rejects_bad_output() -> None:
    """The hand-written schema is not vacuous."""
    log = json.loads(to_sarif(make_report(), RULES, "0.1.0"))
    log["runs"][0]["results"][0]["level"] = "info"
    with pytest.raises(AssertionError):
        check_sarif(json.dumps(log) + "\n")
    del log["runs"][0]["tool"]["driver"]["name"]
    assert list(Draft202012Validator(SARIF_SUBSET_SCHEMA).iter_errors(log))


# --- text -----------------------------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_text_plain_has_no_ansi_and_groups_by_file() -> None:
    out = to_text(make_report(), color=False)
    assert "\x1b" not in out
    lines = out.splitlines()
    assert lines[-1] == "3 errors, 2 warnings, 2 infos in 30 files (40 resources)"
    headers = [line for line in lines[:-1] if line and not line.startswith(" ")]
    assert headers == [
        "apps/web/deployment.yaml",
        "apps/web/ns.yaml",
        "apps/web/service.yaml",
        "argocd/apps 2024/app.yaml",
        "broken.yaml",
    ]
    deploy = lines[lines.index("apps/web/deployment.yaml") + 1]
    assert re.match(r"^  12  error +schema-invalid +Deployment/web/api +spec\.replicas: ", deploy)
    broken = lines[lines.index("broken.yaml") + 1]
    assert re.match(r"^ +-  error +yaml-invalid +- +not UTF-8 text", broken)
    # a multi-line message continues under the message column
    continuation = lines[lines.index("apps/web/deployment.yaml") + 2]
    assert continuation.strip() == "see: the schema, line 2"
    assert continuation.index("see:") == deploy.index("spec.replicas")
    assert "≠" in out and "wéb-äpp" in out


def test_text_colour() -> None:
    out = to_text(make_report(), color=True)
    assert ANSI.search(out)
    assert "\x1b[31merror" in out  # red errors
    assert "\x1b[33mwarning" in out  # yellow warnings
    assert re.search(r"\x1b\[2m +30  info ", out)  # dim infos
    plain = ANSI.sub("", out)
    assert plain.splitlines()[-1] == "3 errors, 2 warnings, 2 infos in 30 files (40 resources)"
    # same content as the uncoloured output once the codes are gone
    assert [line.rstrip() for line in plain.splitlines()] == [
        line.rstrip() for line in to_text(make_report(), color=False).splitlines()
    ]


def test_text_control_characters_cannot_reach_the_terminal() -> None:
    finding = Finding(Severity.ERROR, "r", "name \x1b[2J\x07 here", "f.yaml", 1)
    out = to_text(Report([finding], files=1, resources=0), color=False)
    assert "\x1b" not in out and "\x07" not in out
    assert "name \\x1b[2J\\x07 here" in out


@pytest.mark.parametrize(
    ("findings", "files", "resources", "expected"),
    [
        ([], 30, 40, "clean: no errors or warnings in 30 files (40 resources)"),
        ([], 1, 1, "clean: no errors or warnings in 1 file (1 resource)"),
        ([], 0, 0, "clean: no errors or warnings in 0 files (0 resources)"),
        ([FINDINGS[4]], 2, 3, "clean: no errors or warnings, 1 info in 2 files (3 resources)"),
        (
            [FINDINGS[2], FINDINGS[4]],
            2,
            3,
            "clean: no errors or warnings, 2 infos in 2 files (3 resources)",
        ),
        ([FINDINGS[0]], 1, 1, "1 error, 0 warnings, 0 infos in 1 file (1 resource)"),
        ([FINDINGS[1]], 1, 1, "0 errors, 1 warning, 0 infos in 1 file (1 resource)"),
        (
            [FINDINGS[0], FINDINGS[3], FINDINGS[1], FINDINGS[6], FINDINGS[4]],
            5,
            7,
            "2 errors, 2 warnings, 1 info in 5 files (7 resources)",
        ),
    ],
)
def test_summary_wording(
    findings: list[Finding], files: int, resources: int, expected: str
) -> None:
    report = make_report(findings, files=files, resources=resources)
    assert summary_line(report) == expected
    assert to_text(report, color=False).splitlines()[-1] == expected


def test_text_clean_report_is_just_the_summary() -> None:
    assert to_text(Report(files=3, resources=5), color=False) == (
        "clean: no errors or warnings in 3 files (5 resources)\n"
    )
    coloured = to_text(Report(files=3, resources=5), color=True)
    assert coloured == "\x1b[32mclean: no errors or warnings in 3 files (5 resources)\x1b[0m\n"


# --- all formats ----------------------------------------------------------------------------


def test_every_format_is_deterministic_and_order_independent() -> None:
    a = make_report()
    b = Report(sorted(FINDINGS, key=lambda f: f.message), files=30, resources=40)
    for render in (
        to_json,
        lambda r: to_github(r, "out"),
        to_junit,
        lambda r: to_sarif(r, RULES, "1"),
        lambda r: to_text(r, color=True),
        lambda r: to_text(r, color=False),
    ):
        assert render(a) == render(a) == render(b)
