"""The mutation check behind `make mutants`: prove that the tests notice when a check is gone.

For every rule id of `gigrouter validate` it makes two mutants of a temporary copy of the
package, and one for every cross-key check of the config:

The rule ids are those of ``runner.all_rules()``: the rule modules', the tree loader's, the
tree-shape rules of shapes.py and settings.py's rule-disabled.

- ``rule-off``: the rule is disabled; its findings are dropped wherever they leave a module:
  its rule module's ``check()``, and for findings made elsewhere the function FINDING_EXITS
  names (``load_tree``, ``_apply_waivers``, ``shapes.render``, ``Settings.apply``);
- ``report-off``: every statement that builds a Finding for the rule id (``ctx.finding(...)``,
  ``ctx.unresolved(...)``, ``Finding(...)`` with the id as an argument, in a local variable or
  a module constant, found with ``ast``) is made unreachable for that id (``S`` becomes
  ``if <id> != 'N': S``, an edit of the text, so every other line stays as it was); a
  ``return`` of an optional finding returns None instead, and a helper that always returns
  one has the statements calling it guarded instead, in its module or in the modules that
  import it (``shapes.unrendered()``, called in tree.py). For the schema-derived ids these are
  the statements that turn schema and value errors into findings;
- ``check-off``: one cross-key check of the config model is skipped: a ``problems.append(...)``
  or early ``return [...]`` of ``Platform.cross_check``, or a ``raise`` of a validator that
  compares several keys (model validators, field validators reading other fields); one more
  mutant drops every cross_check() result where ``build_platform`` turns them into problems.

Each mutant runs the part of the suite that must notice it (``-x -q``), in stages: the fast
targeted tests first, the broader ones only when the first stage passed. A mutant is killed
when a stage fails (pytest exit code 1). Before the mutants, an unmutated copy must pass every
selection, and a deliberately broken copy must fail: together with a check inside every pytest
run that ``gigrouter`` is imported from the copy, this proves the copy is what was tested.

Run: ``.venv/bin/python tests/mutants.py`` (``--list`` shows the mutants, ``--only TEXT`` runs
the mutants whose description contains TEXT, ``--per-site`` adds a ``site-off`` mutant for each
statement of a rule reported in several places). Exit status 0 only when every mutant is killed
and every mutation could be applied.
"""

from __future__ import annotations

import argparse
import ast
import functools
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "gigrouter"

# Calls that build a finding: Context.finding / Context.file_finding and the dataclass itself.
FINDING_CALLS = frozenset({"finding", "file_finding", "Finding", "unresolved"})

# Where findings made outside a rule module's check() leave their module (the function, or
# Class.method, that hands them back, and how: an iterator of findings, a list of them, or an
# object holding them in .findings, as a Tree does).
FINDING_EXITS = {
    # the loader's own findings, and the tree-shape rules' (shapes.unrendered() is called here)
    "gigrouter/validate/tree.py": ("load_tree", "tree"),
    "gigrouter/validate/runner.py": ("_apply_waivers", "iter"),
    # render-failed: what --render gives back for one chart or kustomization (a Rendered)
    "gigrouter/validate/shapes.py": ("render", "tree"),
    # rule-disabled: the repository's settings turn a disabled rule's findings into one info
    "gigrouter/validate/settings.py": ("Settings.apply", "list"),
    # references.py also reports secret-ref (a ServiceAccount's imagePullSecrets), a rule
    # integrity.py owns: those findings leave through its check()
    "gigrouter/validate/rules/references.py": ("check", "iter"),
}
FINDING_VAR = "_mutant_finding"

MODEL_FILE = "gigrouter/model/platform.py"  # class Platform and its cross_check
MODEL_DIR = "gigrouter/model/"
CONFIG_FILE = "gigrouter/config/load.py"
GOLDEN_FINDINGS_TEST = "tests/validate/test_golden_findings.py"
CROSSCHECK_TEST = "tests/test_config_crosschecks.py"
RULE_SUITE = "tests/validate"
CONFIG_SUITE = "tests/test_config.py"
SANITY_TEST = "tests/validate/test_runner.py"

# Exit codes of pytest (and of the guard below).
PYTEST_OK, PYTEST_FAILED, PYTEST_NO_TESTS = 0, 1, 5
GUARD_EXIT = 97

GUARD_PLUGIN = f'''"""Loaded with -p by tests/mutants.py: fail unless gigrouter comes from the mutated copy."""
import os

import gigrouter

_want = os.path.realpath(os.environ["GIGROUTER_MUTANT_COPY"]) + os.sep
_got = os.path.realpath(gigrouter.__file__)
if not _got.startswith(_want):
    import sys

    sys.stderr.write(f"mutants: gigrouter imported from {{_got}}, not from the copy {{_want}}\\n")
    sys.stderr.flush()
    os._exit({GUARD_EXIT})
'''


class MutationError(Exception):
    """A mutation that cannot be applied: itself a failure of the check."""


# --------------------------------------------------------------------------------------------
# Finding the places to mutate
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """One statement to make unreachable: ``file`` relative to the repository, 1-based lines."""

    file: str
    line: int
    end_line: int
    col: int
    rule_expr: str  # the source of the expression that holds the rule id ('"x"' or a name)
    returns_none: bool  # a `return <finding>` that becomes `return None` when guarded
    # the helper call whose finding decides, kept in FINDING_VAR (line, col, end line, end col)
    call: tuple[int, int, int, int] | None = None
    end_col: int = 0

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.line, self.col, self.end_line)


@functools.cache
def _parsed(source: str) -> ast.Module:
    """The syntax tree of ``source``, parsed once (callers must not change it)."""
    return ast.parse(source)


@functools.cache
def _parents_in(source: str) -> dict[ast.AST, ast.AST]:
    return _parents(_parsed(source))


@functools.cache
def _calls_in(source: str) -> dict[str, list[ast.Call]]:
    """The calls of ``source`` by the name of the function called."""
    calls: dict[str, list[ast.Call]] = {}
    for node in ast.walk(_parsed(source)):
        if isinstance(node, ast.Call):
            name = _call_name(node.func)
            if name is not None:
                calls.setdefault(name, []).append(node)
    return calls


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _enclosing(
    node: ast.AST, parents: dict[ast.AST, ast.AST], kinds: tuple[type[ast.AST], ...]
) -> ast.AST | None:
    current = parents.get(node)
    while current is not None and not isinstance(current, kinds):
        current = parents.get(current)
    return current


FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
# Expressions with a scope of their own: a call inside one cannot be moved before its statement.
_SCOPES = (ast.Lambda, ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp)


def _own_nodes(func: FunctionNode) -> Iterator[ast.AST]:
    """The nodes of ``func``'s body, not descending into nested functions or classes."""
    todo: list[ast.AST] = list(func.body)
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                todo.append(child)


def _is_generator(func: FunctionNode) -> bool:
    return any(isinstance(n, ast.Yield | ast.YieldFrom) for n in _own_nodes(func))


def _names_rule(func: FunctionNode | None, name: str, rule: str) -> bool:
    """Whether a local ``name`` of ``func`` is assigned an expression holding the id ``rule``."""
    return func is not None and rule in _assigned_strings(func).get(name, set())


@functools.cache
def _assigned_strings(func: FunctionNode) -> dict[str, set[str]]:
    """For each local name of ``func``, the string constants in the values assigned to it."""
    out: dict[str, set[str]] = {}
    for node in _own_nodes(func):
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        if value is None:
            continue
        strings = {c.value for c in ast.walk(value) if isinstance(c, ast.Constant)}
        for target in targets:
            if isinstance(target, ast.Name):
                out.setdefault(target.id, set()).update(v for v in strings if isinstance(v, str))
    return out


@functools.cache
def _module_strings(source: str) -> dict[str, set[str]]:
    """For each name a module assigns at its top level, the string constants assigned to it
    (``RULE_DISABLED = "rule-disabled"``)."""
    out: dict[str, set[str]] = {}
    for node in _parsed(source).body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                out.setdefault(target.id, set()).add(value.value)
    return out


def _rule_argument(
    call: ast.Call, func: FunctionNode | None, rule: str, source: str = ""
) -> ast.expr | None:
    """The argument of ``call`` that holds the id ``rule``: the constant, a local variable
    assigned from an expression holding it, or (when no local has that name) a constant of
    the module."""
    for arg in [*call.args, *(k.value for k in call.keywords)]:
        if isinstance(arg, ast.Constant) and arg.value == rule:
            return arg
        if isinstance(arg, ast.Name):
            local = func is not None and arg.id in _assigned_strings(func)
            if local and _names_rule(func, arg.id, rule):
                return arg
            if not local and rule in _module_strings(source).get(arg.id, set()):
                return arg
    return None


def _optional_return(func: FunctionNode) -> bool:
    if func.returns is None:
        return False
    text = ast.unparse(func.returns)
    return "None" in text or "Optional" in text


def _module_name(file: str) -> str:
    """The dotted name of the module in ``file`` (``gigrouter/validate/shapes.py``)."""
    return file.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def _imports(source: str, module: str, name: str) -> bool:
    """Whether ``source`` imports ``name`` from ``module`` (anywhere, under its own name)."""
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == module
        and any(a.name == name and a.asname is None for a in node.names)
        for node in ast.walk(_parsed(source))
    )


def _callers_elsewhere(
    file: str, name: str, sources: Mapping[str, str]
) -> Iterator[tuple[str, ast.Call]]:
    """The calls of the top-level function ``name`` of ``file`` made in the other modules of
    ``sources``: ``module.name(...)`` where the caller imports the module (``from
    gigrouter.validate import shapes``), or ``name(...)`` where it imports the function."""
    package, _, stem = _module_name(file).rpartition(".")
    for other, text in sorted(sources.items()):
        if other == file or name not in text:
            continue
        via_module = _imports(text, package, stem)
        direct = _imports(text, _module_name(file), name)
        for call in _calls_in(text).get(name, []):
            func = call.func
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == stem
                and via_module
            ) or (isinstance(func, ast.Name) and direct):
                yield other, call


def finding_sites(
    source: str, file: str, rule: str, sources: Mapping[str, str] | None = None
) -> list[Site]:
    """Every statement that reports a finding with id ``rule``, starting from ``source``.

    A statement is a ``yield``, ``return`` or expression (``x.append(...)``) holding a call to
    ``finding``/``file_finding``/``unresolved``/``Finding`` with the id, as a constant, as a
    local variable assigned from an expression holding it, or as a module constant. A
    ``return`` inside a function that returns an optional finding is guarded to return None. A
    helper that always returns a finding moves the site to the statements calling it: in the
    same module, and for a top-level helper also in the other modules of ``sources`` (file ->
    text) that import it or its module (such sites name the caller's file). When the helper
    builds only this one finding, those statements are guarded by its constant id; otherwise
    (it computes the id, or builds findings of several rules) they keep the helper's finding
    in ``_mutant_finding`` and report it only when its id is not ``rule``.
    """
    texts: dict[str, str] = {**(sources or {}), file: source}
    parents = _parents_in(source)
    sites: list[Site] = []
    # (file, call, the expression holding its id, or None when the call's own finding decides)
    calls: list[tuple[str, ast.Call, ast.expr | None]] = []
    by_name = _calls_in(source)
    for name in FINDING_CALLS:
        for node in by_name.get(name, []):
            func = _enclosing(node, parents, (ast.FunctionDef, ast.AsyncFunctionDef))
            assert func is None or isinstance(func, FunctionNode)
            arg = _rule_argument(node, func, rule, source)
            if arg is not None:
                calls.append((file, node, arg))
    helpers_done: set[tuple[str, str]] = set()
    while calls:
        at, call, arg = calls.pop()
        text = texts[at]
        parents = _parents_in(text)
        stmt = _enclosing(call, parents, (ast.stmt,))
        func = _enclosing(call, parents, (ast.FunctionDef, ast.AsyncFunctionDef))
        where = f"{at}:{call.lineno}"
        if not isinstance(stmt, ast.Expr | ast.Return):
            raise MutationError(
                f"{where}: a finding for {rule!r} is built in a {type(stmt).__name__} statement;"
                " tests/mutants.py can only remove yield, return and expression statements"
            )
        returns_none = False
        if isinstance(stmt, ast.Return):
            if not isinstance(func, FunctionNode):
                raise MutationError(f"{where}: a return outside a function")
            if not _is_generator(func):
                if _optional_return(func):
                    returns_none = True
                else:
                    if (at, func.name) in helpers_done:
                        continue
                    helpers_done.add((at, func.name))
                    callers = [(at, c) for c in _calls_in(text).get(func.name, [])]
                    if isinstance(parents.get(func), ast.Module):
                        callers.extend(_callers_elsewhere(at, func.name, texts))
                    if not callers:
                        raise MutationError(
                            f"{where}: nothing in {PACKAGE}/ calls {func.name}() of {at}"
                        )
                    builds = sum(
                        1
                        for n in _own_nodes(func)
                        if isinstance(n, ast.Call) and _call_name(n.func) in FINDING_CALLS
                    )
                    constant = isinstance(arg, ast.Constant) and builds == 1
                    calls.extend((f, c, arg if constant else None) for f, c in callers)
                    continue
        if arg is None:
            if any(isinstance(n, ast.Name) and n.id == FINDING_VAR for n in ast.walk(stmt)):
                raise MutationError(f"{where}: the statement already uses {FINDING_VAR}")
            scope = _enclosing(call, parents, (ast.stmt, *_SCOPES))
            if not isinstance(scope, ast.stmt):
                raise MutationError(
                    f"{where}: the finding for {rule!r} is made inside a"
                    f" {type(scope).__name__}, so it cannot be kept in {FINDING_VAR} first"
                )
            position = (
                call.lineno,
                call.col_offset,
                call.end_lineno or 0,
                call.end_col_offset or 0,
            )
            rule_expr = f"{FINDING_VAR}.rule"
        else:
            position, rule_expr = None, ast.unparse(arg)
        sites.append(
            Site(
                at,
                stmt.lineno,
                stmt.end_lineno or stmt.lineno,
                stmt.col_offset,
                rule_expr,
                returns_none,
                position,
                stmt.end_col_offset or 0,
            )
        )
    keys = [(s.file, *s.key) for s in sites]
    if len(set(keys)) != len(set(sites)):
        raise MutationError(f"{file}: one statement reports {rule!r} in two ways: {sorted(keys)}")
    return sorted(set(sites), key=lambda s: (s.file, *s.key))


@functools.cache
def _line_starts(data: bytes) -> list[int]:
    starts, at = [0], data.find(b"\n")
    while at != -1:
        starts.append(at + 1)
        at = data.find(b"\n", at + 1)
    return starts


class _Text:
    """Edits of a source by position (``ast`` columns are UTF-8 byte offsets), so everything
    but the mutated statements keeps its text and its line."""

    def __init__(self, source: str, file: str) -> None:
        self.data = source.encode("utf-8")
        self.file = file
        self.starts = _line_starts(self.data)
        self.edits: list[tuple[int, int, str]] = []

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col

    def statement_start(self, line: int, col: int) -> tuple[int, str]:
        """The offset of a statement that begins its line, and its indentation."""
        begin, start = self.starts[line - 1], self.offset(line, col)
        indent = self.data[begin:start].decode("utf-8")
        if indent.strip():
            raise MutationError(f"{self.file}:{line}: the statement does not begin its line")
        return start, indent

    def after_statement(self, line: int, col: int) -> int:
        """The offset of the line after a statement that ends its line (a comment may follow)."""
        end = self.offset(line, col)
        following = self.starts[line] if line < len(self.starts) else len(self.data)
        rest = self.data[end:following].decode("utf-8").strip()
        if rest and not rest.startswith("#"):
            raise MutationError(f"{self.file}:{line}: the statement does not end its line")
        return following

    def text(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8")

    def edit(self, start: int, end: int, replacement: str) -> None:
        self.edits.append((start, end, replacement))

    def result(self) -> str:
        ordered = sorted(self.edits, key=lambda e: (e[0], e[1]))
        for (_, end, _), (start, _, _) in itertools.pairwise(ordered):
            if end > start:
                raise MutationError(f"{self.file}: two mutations overlap")
        data = self.data
        for start, end, replacement in reversed(ordered):
            data = data[:start] + replacement.encode("utf-8") + data[end:]
        return data.decode("utf-8")  # tests/test_mutants.py compiles every mutant


def guard_sites(source: str, sites: Sequence[Site], rule: str, file: str = "") -> str:
    """``source`` with every site's statement unreachable for ``rule``: ``S`` becomes
    ``if <rule expr> != '<rule>': S`` (``else: return None`` for an optional return; with the
    helper's finding first kept in ``_mutant_finding`` when the helper decides its id)."""
    text = _Text(source, file or (sites[0].file if sites else "?"))
    for site in sites:
        start, indent = text.statement_start(site.line, site.col)
        prefix = ""
        if site.call is not None:
            line, col, end_line, end_col = site.call
            call_start, call_end = text.offset(line, col), text.offset(end_line, end_col)
            prefix = f"{FINDING_VAR} = {text.text(call_start, call_end)}\n{indent}"
            text.edit(call_start, call_end, FINDING_VAR)
        text.edit(start, start, f"{prefix}if {site.rule_expr} != {rule!r}: ")
        if site.returns_none:
            after = text.after_statement(site.end_line, site.end_col)
            newline = "" if text.data[:after].endswith(b"\n") else "\n"
            text.edit(after, after, f"{newline}{indent}else: return None\n")
    return text.result()


def _function_node(source: str, function: str) -> FunctionNode | None:
    """The top-level function ``function`` of ``source``, or the method ``Class.method``."""
    owner, _, name = function.rpartition(".")
    body: list[ast.stmt] = _parsed(source).body
    if owner:
        cls = next((n for n in body if isinstance(n, ast.ClassDef) and n.name == owner), None)
        body = cls.body if cls is not None else []
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    return None


def drop_rule_wrapper(source: str, file: str, function: str, returns: str, rule: str) -> str:
    """``source`` with ``function`` (or ``Class.method``) wrapped so that findings of ``rule``
    never leave it."""
    if _function_node(source, function) is None:
        what = "method" if "." in function else "top-level function"
        raise MutationError(f"{file} has no {what} {function}()")
    if returns == "iter":
        body = (
            "    def wrapper(*args, **kwargs):\n"
            "        for finding in inner(*args, **kwargs):\n"
            f"            if finding.rule != {rule!r}:\n"
            "                yield finding\n"
        )
    elif returns == "list":
        body = (
            "    def wrapper(*args, **kwargs):\n"
            f"        return [f for f in inner(*args, **kwargs) if f.rule != {rule!r}]\n"
        )
    elif returns == "tree":
        body = (
            "    def wrapper(*args, **kwargs):\n"
            "        tree = inner(*args, **kwargs)\n"
            f"        tree.findings = [f for f in tree.findings if f.rule != {rule!r}]\n"
            "        return tree\n"
        )
    else:
        raise MutationError(f"unknown way of returning findings: {returns!r}")
    return (
        source
        + "\n\n# --- mutant: rule disabled ---\n"
        + "def _mutant_drop_rule(inner):\n"
        + body
        + "    return wrapper\n\n\n"
        + f"{function} = _mutant_drop_rule({function})\n"
    )


@dataclass(frozen=True)
class CheckSite:
    """One cross-key check of the config: a statement that adds a problem."""

    file: str
    line: int
    col: int
    end_line: int
    key_path: str  # the key path template, e.g. applications[{}].wave
    message: str  # the message template, {} where a value is filled in

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.line, self.col, self.end_line)

    def fixed_text(self) -> str:
        """The message without its placeholders."""
        return self.message.replace("{}", "")

    def pattern(self) -> re.Pattern[str]:
        """A regular expression every message of this check matches (``{}``: any text)."""
        parts = [re.escape(p) for p in self.message.split("{}")]
        return re.compile("(.*)".join(parts), re.DOTALL)


def _template(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(_template(v) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _template(node.left) + _template(node.right)
    return "{}"


def _key_template(node: ast.expr) -> str:
    out = ""
    for elt in node.elts if isinstance(node, ast.Tuple) else [node]:
        if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
            out += f".{elt.value}" if out else elt.value
        else:
            out += "[{}]"
    return out


def _problem_tuple(stmt: ast.stmt) -> ast.Tuple | None:
    """The (key path, message) tuple a cross-check statement adds, or None for other statements."""
    value: ast.expr | None = None
    if (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and _call_name(stmt.value.func) == "append"
        and isinstance(stmt.value.func, ast.Attribute)
        and isinstance(stmt.value.func.value, ast.Name)
        and stmt.value.func.value.id == "problems"
        and len(stmt.value.args) == 1
    ):
        value = stmt.value.args[0]
    elif (
        isinstance(stmt, ast.Return)
        and isinstance(stmt.value, ast.List)
        and len(stmt.value.elts) == 1
    ):
        value = stmt.value.elts[0]
    if isinstance(value, ast.Tuple) and len(value.elts) == 2:
        return value
    return None


def _decorator_name(node: ast.expr) -> str | None:
    return _call_name(node.func) if isinstance(node, ast.Call) else _call_name(node)


def _validator_raises(cls: ast.ClassDef) -> Iterator[tuple[ast.FunctionDef, ast.Raise]]:
    """The raise statements of the validators of ``cls`` that look at more than one key: every
    model validator, and field validators that read other fields (an ``info`` argument)."""
    for method in cls.body:
        if not isinstance(method, ast.FunctionDef):
            continue
        names = {_decorator_name(d) for d in method.decorator_list}
        cross = "model_validator" in names or (
            "field_validator" in names and any(a.arg == "info" for a in method.args.args)
        )
        if not cross:
            continue
        for node in _own_nodes(method):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                yield method, node


def model_sources(sources: Mapping[str, str]) -> dict[str, str]:
    """The modules of the config model among ``sources`` (file -> text)."""
    return {f: text for f, text in sorted(sources.items()) if f.startswith(MODEL_DIR)}


def config_check_sites(sources: Mapping[str, str]) -> list[CheckSite]:
    """Every cross-key check of the config model (``sources``: its modules, file -> text):
    each statement of ``Platform``'s methods that adds a problem (``Platform.cross_check``), and
    each ``raise`` of a validator that compares several keys."""
    file = MODEL_FILE
    if file not in sources:
        raise MutationError(f"{file} is not among the model's modules")
    tree = _parsed(sources[file])
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    platform = next((c for c in classes if c.name == "Platform"), None)
    if platform is None:
        raise MutationError(f"{file} has no class Platform")
    sites: list[CheckSite] = []
    for method in platform.body:
        if not isinstance(method, ast.FunctionDef):
            continue
        for node in ast.walk(method):
            if not isinstance(node, ast.stmt):
                continue
            problem = _problem_tuple(node)
            if problem is None:
                continue
            sites.append(
                CheckSite(
                    file,
                    node.lineno,
                    node.col_offset,
                    node.end_lineno or node.lineno,
                    _key_template(problem.elts[0]),
                    _template(problem.elts[1]),
                )
            )
    if not sites:
        raise MutationError(f"no cross-key check found in {file} (Platform.cross_check)")
    for module, source in sorted(sources.items()):
        sites.extend(_validator_sites(module, source))
    return sorted(sites, key=lambda s: s.key)


def _validator_sites(file: str, source: str) -> list[CheckSite]:
    sites: list[CheckSite] = []
    classes = [n for n in _parsed(source).body if isinstance(n, ast.ClassDef)]
    for cls in classes:
        for method, node in _validator_raises(cls):
            assert isinstance(node.exc, ast.Call)
            sites.append(
                CheckSite(
                    file,
                    node.lineno,
                    node.col_offset,
                    node.end_lineno or node.lineno,
                    f"{cls.name}.{method.name}",
                    _template(node.exc.args[0]),
                )
            )
    return sites


def skip_check(source: str, site: CheckSite) -> str:
    """``source`` with the statement of ``site`` unreachable (``if False: S``)."""
    text = _Text(source, site.file)
    start, _ = text.statement_start(site.line, site.col)
    text.edit(start, start, "if False: ")
    return text.result()


def drop_cross_checks(source: str, file: str = CONFIG_FILE) -> tuple[str, int]:
    """``source`` with every ``platform.cross_check()`` call replaced by ``[]``."""
    text = _Text(source, file)
    calls = [
        n
        for n in ast.walk(_parsed(source))
        if isinstance(n, ast.Call) and _call_name(n.func) == "cross_check" and not n.args
    ]
    if not calls:
        raise MutationError(f"{file} never calls cross_check()")
    for call in calls:
        start = text.offset(call.lineno, call.col_offset)
        end = text.offset(call.end_lineno or call.lineno, call.end_col_offset or 0)
        text.edit(start, end, "[]")
    return text.result(), min(c.lineno for c in calls)


# --------------------------------------------------------------------------------------------
# The mutants
# --------------------------------------------------------------------------------------------


@dataclass
class Mutant:
    kind: str  # rule-off, report-off, check-off, sanity
    target: str  # the rule id or the cross-check
    what: str  # what was mutated
    where: str  # file:line[, line...]
    files: dict[str, str]  # file relative to the repository -> mutated source
    stages: list[list[str]]  # pytest arguments, run in order until one fails

    def describe(self) -> str:
        return f"{self.kind} {self.target}: {self.what} ({self.where})"


@dataclass
class Plan:
    mutants: list[Mutant] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # mutations that could not be applied


def _read(repo: Path, file: str) -> str:
    return (repo / file).read_text(encoding="utf-8")


def package_files(repo: Path) -> list[str]:
    return sorted(
        p.relative_to(repo).as_posix()
        for p in (repo / PACKAGE).rglob("*.py")
        if "__pycache__" not in p.parts
    )


def rule_stages(repo: Path, rule: str, wider: bool = False) -> list[list[str]]:
    """The golden case of ``rule``, then tests/validate; ``wider`` adds every other test file
    that names the rule id (the CLI's, plan's, the hostile trees')."""
    stages = []
    if (repo / GOLDEN_FINDINGS_TEST).is_file():
        stages.append(
            [GOLDEN_FINDINGS_TEST, "-k", f"test_findings_match_the_golden_files and {rule}"]
        )
    stages.append([RULE_SUITE])
    if wider:
        others = sorted(
            p.relative_to(repo).as_posix()
            for p in (repo / "tests").rglob("test_*.py")
            if not p.is_relative_to(repo / RULE_SUITE)
            and p.name != "test_mutants.py"
            and f'"{rule}"' in p.read_text(encoding="utf-8")
        )
        if others:
            stages.append(others)
    return stages


def check_stages() -> list[list[str]]:
    return [[CROSSCHECK_TEST], [CONFIG_SUITE]]


def rule_registry() -> tuple[dict[str, str], dict[str, str]]:
    """(rule id -> file of the module whose check() returns it, every other rule id ->
    description). The others are every rule of ``runner.all_rules()`` no rule module owns: the
    tree loader's core rules, the tree-shape rules of shapes.py, settings.py's rule-disabled;
    their findings leave their modules through FINDING_EXITS."""
    from gigrouter.validate import runner

    owners: dict[str, str] = {}
    for module in runner._modules():
        file = Path(module.__file__).resolve()
        rel = (
            f"{PACKAGE}/" + file.relative_to(Path(runner.__file__).resolve().parents[1]).as_posix()
        )
        for rule in module.RULES:
            owners[rule] = rel
    others = {rule: text for rule, text in runner.all_rules().items() if rule not in owners}
    return owners, others


def rule_mutants(
    repo: Path, rule: str, owner: str | None, sources: dict[str, str], per_site: bool = False
) -> tuple[list[Mutant], list[str]]:
    """The rule-off and report-off mutants of ``rule`` (and the errors of those not made)."""
    mutants: list[Mutant] = []
    stages = rule_stages(repo, rule, wider=per_site)
    by_file: dict[str, list[Site]] = {}
    try:
        for file, source in sources.items():
            if f'"{rule}"' not in source and f"'{rule}'" not in source:
                continue  # the id is not even written in this file
            for site in finding_sites(source, file, rule, sources):
                by_file.setdefault(site.file, [])
                if site not in by_file[site.file]:
                    by_file[site.file].append(site)
        if not by_file:
            raise MutationError(f"no statement builds a Finding for {rule!r} in {PACKAGE}/")
        by_file = {f: sorted(sites, key=lambda s: s.key) for f, sites in by_file.items()}
    except MutationError as exc:
        return [], [f"rule-off {rule}: {exc}", f"report-off {rule}: {exc}"]
    errors: list[str] = []
    # rule-off: drop its findings wherever they leave a module
    try:
        files: dict[str, str] = {}
        where: list[str] = []
        for file in sorted({*by_file, *([owner] if owner else [])}):
            if file == owner:
                function, returns = "check", "iter"
            elif file in FINDING_EXITS:
                function, returns = FINDING_EXITS[file]
            else:
                raise MutationError(
                    f"{file} builds {rule} findings, but FINDING_EXITS in tests/mutants.py does"
                    " not say which function hands them back; add it there"
                )
            files[file] = drop_rule_wrapper(sources[file], file, function, returns, rule)
            node = _function_node(sources[file], function)
            assert node is not None  # drop_rule_wrapper found it
            where.append(f"{file}:{node.lineno} {function}()")
        mutants.append(
            Mutant(
                "rule-off",
                rule,
                f"findings of {rule} dropped where they are handed back",
                "; ".join(where),
                files,
                stages,
            )
        )
    except MutationError as exc:
        errors.append(f"rule-off {rule}: {exc}")
    # report-off: every statement reporting it made unreachable
    count = sum(len(s) for s in by_file.values())
    try:
        files = {f: guard_sites(sources[f], sites, rule, f) for f, sites in by_file.items()}
        at = "; ".join(
            f"{f}:{', '.join(str(s.line) for s in sites)}" for f, sites in sorted(by_file.items())
        )
        mutants.append(
            Mutant(
                "report-off",
                rule,
                f"{count} statement{'s' if count > 1 else ''} reporting its Finding made unreachable",
                at,
                files,
                stages,
            )
        )
    except MutationError as exc:
        errors.append(f"report-off {rule}: {exc}")
    # site-off (only with --per-site): each of several statements alone
    if per_site and count > 1:
        for file, sites in sorted(by_file.items()):
            for site in sites:
                mutants.append(
                    Mutant(
                        "site-off",
                        rule,
                        "this one statement reporting its Finding made unreachable",
                        f"{file}:{site.line}",
                        {file: guard_sites(sources[file], [site], rule, file)},
                        stages,
                    )
                )
    return mutants, errors


def check_mutants(sources: dict[str, str]) -> tuple[list[Mutant], list[str]]:
    mutants: list[Mutant] = []
    errors: list[str] = []
    try:
        for site in config_check_sites(model_sources(sources)):
            mutants.append(
                Mutant(
                    "check-off",
                    f"{site.key_path}: {site.message}",
                    "check skipped",
                    f"{site.file}:{site.line}",
                    {site.file: skip_check(sources[site.file], site)},
                    check_stages(),
                )
            )
        text, line = drop_cross_checks(sources[CONFIG_FILE])
        mutants.append(
            Mutant(
                "check-off",
                "every cross-key check",
                "cross_check() results not turned into problems",
                f"{CONFIG_FILE}:{line}",
                {CONFIG_FILE: text},
                check_stages(),
            )
        )
    except MutationError as exc:
        errors.append(f"check-off: {exc}")
    return mutants, errors


def make_plan(
    package_root: Path = REPO, tests_root: Path | None = None, per_site: bool = False
) -> Plan:
    """Every mutant of the package under ``package_root``, with the test selections that exist
    under ``tests_root`` (default: the same directory); with ``per_site``, also one mutant for
    each statement of a rule reported by several."""
    sources = {f: _read(package_root, f) for f in package_files(package_root)}
    owners, core = rule_registry()
    plan = Plan()
    for rule in sorted({*owners, *core}):
        mutants, errors = rule_mutants(
            tests_root or package_root, rule, owners.get(rule), sources, per_site
        )
        plan.mutants.extend(mutants)
        plan.errors.extend(errors)
    mutants, errors = check_mutants(sources)
    plan.mutants.extend(mutants)
    plan.errors.extend(errors)
    return plan


def sanity_mutant(repo: Path = REPO) -> Mutant:
    """A copy that must fail its tests: proves the mutated copy is what the tests import."""
    file = "gigrouter/validate/runner.py"
    text = _read(repo, file) + (
        "\n\ndef check_tree(tree, options):  # mutant: deliberately broken\n"
        "    raise RuntimeError('deliberately broken copy')\n"
    )
    return Mutant("sanity", "copy-used", "check_tree() raises", file, {file: text}, [[SANITY_TEST]])


# --------------------------------------------------------------------------------------------
# Running them
# --------------------------------------------------------------------------------------------

SKIP_TOP = {
    PACKAGE,
    "tests",
    ".venv",
    ".git",
    "build",
    "dist",
    f"{PACKAGE}.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
}
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")


@dataclass
class Workspace:
    """A snapshot of the package (``pristine``, what every mutant starts from, so edits made
    meanwhile in the working tree cannot mix in), a mirror of the repository without the
    package (tests copied, the rest linked) to run pytest in, and the guard plugin; each mutant
    adds its own copy of the package beside them."""

    root: Path
    repo: Path

    @property
    def mirror(self) -> Path:
        return self.root / self.repo.name

    @property
    def guard(self) -> Path:
        return self.root / "guard"

    @property
    def pristine(self) -> Path:
        return self.root / "pristine"

    @classmethod
    def create(cls, repo: Path, root: Path) -> Workspace:
        ws = cls(root, repo)
        ws.mirror.mkdir(parents=True)
        for entry in sorted(repo.iterdir()):
            if entry.name not in SKIP_TOP:
                (ws.mirror / entry.name).symlink_to(entry)
        shutil.copytree(repo / "tests", ws.mirror / "tests", ignore=IGNORE, symlinks=True)
        shutil.copytree(repo / PACKAGE, ws.pristine / PACKAGE, ignore=IGNORE)
        (ws.pristine / "templates").symlink_to(repo / "templates")
        shared = repo.parent / "shared"
        if shared.exists():
            (root / "shared").symlink_to(shared)
        ws.guard.mkdir()
        (ws.guard / "_mutant_guard.py").write_text(GUARD_PLUGIN, encoding="utf-8")
        return ws

    def package_copy(self, name: str, files: dict[str, str]) -> Path:
        """A directory holding a copy of the package with ``files`` replaced."""
        where = self.root / name
        shutil.copytree(self.pristine / PACKAGE, where / PACKAGE, ignore=IGNORE)
        (where / "templates").symlink_to(self.repo / "templates")
        for file, text in files.items():
            target = where / file
            if not target.is_file():
                raise MutationError(f"{file} is not in the copy")
            target.write_text(text, encoding="utf-8")
        return where


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed, survived, error, timeout
    detail: str = ""
    seconds: float = 0.0
    output: str = ""  # the end of the last pytest run


def _run_pytest(
    ws: Workspace, copy_dir: Path, args: Sequence[str], timeout: float
) -> tuple[int | None, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(copy_dir), str(ws.guard)])
    env["GIGROUTER_MUTANT_COPY"] = str(copy_dir / PACKAGE)
    env.pop("PYTHONSTARTUP", None)
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "_mutant_guard", *args]
    proc = subprocess.Popen(
        command,
        cwd=ws.mirror,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return None, out
    return proc.returncode, out


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join("    " + line for line in text.rstrip().splitlines()[-lines:])


def run_mutant(ws: Workspace, index: int, mutant: Mutant, timeout: float, keep: bool) -> Outcome:
    start = time.monotonic()
    copy_dir = ws.package_copy(f"m{index:03d}", mutant.files)
    try:
        deadline = start + timeout
        for args in mutant.stages:
            code, out = _run_pytest(ws, copy_dir, args, max(1.0, deadline - time.monotonic()))
            elapsed = time.monotonic() - start
            if code is None:
                return Outcome(mutant, "timeout", f"after {timeout:.0f}s", elapsed)
            if code == PYTEST_FAILED:
                return Outcome(mutant, "killed", " ".join(args), elapsed, _tail(out))
            if code == GUARD_EXIT:
                return Outcome(
                    mutant, "error", "the copy was not imported:\n" + _tail(out), elapsed
                )
            if code not in (PYTEST_OK, PYTEST_NO_TESTS):
                return Outcome(
                    mutant,
                    "error",
                    f"pytest exit {code} on {' '.join(args)}:\n" + _tail(out),
                    elapsed,
                )
        return Outcome(mutant, "survived", "", time.monotonic() - start)
    finally:
        if not keep:
            shutil.rmtree(copy_dir, ignore_errors=True)


def run_all(
    ws: Workspace,
    mutants: Sequence[Mutant],
    jobs: int,
    timeout: float,
    keep: bool,
    report: Callable[[Outcome], None],
) -> list[Outcome]:
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [
            pool.submit(run_mutant, ws, i, m, timeout, keep) for i, m in enumerate(mutants, 1)
        ]
        outcomes = []
        for future in futures:
            outcome = future.result()
            report(outcome)
            outcomes.append(outcome)
    return outcomes


def _all_selections(repo: Path, mutants: Sequence[Mutant]) -> list[str]:
    paths: list[str] = []
    for mutant in mutants:
        for stage in mutant.stages:
            for arg in stage:
                if arg not in paths and arg.startswith("tests/") and (repo / arg).exists():
                    paths.append(arg)
    # a file inside a selected directory runs with it
    return [p for p in paths if not any(p != q and p.startswith(q + "/") for q in paths)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--timeout", type=float, default=240, help="seconds per mutant")
    parser.add_argument("--only", action="append", default=[], help="mutants matching TEXT")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--keep", action="store_true", help="keep the mutated copies")
    parser.add_argument("--verbose", "-v", action="store_true", help="a line per mutant")
    parser.add_argument(
        "--per-site",
        action="store_true",
        help="also switch off each statement of a rule reported in several places, one at a time",
    )
    parser.add_argument(
        "--skip-baseline",
        action="store_true",
        help="do not first run the unmutated copy (while iterating only: results may mislead)",
    )
    args = parser.parse_args(argv)
    start = time.monotonic()

    root = Path(tempfile.mkdtemp(prefix="gigrouter-mutants-"))
    try:
        ws = Workspace.create(REPO, root)
        # The rule registry is read from the snapshot too.
        sys.path.insert(0, str(ws.pristine))
        import gigrouter

        if not Path(gigrouter.__file__).resolve().is_relative_to(ws.pristine.resolve()):
            print(f"mutants: gigrouter imported from {gigrouter.__file__}, not the snapshot")
            return 2
        plan = make_plan(ws.pristine, ws.mirror, args.per_site)
        mutants = [
            m for m in plan.mutants if not args.only or any(o in m.describe() for o in args.only)
        ]
        if args.list:
            for mutant in mutants:
                print(mutant.describe())
            for error in plan.errors:
                print(f"CANNOT MUTATE {error}")
            print(f"{len(mutants)} mutants, {len(plan.errors)} that cannot be made")
            return 1 if plan.errors else 0
        print(
            f"mutants: {len(mutants)} mutants, {args.jobs} at a time, copies in {root}", flush=True
        )
        # The unmutated copy must pass every selection, and a broken one must fail.
        baseline = Mutant("baseline", "unmutated copy", "nothing", "-", {}, [])
        baseline.stages = [_all_selections(ws.mirror, mutants or [sanity_mutant(ws.pristine)])]
        if args.skip_baseline:
            baseline.stages = []
        checks = run_all(
            ws, [baseline, sanity_mutant(ws.pristine)], args.jobs, 900, args.keep, lambda o: None
        )
        base, sanity = checks
        if base.status != "survived":
            print(
                f"mutants: the UNMUTATED copy does not pass its tests ({base.status}): {base.detail}"
            )
            print(base.output)
            return 2
        if sanity.status != "killed":
            print(
                f"mutants: the deliberately broken copy was not caught ({sanity.status}):"
                f" {sanity.detail}; the tests do not run the copy"
            )
            return 2
        print(
            f"mutants: unmutated copy passes ({base.seconds:.0f}s), broken copy fails"
            f" ({sanity.seconds:.0f}s)",
            flush=True,
        )

        def report(outcome: Outcome) -> None:
            if outcome.status != "killed":
                print(f"{outcome.status.upper()} {outcome.mutant.describe()}", flush=True)
                if outcome.detail:
                    print(outcome.detail, flush=True)
            elif args.verbose:
                failed = [ln.strip() for ln in outcome.output.splitlines() if "FAILED " in ln]
                by = failed[0].removeprefix("FAILED ") if failed else outcome.detail
                print(
                    f"killed {outcome.mutant.describe()} [{outcome.seconds:.1f}s by {by}]",
                    flush=True,
                )

        outcomes = run_all(ws, mutants, args.jobs, args.timeout, args.keep, report)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    for error in plan.errors:
        print(f"CANNOT MUTATE {error}")
    killed = sum(1 for o in outcomes if o.status == "killed")
    total = len(outcomes) + len(plan.errors)
    print(f"killed {killed} of {total}")
    print(f"elapsed {time.monotonic() - start:.0f}s")
    return 0 if killed == total and total > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
