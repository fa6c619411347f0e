"""Generated docs: the README.md of every tree and of every app directory.

Expectations come from the model (hosts, apps, waves) and from the rendered documents (routes,
images, ExternalSecrets, NetworkPolicies), never from hard-coded strings; the pages are read back
with a Markdown parser, so an escaping mistake shows as a broken table, not as a string mismatch.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

import pytest
import yaml
from helpers import DEFAULT_CONFIG, REPO, documents
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token
from pydantic import BaseModel

from gigrouter.docs import facts as docs_facts
from gigrouter.docs import platform_readme, wave_reason
from gigrouter.helm import grafana_fullname
from gigrouter.layout import README, TreeSettings
from gigrouter.markdown import MermaidIds, code, comment, label, table, text
from gigrouter.model import Platform, Route
from gigrouter.pipeline import Built, build_trees, combine, tree_outputs
from gigrouter.render import RenderedTree, render
from gigrouter.types import printable
from gigrouter.validate.runner import validate_memory
from gigrouter.validate.tree import MemoryFiles

GOLDEN = REPO / "tests" / "golden"
CONFIGS = {
    "default": DEFAULT_CONFIG,
    **{
        p.name: p / "config.yaml" for p in sorted(GOLDEN.iterdir()) if (p / "config.yaml").is_file()
    },
}
BASE: dict[str, Any] = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
MD = MarkdownIt("commonmark").enable("table")


# --- reading Markdown back --------------------------------------------------------------------


def plain(token: Token) -> str:
    """The text a reader sees in an inline token: code spans unwrapped, <br> as a line break."""
    out = []
    for child in token.children or []:
        if child.type in ("text", "text_special", "code_inline"):
            out.append(child.content)
        elif child.type == "html_inline" and child.content == "<br>":
            out.append("\n")
        elif child.type == "html_inline":
            raise AssertionError(f"raw HTML in the page: {child.content!r}")
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
    return "".join(out)


Table = tuple[list[str], list[list[str]]]


def tables(markdown: str) -> list[Table]:
    """Every table of the page: header cells and body rows, as plain text."""
    found: list[Table] = []
    head: list[str] = []
    body: list[list[str]] = []
    row: list[str] | None = None
    in_head = False
    for token in MD.parse(markdown):
        if token.type == "table_open":
            head, body = [], []
        elif token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append(plain(token))
        elif token.type == "tr_close" and row is not None:
            if in_head:
                head = row
            else:
                body.append(row)
            row = None
        elif token.type == "table_close":
            found.append((head, body))
    return found


def table_with(markdown: str, *columns: str) -> list[dict[str, str]]:
    """The rows of the table whose header starts with ``columns`` (at most one), as dicts;
    no rows when the page has no such table."""
    found = [(h, b) for h, b in tables(markdown) if tuple(h[: len(columns)]) == columns]
    assert len(found) <= 1, columns
    return [dict(zip(head, row, strict=True)) for head, body in found for row in body]


def paragraphs(markdown: str) -> list[str]:
    return [plain(t) for t in MD.parse(markdown) if t.type == "inline"]


def mermaid_blocks(markdown: str) -> list[str]:
    return [t.content for t in MD.parse(markdown) if t.type == "fence" and t.info == "mermaid"]


def flat(value: str) -> str:
    """A config string as a code span shows it: line breaks become spaces."""
    return re.sub(r"\r\n|[\r\n\u2028\u2029]", " ", value)


def broken(value: str) -> str:
    """A config string as ``text`` shows it: line breaks become <br> (read back as \\n)."""
    return re.sub(r"\r\n|[\r\n\u2028\u2029]", "\n", value)


# --- the trees under test ---------------------------------------------------------------------


def appsets_config(tmp_path: Path) -> Path:
    (tmp_path / "environments").mkdir()
    text_ = DEFAULT_CONFIG.read_text().replace(
        "    path: argocd\n", "    path: argocd\n  applicationsets:\n    generator: list\n", 1
    )
    (tmp_path / "platform.yaml").write_text(text_)
    shutil.copy(DEFAULT_CONFIG.parent / "environments" / "staging.yaml", tmp_path / "environments")
    return tmp_path / "platform.yaml"


@pytest.fixture(scope="module", params=[*CONFIGS, "applicationsets"])
def trees(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> list[Built]:
    if request.param == "applicationsets":
        return build_trees(appsets_config(tmp_path_factory.mktemp("sets")), everything=True)
    return build_trees(CONFIGS[request.param], everything=True)


def deployed_components(platform: Platform) -> list[BaseModel]:
    """The component models that the enabled applications render."""
    out: list[BaseModel] = []
    for app in platform.active_applications():
        name = app.manifests or (
            "observability" if app.helm is not None and app.helm.values_in_repo else None
        )
        component = getattr(platform.components, name) if name else None
        if isinstance(component, BaseModel):
            out.append(component)
    return out


def model_routes(model: Any) -> list[Route]:
    """Every Route reachable from ``model``."""
    if isinstance(model, Route):
        return [model]
    if isinstance(model, BaseModel):
        return [r for f in type(model).model_fields for r in model_routes(getattr(model, f))]
    if isinstance(model, list):
        return [r for item in model for r in model_routes(item)]
    return []


# --- what the docs must say -------------------------------------------------------------------


def app_prefix(built: Built) -> str:
    """The prefix of the tree's Application names, read from its metadata file."""
    meta = yaml.safe_load(built.tree.files["gigrouter-metadata.yaml"])
    return str(meta["argocd"]["root"]).removesuffix(built.platform.argocd.root.name)


def application(cell: str) -> str:
    """The Application name at the start of a waves-table cell."""
    return cell.split(" ")[0].split(",")[0]


def test_every_host_app_and_wave_of_the_config_appears(trees: list[Built]) -> None:
    for built in trees:
        platform, readme = built.platform, built.tree.files[README]
        prefix = app_prefix(built)
        waves = {
            application(row["Application"]): row["wave"]
            for row in table_with(readme, "wave", "Application")
        }
        assert waves == {
            prefix + a.name: str(platform.wave_of(a.name)) for a in platform.active_applications()
        }
        hosts = {r.host for c in deployed_components(platform) for r in model_routes(c)}
        routed = {row["host"] for row in table_with(readme, "host", "path")}
        assert hosts and routed == hosts, built.environment
        blocks = mermaid_blocks(readme)
        for app in platform.active_applications():
            assert any(f'"{prefix}{app.name}<br/>' in b for b in blocks), app.name
        for wave in set(waves.values()):
            assert any(f'["wave {wave}"]' in b for b in blocks)


def test_the_waves_say_why(trees: list[Built]) -> None:
    built = trees[0]
    platform = built.platform
    reasons = {
        application(row["Application"]): row["why this wave"]
        for row in table_with(built.tree.files[README], "wave", "Application")
    }
    for app in platform.active_applications():
        reason = reasons[app.name]
        for dep in app.depends_on:
            assert f"{dep} (wave {platform.wave_of(dep)})" in reason
        if app.depends_on:
            assert "because it depends on" in reason
        if app.wave is not None:
            assert f"wave {app.wave} is set in the config" in reason
        if not app.depends_on and app.wave is None:
            assert "depends on nothing" in reason


def test_a_later_explicit_wave_says_what_its_dependencies_would_allow() -> None:
    platform = Platform.model_validate(BASE)
    for app in platform.active_applications():
        if app.wave is None or not app.depends_on:
            continue
        natural = max(platform.wave_of(d) for d in app.depends_on) + 1
        said = f"would allow wave {natural}" in wave_reason(platform, app)
        assert said == (app.wave > natural), app.name


def test_routes_are_those_of_the_rendered_ingresses_and_chart_values(trees: list[Built]) -> None:
    for built in trees:
        rendered = {
            (
                rule["host"],
                p["path"],
                be["name"],
                be["port"]["number"],
                doc["metadata"]["namespace"],
            )
            for _, doc in documents(built.tree)
            if doc["kind"] == "Ingress"
            for rule in doc["spec"]["rules"]
            for p in rule["http"]["paths"]
            for be in [p["backend"]["service"]]
        }
        values = [p for p in built.tree.files if p.endswith("/values.yaml")]
        for path in values:
            grafana = yaml.safe_load(built.tree.files[path]).get("grafana", {})
            if grafana.get("ingress", {}).get("enabled"):
                app = next(a for a in built.platform.active_applications() if a.path == path[:-12])
                assert app.helm is not None
                name = grafana_fullname(app.helm.release_name or app.name, grafana)
                for host in grafana["ingress"]["hosts"]:
                    rendered.add((host, grafana["ingress"]["path"], name, 80, app.namespace))
        documented = {
            (
                row["host"],
                row["path"].split(" ")[0],
                row["service"],
                int(row["port"]),
                row["namespace"],
            )
            for row in table_with(built.tree.files[README], "host", "path")
        }
        assert documented == rendered


def test_images_are_those_of_the_rendered_workloads(trees: list[Built]) -> None:
    for built in trees:
        rendered = set()
        for _, doc in documents(built.tree):
            if doc["kind"] in ("Deployment", "DaemonSet", "Job"):
                for c in doc["spec"]["template"]["spec"]["containers"]:
                    name, tag, digest = docs_facts.split_image(c["image"])
                    version = " ".join(v for v in (tag, digest) if v) or "none"
                    workload = f"{doc['kind']} {doc['metadata']['name']}"
                    rendered.add((name, version, workload, doc["metadata"]["namespace"]))
        documented = {
            (row["image"], row["version"], row["workload"], row["namespace"])
            for row in table_with(built.tree.files[README], "image", "version")
        }
        assert documented == rendered


def test_external_secrets_are_those_rendered_by_reference_only(trees: list[Built]) -> None:
    for built in trees:
        rendered = {
            (
                doc["metadata"]["name"],
                doc["metadata"]["namespace"],
                doc["spec"]["secretStoreRef"]["name"],
                item["remoteRef"]["key"],
                item["remoteRef"].get("property", "the whole value"),
                f"{doc['spec']['target']['name']} key {item['secretKey']}",
            )
            for _, doc in documents(built.tree)
            if doc["kind"] == "ExternalSecret"
            for item in doc["spec"]["data"]
        }
        readme = built.tree.files[README]
        documented = {
            tuple(
                row[c]
                for c in (
                    "ExternalSecret",
                    "namespace",
                    "store",
                    "remote key",
                    "property",
                    "into Secret",
                )
            )
            for row in table_with(readme, "ExternalSecret", "namespace")
        }
        assert documented == rendered
        stores = {
            (doc["metadata"]["name"], doc["metadata"]["namespace"])
            for _, doc in documents(built.tree)
            if doc["kind"] == "SecretStore"
        }
        rows = table_with(readme, "SecretStore", "namespace")
        assert {(r["SecretStore"], r["namespace"]) for r in rows} == stores


def test_network_policies_are_those_rendered(trees: list[Built]) -> None:
    for built in trees:
        rendered = {
            (doc["metadata"]["name"], doc["metadata"]["namespace"])
            for _, doc in documents(built.tree)
            if doc["kind"] == "NetworkPolicy"
        }
        readme = built.tree.files[README]
        documented = {
            (r["NetworkPolicy"], r["namespace"]) for r in table_with(readme, "NetworkPolicy")
        }
        assert documented == rendered
        for row in table_with(readme, "namespace", "deployed by"):
            policies = sorted(p for p, ns in rendered if ns == row["namespace"])
            assert row["network policies"] in ({", ".join(policies)} if policies else {"none", ""})


def test_helm_charts_and_versions_are_listed(trees: list[Built]) -> None:
    for built in trees:
        charts = {
            (a.helm.chart, a.helm.version, app_prefix(built) + a.name)
            for a in built.platform.active_applications()
            if a.helm is not None
        }
        rows = table_with(built.tree.files[README], "chart", "version")
        assert {(r["chart"], r["version"], r["Application"]) for r in rows} == charts


# --- secrets never leak -----------------------------------------------------------------------

LEAK = "leaked-value-7f3a9c"


def leaky_config() -> dict[str, Any]:
    """The default config with a recognisable value wherever a value could be written: env
    values, ConfigMap data, web service config, Helm values and parameters, chart values."""
    data = copy.deepcopy(BASE)
    comps = data["components"]
    comps["backend"]["env"].append({"name": "API_TOKEN", "value": f"{LEAK}-env"})
    comps["backend"]["config_map"]["data"]["SECRET_KEY"] = f"{LEAK}-configmap"
    comps["logging"]["kibana"]["env"].append({"name": "PASSWORD", "value": f"{LEAK}-kibana"})
    comps["observability"]["extra_values"] = {"grafana": {"adminPassword": f"{LEAK}-values"}}
    alb = data["applications"][0]["helm"]
    alb["values"]["password"] = f"{LEAK}-inline"
    alb["parameters"] = {"token": f"{LEAK}-parameter"}
    comps["services"] = {
        "secret_store": {"name": "svc-store"},
        "service_account": "backend-sa",
        "items": [
            {
                "name": "api",
                "image": "registry.example.com/api:1.0.0",
                "port": 8080,
                "service": {"name": "api", "port": 80},
                "config": {"DB_PASSWORD": f"{LEAK}-service-config"},
                "secrets": [{"secret_key": "TOKEN", "remote_key": "team/api", "property": "t"}],
            }
        ],
    }
    data["applications"].append(
        {
            "name": "services",
            "file": "services.yaml",
            "namespace": "backend",
            "depends_on": ["external-secrets"],
            "path": "services",
            "manifests": "services",
        }
    )
    return data


def test_no_value_reaches_the_docs_but_every_reference_does() -> None:
    tree = render(tree_outputs(Platform.model_validate(leaky_config())))
    manifests = "".join(t for p, t in tree.files.items() if not p.endswith(README))
    pages = {p: t for p, t in tree.files.items() if p.endswith(README)}
    kinds = ("env", "configmap", "kibana", "values", "inline", "parameter", "service-config")
    for kind in kinds:
        assert f"{LEAK}-{kind}" in manifests, kind  # the value is really in the tree
    assert set(pages) >= {README, "backend/README.md", "services/README.md"}
    for path, page in pages.items():
        assert LEAK not in page, path
    for remote in (
        "team/api",
        BASE["components"]["backend"]["external_secret"]["data"][0]["remote_key"],
    ):
        assert f"`{remote}`" in pages[README]


# --- escaping ---------------------------------------------------------------------------------

# Config strings: printable ASCII, some Unicode (spaces and line separators among them), and the
# characters with a meaning in Markdown, HTML or Mermaid, which are drawn far more often.
SPECIAL = [*"|<>`\\*_[]()&$~!#-+=:.;%@\n\t ", "\u2028", "\u2029", "\u00a0"]
ALPHABET = [*SPECIAL * 4, *map(chr, range(0x20, 0x7F)), *"éß→€中😀\u0301"]
CONFIG_TEXT = st.text(alphabet=st.sampled_from(ALPHABET), max_size=40).map(printable)


TRICKY = [
    "a|b",
    "`code`",
    "``x`` y `",
    " ` ",
    "   ",
    "<script>alert(1)</script>",
    "line one\nline two",
    "a\\|b",
    "trailing\\",
    "&amp; &#124;",
    "$x$ ~~gone~~ *em* _em_ [link](http://x) ![i](y)",
    "-->",
    "| --- |",
    "#",
]


def check_table_cells(value: str) -> None:
    page = table(["a", "b", "c"], [[text(value), code(value), "END"]])
    ((head, body),) = tables(page)
    assert head == ["a", "b", "c"]
    ((as_text, as_code, end),) = body
    assert end == "END"  # no column leaked or shifted
    assert as_text.strip() == broken(value).strip()
    assert as_code == flat(value)  # a code span is exact, whatever the cell trims
    assert "\n" not in page.split("\n", 2)[2].rstrip("\n")  # the row stays one line


@given(CONFIG_TEXT)
@settings(max_examples=300)
def test_text_and_code_keep_a_table_intact(value: str) -> None:
    check_table_cells(value)


@pytest.mark.parametrize("value", TRICKY)
def test_tricky_strings_in_tables(value: str) -> None:
    check_table_cells(value)


@pytest.mark.parametrize("value", TRICKY)
def test_text_and_code_in_prose(value: str) -> None:
    page = f"before {text(value)} and {code(value, in_table=False)} after\n"
    (paragraph,) = paragraphs(page)
    assert paragraph.startswith("before ") and paragraph.endswith(" after")
    if flat(value) == value:  # without line breaks the code span is exact
        assert f" and {value}" in paragraph or f" and {value.strip()}" in paragraph


def test_a_comment_cannot_be_closed_early() -> None:
    page = comment("made from x-->y.yaml --> <b>") + "\n\n# title\n"
    assert MD.parse(page)[0].type == "html_block"
    assert page.count("-->") == 1 and page.rstrip().endswith("# title")


@given(description=CONFIG_TEXT, reason=CONFIG_TEXT, remote=CONFIG_TEXT, prop=CONFIG_TEXT)
@example(description="a|b\n`c`", reason="x | *y* `z`\nw", remote="k|``e``", prop=" p\\|")
@settings(max_examples=40, deadline=None)
def test_config_strings_cannot_break_the_readme(
    description: str, reason: str, remote: str, prop: str
) -> None:
    data = copy.deepcopy(BASE)
    data["description"] = description
    data["applications"][0]["description"] = description
    data["externals"][0]["reason"] = reason
    data["components"]["backend"]["external_secret"]["data"][0].update(
        remote_key=remote, property=prop
    )
    platform = Platform.model_validate(data)
    page = platform_readme(platform, TreeSettings())
    outside = {r["name"]: r for r in table_with(page, "kind", "namespace", "name", "why")}
    assert outside[data["externals"][0]["name"]]["why"].strip() == broken(reason).strip()
    (secret,) = table_with(page, "ExternalSecret", "namespace")
    assert secret["remote key"].strip() == flat(remote).strip()
    assert secret["property"].strip() == flat(prop).strip()
    assert secret["refresh"] == "1h"
    (lead,) = [p for p in paragraphs(page) if p.endswith("Argo CD deploys it from this tree.")]
    assert lead.startswith(platform.name)
    if description.strip():
        assert lead.startswith(f"{platform.name}: ")
        assert broken(description.strip()) in lead
    assert_mermaid_valid(page)


# --- Mermaid ----------------------------------------------------------------------------------

ID = r"[a-z][a-z0-9_]*"
LABEL = r'"(?:[^"\n])*"'
NODE = re.compile(rf"^({ID})(\[{LABEL}\]|\(\[{LABEL}\]\)|\[\({LABEL}\)\]|\{{\{{{LABEL}\}}\}})$")
EDGE = re.compile(rf"^({ID}) (-->|-\.->|==>)(?:\|{LABEL}\|)? ({ID})$")
SUBGRAPH = re.compile(rf"^subgraph ({ID})\[{LABEL}\]$")
KEYWORDS = {"end", "graph", "flowchart", "subgraph", "style", "class", "classDef", "click"}


def assert_mermaid_valid(page: str) -> None:
    """Each diagram: a flowchart header, balanced subgraph/end, only node, edge and subgraph
    statements with safe ids, every edge between declared ids, labels without raw quotes."""
    blocks = mermaid_blocks(page)
    assert blocks
    for block in blocks:
        lines = [line.strip() for line in block.splitlines()]
        assert lines[0] == "flowchart LR"
        depth, declared, used = 0, set[str](), set[str]()
        for line in lines[1:]:
            if line == "end":
                depth -= 1
                assert depth >= 0, block
            elif m := SUBGRAPH.match(line):
                depth += 1
                declared.add(m.group(1))
            elif m := NODE.match(line):
                declared.add(m.group(1))
            elif m := EDGE.match(line):
                used.update((m.group(1), m.group(3)))
            else:
                raise AssertionError(f"not a node, edge or subgraph: {line!r}")
            assert "`" not in line
        assert depth == 0, block
        assert used <= declared, used - declared
        assert not declared & KEYWORDS


def test_every_readme_has_valid_diagrams(trees: list[Built]) -> None:
    for built in trees:
        assert_mermaid_valid(built.tree.files[README])


@given(st.lists(CONFIG_TEXT, min_size=1, max_size=3))
def test_mermaid_labels_escape_everything(lines: list[str]) -> None:
    quoted = label(*lines)
    assert quoted.startswith('"') and quoted.endswith('"')
    inner = quoted[1:-1]
    assert not set(inner) & set('"`|\n\r')
    assert re.fullmatch(r"(?:[^<>#&]|<br/>|#(?:\d+|quot|lt|gt|amp);)*", inner)
    assert decode_label(inner) == "\n".join(broken(line) for line in lines)


def decode_label(inner: str) -> str:
    """What Mermaid shows for a label: entity codes decoded, <br/> as a line break."""
    named = {"quot": '"', "lt": "<", "gt": ">", "amp": "&"}
    return re.sub(
        r"#(\w+);",
        lambda m: named.get(m.group(1)) or chr(int(m.group(1))),
        inner.replace("<br/>", "\n"),
    )


@given(st.lists(st.tuples(st.sampled_from(["app", "ns", "svc"]), CONFIG_TEXT), max_size=30))
def test_mermaid_ids_are_safe_and_distinct(keys: list[tuple[str, str]]) -> None:
    ids = MermaidIds()
    made = {key: ids(*key) for key in keys}
    assert all(re.fullmatch(ID, i) and i not in KEYWORDS for i in made.values())
    assert len(set(made.values())) == len(made)
    assert {key: ids(*key) for key in keys} == made  # stable


# --- the tree: integration, links, determinism, golden --------------------------------------------


def test_every_app_directory_has_a_readme(trees: list[Built]) -> None:
    for built in trees:
        dirs = {
            a.path
            for a in built.platform.active_applications()
            if a.path is not None and any(p.startswith(a.path + "/") for p in built.tree.files)
        }
        for d in dirs:
            page = built.tree.files[f"{d}/{README}"]
            assert_no_broken_table(page)
        meta = yaml.safe_load(built.tree.files["gigrouter-metadata.yaml"])
        assert README in meta["entries"]  # publish owns the root README


def assert_no_broken_table(page: str) -> None:
    for head, body in tables(page):
        assert all(len(row) == len(head) for row in body)


def test_links_point_into_the_tree(trees: list[Built]) -> None:
    tree = combine(trees)
    pages = [p for p in tree.files if PurePosixPath(p).name == README]
    assert len(pages) > len(trees)
    for page in pages:
        base = PurePosixPath(page).parent
        for token in MD.parse(tree.files[page]):
            for child in token.children or []:
                if child.type == "link_open":
                    target = unquote(str(child.attrs["href"]))
                    resolved = _normalize(base / target)
                    assert resolved in tree.files, f"{page}: {target}"


def _normalize(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            assert parts, path
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def test_argo_cd_and_validate_ignore_the_readmes(trees: list[Built]) -> None:
    tree = combine(trees)
    report = validate_memory(MemoryFiles(tree.files, tree.documents))
    assert not [f for f in report.findings if f.file.endswith(README)]
    assert not [p for p in tree.documents if p.endswith(README)]


# The same pages computed by a fresh interpreter: printed as JSON, the platform README of the
# bare BASE model under the key "".
DOCS_IN_A_CHILD = """
import json, sys
from pathlib import Path
import yaml
from gigrouter.docs import platform_readme
from gigrouter.layout import README, TreeSettings
from gigrouter.model import Platform
from gigrouter.pipeline import build_trees, combine
config = Path(sys.argv[1])
tree = combine(build_trees(config, everything=True))
pages = {p: t for p, t in tree.files.items() if p.endswith(README)}
base = Platform.model_validate(yaml.safe_load(config.read_text(encoding="utf-8")))
pages[""] = platform_readme(base, TreeSettings())
print(json.dumps(pages))
"""


def test_docs_are_deterministic() -> None:
    first = combine(build_trees(DEFAULT_CONFIG, everything=True))
    pages = {p: t for p, t in first.files.items() if p.endswith(README)}
    platform = Platform.model_validate(BASE)
    mine = {**pages, "": platform_readme(platform, TreeSettings())}
    # Independent of this process: interpreters with other hash seeds (so another order of
    # every set and of str-keyed hashing) must print the very same pages.
    for seed in ("0", "1"):
        child = subprocess.run(
            [sys.executable, "-c", DOCS_IN_A_CHILD, str(DEFAULT_CONFIG)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert child.returncode == 0, child.stderr
        assert json.loads(child.stdout) == mine, f"PYTHONHASHSEED={seed}"
    for page in pages.values():
        assert page.endswith("\n") and not page.endswith("\n\n") and "\r" not in page
        assert not re.search(r"\b20\d\d-\d\d-\d\d\b|\d\d:\d\d:\d\d", page)


@pytest.mark.parametrize("case", ["out", *sorted(p.name for p in GOLDEN.iterdir())])
def test_golden_trees_hold_the_docs(case: str) -> None:
    """The golden trees (compared byte for byte by test_golden) include every README."""
    expected = REPO / "out" if case == "out" else GOLDEN / case / "expected"
    config = DEFAULT_CONFIG if case == "out" else GOLDEN / case / "config.yaml"
    tree: RenderedTree = combine(build_trees(config, everything=True))
    pages = sorted(p for p in tree.files if PurePosixPath(p).name == README)
    assert README in pages
    for page in pages:
        assert (expected / page).read_text(encoding="utf-8") == tree.files[page], page


def test_the_readme_example_is_real_output() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Generated docs\n", 1)[1].split("\n### ", 1)[0]
    (example,) = re.findall(r"```markdown\n(.*?)```", section, re.S)
    page = (REPO / "out" / README).read_text(encoding="utf-8").splitlines()
    for line in example.splitlines():
        assert line in page, line
