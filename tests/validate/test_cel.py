"""CEL rules of CRDs evaluated offline (gigrouter/validate/cel.py), and the --crd kinds of the
upstream CRDs in ../shared/crds run through the same rule module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from support.shared import require_dir, upstream_crds_dir
from treeutil import context

from gigrouter.validate import cel
from gigrouter.validate.cel import Outcome, RuleSet, escape_field, rule_set
from gigrouter.validate.context import Options
from gigrouter.validate.crd import load_crd_openapi, load_crds
from gigrouter.validate.rules import apiserver

UPSTREAM_CRDS = upstream_crds_dir()


def spec_rules(rules: list[dict[str, Any]], **props: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "spec": {"type": "object", "x-kubernetes-validations": rules, "properties": props}
        },
    }


def outcomes(rules: list[dict[str, Any]], spec: dict[str, Any], **props: Any) -> list[Outcome]:
    return RuleSet(spec_rules(rules, **props)).check({"spec": spec})


def verdict(rule: str, spec: dict[str, Any], **props: Any) -> bool | None:
    """True when the rule holds, False when it fails, None when not checked offline."""
    found = outcomes([{"rule": rule}], spec, **props)
    if not found:
        return True
    assert len(found) == 1, found
    return False if found[0].checked else None


# --- the Kubernetes CEL library -------------------------------------------------------------------

STRING = {"type": "string"}
STRINGS = {"type": "array", "items": {"type": "string"}}
INTS = {"type": "array", "items": {"type": "integer"}}


@pytest.mark.parametrize(
    ("rule", "holds"),
    [
        ("[1, 2, 3].isSorted() && ![2, 1].isSorted()", True),
        ("self.n.sum() == 6 && self.n.min() == 1 && self.n.max() == 3", True),
        ("self.n.indexOf(2) == 1 && self.n.lastIndexOf(9) == -1", True),
        ("'a-b-c'.split('-') == ['a', 'b', 'c'] && 'a-b-c'.split('-', 2) == ['a', 'b-c']", True),
        ("'Hello'.lowerAscii() == 'hello' && 'hello'.upperAscii() == 'HELLO'", True),
        (
            "'hello'.charAt(1) == 'e' && 'hello'.indexOf('l') == 2 && 'hello'.lastIndexOf('l') == 3",
            True,
        ),
        ("'hello'.substring(1, 3) == 'el' && '  x '.trim() == 'x'", True),
        ("'a.b.c'.replace('.', '/') == 'a/b/c' && ['a', 'b'].join('-') == 'a-b'", True),
        ("'%s has %d items'.format(['list', 3]) == 'list has 3 items'", True),
        ("'abc123def'.find('[0-9]+') == '123' && 'a1b2'.findAll('[0-9]') == ['1', '2']", True),
        ("isURL('https://example.com:8443/a?x=1') && !isURL('not a url')", True),
        ("url('https://example.com:8443/a').getHostname() == 'example.com'", True),
        ("url('https://example.com:8443/a').getPort() == '8443'", True),
        ("url('https://example.com/a').getScheme() == 'https'", True),
        ("url('https://example.com/a/b').getEscapedPath() == '/a/b'", True),
        ("isIP('10.0.0.1') && !isIP('10.0.0.256') && ip('::1').family() == 6", True),
        ("ip('127.0.0.1').isLoopback() && !ip('8.8.8.8').isLoopback()", True),
        ("ip.isCanonical('2001:db8::1') && !ip.isCanonical('2001:DB8::1')", True),
        (
            "isCIDR('10.0.0.0/8') && !isCIDR('10.0.0.0') && cidr('10.0.0.0/8').prefixLength() == 8",
            True,
        ),
        (
            "cidr('10.0.0.0/8').containsIP('10.1.2.3') && !cidr('10.0.0.0/8').containsIP(ip('11.0.0.1'))",
            True,
        ),
        (
            "cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16') && !cidr('10.1.0.0/16').containsCIDR('10.0.0.0/8')",
            True,
        ),
        ("cidr('10.1.2.3/8').masked() == cidr('10.0.0.0/8')", True),
        (
            "isQuantity('500m') && !isQuantity('1 Gi') && quantity('1Gi') == quantity('1024Mi')",
            True,
        ),
        (
            "quantity('2Gi').isGreaterThan(quantity('1Gi')) && quantity('1').isLessThan(quantity('1500m'))",
            True,
        ),
        ("quantity('1500m').compareTo(quantity('1.5')) == 0 && quantity('-1').sign() == -1", True),
        ("quantity('2k').isInteger() && quantity('2k').asInteger() == 2000", True),
        (
            "quantity('1').add(quantity('500m')) == quantity('1500m') && quantity('1').sub(1) == quantity('0')",
            True,
        ),
        ("!format.dns1123Label().validate('web-1').hasValue()", True),
        ("format.dns1123Label().validate('Web_1').hasValue()", True),
        ("format.named('dns1123Subdomain').hasValue()", True),
        ("!format.named('no-such-format').hasValue()", True),
    ],
)
def test_library_functions(rule: str, holds: bool) -> None:
    assert verdict(rule, {"n": [1, 2, 3]}, n=INTS) is holds


def test_a_library_function_refusing_its_argument_is_not_judged() -> None:
    assert verdict("quantity(self.memory).isLessThan(quantity('1Gi'))", {"memory": "1 Gi"}) is None


# --- rules over a schema ---------------------------------------------------------------------------


def test_message_message_expression_and_field_path() -> None:
    rules = [
        {"rule": "self.min <= self.max", "message": "min must not exceed max"},
        {"rule": "self.min > 0", "messageExpression": "'min is ' + string(self.min)"},
        {"rule": "self.max < 100", "fieldPath": ".max"},
    ]
    found = outcomes(
        rules, {"min": -5, "max": 200}, min={"type": "integer"}, max={"type": "integer"}
    )
    assert found == [
        Outcome("spec", "min is -5", True),
        Outcome("spec.max", "failed rule: self.max < 100", True),
    ]
    found = outcomes(rules, {"min": 5, "max": 2}, min={"type": "integer"}, max={"type": "integer"})
    assert found == [Outcome("spec", "min must not exceed max", True)]


def test_defaults_are_filled_in_before_the_rules_run() -> None:
    rules = [{"rule": "self.keep <= self.maxKeep", "message": "keep <= maxKeep"}]
    props = {"keep": {"type": "integer", "default": 7}, "maxKeep": {"type": "integer"}}
    assert outcomes(rules, {"maxKeep": 10}, **props) == []
    assert outcomes(rules, {"maxKeep": 3}, **props) == [Outcome("spec", "keep <= maxKeep", True)]


def test_a_missing_field_fails_the_rule_as_on_the_server() -> None:
    found = outcomes([{"rule": "self.replicas > 0"}], {}, replicas={"type": "integer"})
    assert found == [Outcome("spec", "rule 'self.replicas > 0' fails: no such key: replicas", True)]


def test_transition_rules_and_what_the_engine_cannot_parse_are_unchecked() -> None:
    rules = [
        {"rule": "self.mode == oldSelf.mode", "message": "mode is immutable"},
        {"rule": "self.?mode.orValue('a') == 'a'"},
    ]
    found = outcomes(rules, {"mode": "b"}, mode=STRING)
    assert [(o.path, o.checked) for o in found] == [("spec", False), ("spec", False)]
    assert "transition rule" in found[0].message
    assert "cannot parse" in found[1].message


def test_rules_on_list_items_and_map_values_name_the_entry() -> None:
    item = {
        "type": "object",
        "properties": {"port": {"type": "integer"}},
        "x-kubernetes-validations": [{"rule": "self.port < 1024", "message": "low port"}],
    }
    schema = spec_rules(
        [],
        ports={"type": "array", "items": item},
        extra={"type": "object", "additionalProperties": item},
    )
    doc = {"spec": {"ports": [{"port": 80}, {"port": 8080}], "extra": {"a": {"port": 9000}}}}
    assert RuleSet(schema).check(doc) == [
        Outcome("spec.ports[1]", "low port", True),
        Outcome("spec.extra.a", "low port", True),
    ]


def test_field_names_cel_cannot_spell_are_escaped() -> None:
    assert escape_field("x-y") == "x__dash__y"
    assert escape_field("a.b/c") == "a__dot__b__slash__c"
    assert escape_field("namespace") == "__namespace__"
    assert escape_field("a__b") == "a__underscores__b"
    rule = "self.max__dash__size <= 10 && self.__namespace__ == 'ns'"
    props = {"max-size": {"type": "integer"}, "namespace": STRING}
    assert verdict(rule, {"max-size": 3, "namespace": "ns"}, **props) is True
    assert verdict(rule, {"max-size": 30, "namespace": "ns"}, **props) is False


def test_number_fields_are_doubles() -> None:
    assert verdict("self.ratio < 0.5", {"ratio": 0}, ratio={"type": "number"}) is True


def test_programs_are_compiled_once_per_schema() -> None:
    schema = spec_rules([{"rule": "self.a == 1"}], a={"type": "integer"})
    assert rule_set(schema) is rule_set(schema)
    assert rule_set({"type": "object"}) is None
    RuleSet(schema).check({"spec": {"a": 2}})
    before = cel._program.cache_info()
    RuleSet(schema).check({"spec": {"a": 2}})  # another CRD with the same rule text
    after = cel._program.cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)


# --- through the rule module, with a --crd file ---------------------------------------------------

BUNDLE = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: pools.example.com}
spec:
  group: example.com
  names: {kind: Pool, plural: pools}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              x-kubernetes-validations:
                - rule: "self.cidrs.all(c, isCIDR(c))"
                  message: every entry must be a CIDR
                - rule: "self.size == oldSelf.size"
                  message: size is immutable
              properties:
                size: {type: integer, format: int32}
                cidrs: {type: array, items: {type: string}}
                hosts:
                  type: array
                  x-kubernetes-list-type: map
                  x-kubernetes-list-map-keys: [name]
                  items:
                    type: object
                    properties: {name: {type: string}}
"""


def pool(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Pool",
        "metadata": {"name": name, "namespace": "net"},
        "spec": spec,
    }


def test_the_rule_module_reports_rules_keys_and_ranges_of_crd_kinds(tmp_path: Path) -> None:
    crd = tmp_path / "crds" / "pool.yaml"
    crd.parent.mkdir()
    crd.write_text(BUNDLE)
    docs = [
        pool("good", size=3, cidrs=["10.0.0.0/8"], hosts=[{"name": "a"}, {"name": "b"}]),
        pool("bad", size=2**31, cidrs=["10.0.0.0/8", "nope"], hosts=[{"name": "a"}, {"name": "a"}]),
    ]
    ctx = context(tmp_path / "tree", {"pools.yaml": docs}, Options(crd_files=(str(crd),)))
    found = [
        (f.severity.value, f.rule, f.resource.name if f.resource else "", f.message)
        for f in apiserver.check(ctx)
    ]
    assert found == [
        (
            "info",
            "crd-rule-unchecked",
            "good",
            "spec: rule 'self.size == oldSelf.size' not checked offline: a transition rule"
            " (reads oldSelf, the stored object)",
        ),
        (
            "error",
            "list-key-duplicate",
            "bad",
            'spec.hosts[1]: duplicate entry for key [name="a"] (also spec.hosts[0]); the API'
            " server keys this list by name",
        ),
        (
            "error",
            "integer-range",
            "bad",
            "spec.size: 2147483648 does not fit an int32 (-2147483648 to 2147483647); the API"
            " server rejects the object",
        ),
        ("error", "crd-rule", "bad", "spec: every entry must be a CIDR"),
    ]


# --- differential: the upstream CRDs of ../shared/crds ---------------------------------------------


def _upstream_examples() -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "argocd-application-crd.yaml",
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {"name": "web", "namespace": "argocd"},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": "https://git.example.com/r.git", "path": "web"},
                    "destination": {"server": "https://kubernetes.default.svc"},
                    "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
                },
            },
        ),
        (
            "monitoring-servicemonitor-crd.yaml",
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "ServiceMonitor",
                "metadata": {"name": "web", "namespace": "shop"},
                "spec": {
                    "selector": {"matchLabels": {"app": "web"}},
                    "endpoints": [{"port": "http", "interval": "30s"}],
                },
            },
        ),
        (
            "eso-externalsecret-crd.yaml",
            {
                "apiVersion": "external-secrets.io/v1beta1",
                "kind": "ExternalSecret",
                "metadata": {"name": "db", "namespace": "shop"},
                "spec": {
                    "secretStoreRef": {"kind": "ClusterSecretStore", "name": "aws"},
                    "data": [
                        {"secretKey": "password", "remoteRef": {"key": "db", "property": "pw"}}
                    ],
                },
            },
        ),
    ]


@pytest.mark.parametrize(("crd_file", "doc"), _upstream_examples(), ids=lambda v: str(v)[:40])
def test_upstream_crds_agree_with_their_own_rules(crd_file: str, doc: dict[str, Any]) -> None:
    """Each upstream CRD's own x-kubernetes-validations decide: a valid object passes every rule
    it carries (rules counted from the file itself), and the verdict matches the schema's."""
    path = require_dir(UPSTREAM_CRDS, "the upstream CRDs") / crd_file
    raw = yaml.safe_load_all(path.read_text(encoding="utf-8"))
    carried = sum(
        len(node["x-kubernetes-validations"])
        for d in raw
        if isinstance(d, dict)
        for node in _nodes(d)
        if node.get("x-kubernetes-validations")
    )
    schemas = load_crd_openapi(path)
    key = (doc["apiVersion"], doc["kind"])
    if key not in schemas:  # an older served version in the upstream file: use the newest
        key = max(k for k in schemas if k[1] == doc["kind"])
        doc = {**doc, "apiVersion": key[0]}
    rules = rule_set(schemas[key])
    found = rules.check(doc) if rules is not None else []
    assert found == []
    assert (rules is None) == (carried == 0)
    assert load_crds(path)  # the same file the schema check reads


def _nodes(node: object) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            out.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return out
