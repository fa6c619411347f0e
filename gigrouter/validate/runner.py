"""Run every check over a tree (and each environment tree) and collect one report."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from gigrouter import parallel
from gigrouter.errors import Location, Problem, UsageError
from gigrouter.helm import CHART_CRD_GROUPS
from gigrouter.provenance import ConfigFiles, Lines, disk_lines
from gigrouter.safeyaml import cut
from gigrouter.validate.context import Context, External, Index, Options, as_list, dig
from gigrouter.validate.findings import Finding, Report, Severity
from gigrouter.validate.lines import locate
from gigrouter.validate.origins import attach
from gigrouter.validate.scope import from_crd_files
from gigrouter.validate.settings import Settings, excluder, read_settings
from gigrouter.validate.shapes import RULES as SHAPE_RULES
from gigrouter.validate.tree import (
    MemoryFiles,
    Tree,
    environment_roots,
    load_tree,
    namespace_in,
)

WAIVER_PREFIX = "ignore-check.gigrouter.io/"
Check = Callable[[Context], Iterable[Finding]]

CORE_RULES = {
    "yaml-invalid": "A file is not valid YAML, not UTF-8, or cannot be read.",
    "yaml-duplicate-key": "A mapping gives one key twice (the API server keeps the last value).",
    "document-incomplete": "A document has no apiVersion, kind or metadata.name.",
    "waiver-without-reason": "An ignore-check annotation gives no reason.",
    "symlink-outside-tree": "A symlink points outside the tree, dangles or loops (never followed).",
    "document-too-large": (
        "A file is too large, or a YAML document expands (aliases included) or nests beyond"
        " what validate reads."
    ),
}


def _modules() -> list[Any]:
    from gigrouter.validate.rules import (
        alb,
        apiserver,
        argocd,
        hosts,
        integrity,
        ownership,
        references,
        schema,
        security,
    )

    return [schema, apiserver, integrity, references, argocd, alb, hosts, ownership, security]


def all_rules() -> dict[str, str]:
    """Every rule id with its description, for reports and documentation."""
    from gigrouter.validate import settings

    rules = dict(CORE_RULES)
    rules.update(SHAPE_RULES)
    rules.update(settings.RULES)
    for module in _modules():
        rules.update(module.RULES)
    return dict(sorted(rules.items()))


# The severity each rule reports at unless options or the repository's settings change it
# (a module may export SEVERITY for its own rules). "warning" rules are errors with --strict;
# reference rules marked "error" are at the --unresolved level when the target is missing.
DEFAULT_SEVERITY = {
    "alb-annotations-ignored": "warning",
    "alb-duplicate-route": "error",
    "alb-exclusive-conflict": "error",
    "alb-https-listener-missing": "error",
    "alb-invalid-annotation": "error",
    "alb-order-implicit": "warning",
    "alb-scheme-default": "info",
    "alb-shadowed-path": "error",
    "api-removed": "error",
    "app-wave-unwaited": "warning",
    "applicationset-unordered": "warning",
    "apply-order": "error",
    "argocd-app-namespace": "error",
    "argocd-app-path": "error",
    "argocd-unpinned": "warning",
    "configmap-ref": "error",
    "crd-order": "error",
    "custom-schema": "error",
    "document-incomplete": "error",
    "document-too-large": "error",
    "duplicate-resource": "error",
    "hook-unknown": "error",
    "host-outside-domain": "warning",
    "hostpath-writable": "warning",
    "image-tag": "warning",
    "ingress-backend": "error",
    "ingress-class-annotation-deprecated": "info",
    "ingress-class-missing": "warning",
    "ingress-tls-secret": "error",
    "job-immutable": "warning",
    "monitor-port": "error",
    "monitor-selects-nothing": "warning",
    "namespace-missing": "error",
    "networkpolicy-namespace-label": "error",
    "networkpolicy-namespace-unknown": "warning",
    "networkpolicy-selects-nothing": "warning",
    "object-owned-twice": "error",
    "pdb-selects-nothing": "warning",
    "priority-class-ref": "error",
    "privileged": "warning",
    "probe-port": "error",
    "pull-secret-type": "error",
    "pvc-ref": "error",
    "rbac-role-ref": "error",
    "rbac-subject-ref": "error",
    "readiness-probe-missing": "warning",
    "replace-with-ssa": "info",
    "resources-missing": "warning",
    "scale-target-ref": "error",
    "schema": "error",
    "secret-in-git": "error",
    "secret-ref": "error",
    "secret-store-ref": "error",
    "selector-mismatch": "error",
    "service-account-ref": "error",
    "service-selects-nothing": "warning",
    "service-target-port": "error",
    "symlink-outside-tree": "error",
    "sync-wave-format": "error",
    "unknown-kind": "warning",
    "value-invalid": "error",
    "waiver-without-reason": "warning",
    "wave-order": "error",
    "yaml-invalid": "error",
}


def catalogue() -> list[tuple[str, str, str]]:
    """(rule id, default severity, description) of every rule, sorted by id; a rule no table
    gives a severity to says "varies"."""
    from gigrouter.validate import settings

    severities = dict(DEFAULT_SEVERITY)
    severities.update(settings.SEVERITY)
    for module in _modules():
        severities.update(getattr(module, "SEVERITY", {}))
    return [(rule, severities.get(rule, "varies"), text) for rule, text in all_rules().items()]


def _externals(tree: Tree, options: Options) -> dict[tuple[str, str, str], External]:
    out: dict[tuple[str, str, str], External] = {}
    declared = tree.metadata.get("externals")
    if isinstance(declared, list):
        for item in declared:
            if isinstance(item, dict) and item.get("kind") and item.get("name"):
                ext = External(
                    str(item["kind"]),
                    str(item.get("namespace") or ""),
                    str(item["name"]),
                    tuple(str(k) for k in as_list(item.get("keys"))),
                    tuple(
                        p
                        for p in as_list(item.get("ports"))
                        if isinstance(p, int) and not isinstance(p, bool)
                    ),
                )
                out[ext.key] = ext
    for ext in options.externals:
        out[ext.key] = ext
    return out


def _crd_groups(tree: Tree) -> dict[str, str]:
    groups: dict[str, str] = {}
    for app in tree.applications:
        sources = dig(app.document, "spec", "sources")
        if not isinstance(sources, list):
            sources = [dig(app.document, "spec", "source")]
        for src in sources:
            chart = src.get("chart") if isinstance(src, dict) else None
            if not isinstance(chart, str) or chart not in CHART_CRD_GROUPS:
                continue
            if dig(src, "helm", "skipCrds") is True:
                continue
            for group in CHART_CRD_GROUPS[chart]:
                groups.setdefault(group, app.name)
    declared = tree.metadata.get("crds")
    if isinstance(declared, list):
        for item in declared:
            if isinstance(item, dict) and isinstance(item.get("groups"), list):
                for group in item["groups"]:
                    groups[str(group)] = str(item.get("application", ""))  # the config knows best
    return groups


def build_context(tree: Tree, options: Options, trees: Sequence[Tree] = ()) -> Context:
    """What the rules see of ``tree``; ``trees`` are all trees of the run (for rules across
    trees), ``tree`` among them."""
    argocd = tree.metadata.get("argocd")
    health = argocd.get("applicationHealthCheck") if isinstance(argocd, dict) else None
    return Context(
        tree=tree,
        options=options,
        index=Index.build(tree.documents),
        externals=_externals(tree, options),
        crd_groups=_crd_groups(tree),
        health_check=health if isinstance(health, bool) else None,
        run_trees=tuple(trees),
    )


# Rule modules a forked copy runs for a tree of at least PARALLEL_DOCUMENTS documents while this
# process runs the others (together about half the checking time of a large rendered tree).
COPY_MODULES = frozenset({"schema", "integrity"})
PARALLEL_DOCUMENTS = 400


def check_tree(tree: Tree, options: Options, trees: Sequence[Tree] = ()) -> list[Finding]:
    ctx = build_context(tree, options, trees)
    modules = _modules()

    def run(part: list[Any]) -> dict[str, list[Finding]]:
        return {module.__name__: list(module.check(ctx)) for module in part}

    if len(tree.documents) >= PARALLEL_DOCUMENTS:
        copied = [m for m in modules if m.__name__.rpartition(".")[2] in COPY_MODULES]
        mine = [m for m in modules if m not in copied]
        here, there = parallel.split(lambda: run(mine), lambda: run(copied))
        by_module = here | there
    else:
        by_module = run(modules)
    findings = list(tree.findings)
    for module in modules:  # the modules' order, however they ran
        findings.extend(by_module[module.__name__])
    return list(_apply_waivers(findings, ctx))


def _apply_waivers(findings: list[Finding], ctx: Context) -> Iterator[Finding]:
    reported_missing: set[tuple[str, str]] = set()
    for finding in findings:
        res = finding.resource
        doc = ctx.index.get(res.kind, res.namespace, res.name) if res is not None else None
        if doc is None or finding.severity is Severity.INFO:
            yield finding
            continue
        key = WAIVER_PREFIX + finding.rule
        if key not in doc.annotations:
            yield finding
            continue
        reason = doc.annotations[key]
        if isinstance(reason, str) and reason.strip():
            yield replace(
                finding,
                severity=Severity.INFO,
                message=f"waived ({reason.strip()}): {finding.message}",
                waived_because=reason.strip(),
            )
            continue
        yield finding
        if (str(res), finding.rule) not in reported_missing:
            reported_missing.add((str(res), finding.rule))
            yield ctx.finding(
                doc,
                Severity.WARNING,
                "waiver-without-reason",
                f"annotation {key} must say why the finding is accepted; the finding stands",
            )


def validate_path(path: Path, options: Options | None = None) -> Report:
    """Validate the tree at ``path`` and every environments/<name>/ tree inside it."""
    if not path.exists():
        raise UsageError([Problem(Location(str(path)), "no such directory")])
    if not path.is_dir():
        raise UsageError([Problem(Location(str(path)), "is not a directory")])
    settings = read_settings(path, all_rules())
    options = settings.options(options or Options())
    skip = excluder(options.exclude + settings.exclude)
    trees = [load_tree(path, exclude=skip, render=options.render)]
    for name in environment_roots(path):
        prefix = f"environments/{name}/"
        trees.append(
            load_tree(path / "environments" / name, prefix=prefix, bound=path, exclude=skip)
        )
    # the config lines of the tree's provenance, from the config files it names
    return _report(trees, options, settings, disk_lines(path))


def validate_memory(
    files: MemoryFiles,
    options: Options | None = None,
    settings: Settings | None = None,
    lines: Lines | None = None,
) -> Report:
    """Validate a tree held in memory, as ``validate_path`` would once it is written;
    ``lines``: the config lines of its provenance (render's source maps), by default from the
    config files it names relative to the working directory."""
    settings = settings or Settings()
    options = settings.options(options or Options())
    skip = excluder(options.exclude + settings.exclude)
    trees = [load_tree(Path("."), memory=files, exclude=skip)]
    names = files.environments()
    for name in names:
        prefix = f"environments/{name}/"
        trees.append(load_tree(Path("."), prefix=prefix, memory=files.below(prefix), exclude=skip))
    return _report(trees, options, settings, lines or ConfigFiles((Path.cwd(),)))


def _report(
    trees: list[Tree],
    options: Options,
    settings: Settings | None = None,
    lines: Lines | None = None,
) -> Report:
    trees = [each for tree in trees for each in (tree, *tree.variants)]
    # Each tree placed its objects by its own CRDs; the run knows more (every tree's CRDs and
    # the --crd files, on one API server): a kind one of them declares cluster-scoped has no
    # namespace anywhere, and every tree's rules read these scopes.
    scopes = from_crd_files(options.crd_files).with_documents(
        doc.data for tree in trees for doc in tree.documents
    )
    for tree in trees:
        tree.scopes = scopes
        for doc in tree.documents:
            doc.namespace = namespace_in(doc, doc.app, scopes)
    report = Report()
    found: list[Finding] = []
    for tree in trees:
        located = locate(check_tree(tree, options, trees), tree.text)
        # (attach reads the whole provenance section: not for a tree with nothing to place)
        for finding in attach(located, tree.metadata, lines) if located else ():
            found.append(
                replace(finding, file=tree.prefix + finding.file, message=cut(finding.message))
            )
        report.files += len(tree.files)
        report.resources += len(tree.documents)
    report.findings = settings.apply(found) if settings is not None else found
    report.findings = report.sorted()
    return report
