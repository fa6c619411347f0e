"""The ``x-kubernetes-validations`` rules of a CRD, evaluated offline as the API server does.

The API server compiles each rule of a CRD's structural schema with cel-go and the Kubernetes
CEL library, then, on every write, evaluates it with ``self`` bound to the value at the rule's
node (after the schema's defaults are filled in). Here the rules run on cel-python (``celpy``,
a pure-Python CEL from PyPI) with the Kubernetes library functions added below: lists
(``isSorted``, ``sum``, ``min``, ``max``, ``indexOf``, ``lastIndexOf``), the strings extension
(``charAt``, ``indexOf``, ``lowerAscii``, ``replace``, ``split``, ``substring``, ``trim``,
``join``, ``format``...), regex (``find``, ``findAll``), ``url``, ``ip`` and ``cidr``,
``quantity`` and ``format.<name>().validate()``.

What the offline engine cannot judge is never an error: a rule that does not parse here, calls
a function this library lacks, or fails for a reason other than a missing field or index is
*unchecked* (reported as info, with the reason). Transition rules (they read ``oldSelf``, the
stored object) are unchecked too. A missing field or index fails the rule, as it does on the
server ("no such key").

Compiled programs are cached per rule text, and :class:`RuleSet` (the rules of one CRD version)
once per schema: every document of a run shares them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, Final
from urllib.parse import urlsplit

from gigrouter.validate.base import format_path
from gigrouter.validate.values import (
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_label_value,
    is_qualified_name,
    is_quantity,
    parse_quantity,
)

__all__ = ["Outcome", "RuleSet", "has_rules", "rule_set"]

# Field names CEL cannot spell as identifiers are escaped the way the API server does.
_RESERVED: Final = frozenset(
    [
        "true",
        "false",
        "null",
        "in",
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
    ]
)
_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OLD_SELF: Final = re.compile(r"\boldSelf\b")
_MISSING: Final = ("no such member", "no such key", "list index out of range", "IndexError")


@dataclass(frozen=True)
class Outcome:
    """One rule at one place: failed (``checked``) or not judged offline (``checked`` false)."""

    path: str  # field path of the value the rule is about, e.g. spec.replicas
    message: str
    checked: bool


def escape_field(name: str) -> str:
    """A property name as CEL expressions spell it (``x-y`` -> ``x__dash__y``)."""
    if name in _RESERVED:
        return f"__{name}__"
    if _IDENTIFIER.fullmatch(name):
        return name.replace("__", "__underscores__")
    out = name.replace("__", "__underscores__")
    out = out.replace(".", "__dot__").replace("-", "__dash__").replace("/", "__slash__")
    return out


# --------------------------------------------------------------------------------------------
# The Kubernetes CEL library on cel-python


class _Namespace:
    """The value of ``ip`` and ``format`` as identifiers: ``ip.isCanonical(s)``,
    ``format.dns1123Label()`` are method calls on it."""

    def __init__(self, name: str) -> None:
        self.name = name


@dataclass(frozen=True)
class _Optional:
    value: Any

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Optional) and self.value == other.value

    def __hash__(self) -> int:
        return hash(repr(self.value))


@dataclass(frozen=True, eq=False)
class Quantity:
    text: str
    amount: Decimal

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Quantity) and self.amount == other.amount

    def __hash__(self) -> int:
        return hash(self.amount)


@dataclass(frozen=True, eq=False)
class Url:
    text: str


@dataclass(frozen=True, eq=False)
class IP:
    address: ipaddress.IPv4Address | ipaddress.IPv6Address

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IP) and self.address == other.address

    def __hash__(self) -> int:
        return hash(self.address)


@dataclass(frozen=True, eq=False)
class CIDR:
    text: str
    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    network: ipaddress.IPv4Network | ipaddress.IPv6Network

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CIDR) and (self.address, self.network) == (
            other.address,
            other.network,
        )

    def __hash__(self) -> int:
        return hash(self.network)


class _LibraryError(ValueError):
    """A library function refused its argument (the server fails the rule the same way)."""


def _ct() -> Any:
    from celpy import celtypes

    return celtypes


def _bool(value: bool) -> Any:
    return _ct().BoolType(value)


def _str(value: str) -> Any:
    return _ct().StringType(value)


def _int(value: int) -> Any:
    return _ct().IntType(value)


def _strings(values: Sequence[str]) -> Any:
    return _ct().ListType([_str(v) for v in values])


def _quantity(text: Any) -> Quantity:
    if not is_quantity(str(text)):
        raise _LibraryError(f"quantity: {str(text)!r} is not a valid quantity")
    return Quantity(str(text), parse_quantity(str(text)))


def _url(text: Any) -> Url:
    if not _is_url(str(text)):
        raise _LibraryError(f"url: {str(text)!r} is not a valid absolute URL")
    return Url(str(text))


def _is_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return bool(parts.scheme) or text.startswith("/")


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if "%" in text:  # zones are refused by the library
        raise ValueError(text)
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        raise ValueError(text)  # IPv4-mapped IPv6 addresses are refused too
    return address


def _ip(text: Any) -> IP:
    try:
        return IP(_parse_ip(str(text)))
    except ValueError:
        raise _LibraryError(f"IP Address {str(text)!r} parse error") from None


def _parse_cidr(text: str) -> CIDR:
    address, slash, _ = text.partition("/")
    if not slash:
        raise ValueError(text)
    return CIDR(text, _parse_ip(address), ipaddress.ip_network(text, strict=False))


def _cidr(text: Any) -> CIDR:
    try:
        return _parse_cidr(str(text))
    except ValueError:
        raise _LibraryError(f"network address {str(text)!r} parse error") from None


def _succeeds(parse: Callable[[str], object], text: Any) -> Any:
    try:
        parse(str(text))
    except (ValueError, _LibraryError):
        return _bool(False)
    return _bool(True)


def _is_sorted(items: Any) -> Any:
    return _bool(all(items[i] <= items[i + 1] for i in range(len(items) - 1)))


def _sum(items: Any) -> Any:
    total: Any = _int(0)
    for i, item in enumerate(items):
        total = item if i == 0 else total + item
    return total


def _min(items: Any) -> Any:
    if not items:
        raise _LibraryError("min of an empty list")
    return min(items)


def _max(items: Any) -> Any:
    if not items:
        raise _LibraryError("max of an empty list")
    return max(items)


def _index_of(receiver: Any, item: Any, *start: Any) -> Any:
    if isinstance(receiver, str):
        begin = int(start[0]) if start else 0
        return _int(receiver.find(str(item), begin))
    for i, value in enumerate(receiver):
        if value == item:
            return _int(i)
    return _int(-1)


def _last_index_of(receiver: Any, item: Any, *end: Any) -> Any:
    if isinstance(receiver, str):
        stop = int(end[0]) + len(str(item)) if end else len(receiver)
        return _int(receiver.rfind(str(item), 0, stop))
    for i in range(len(receiver) - 1, -1, -1):
        if receiver[i] == item:
            return _int(i)
    return _int(-1)


def _char_at(text: Any, index: Any) -> Any:
    i = int(index)
    if not 0 <= i <= len(text):
        raise _LibraryError(f"index out of range: {i}")
    return _str(str(text)[i : i + 1])


def _lower_ascii(text: Any) -> Any:
    return _str("".join(c.lower() if c.isascii() else c for c in str(text)))


def _upper_ascii(text: Any) -> Any:
    return _str("".join(c.upper() if c.isascii() else c for c in str(text)))


def _replace(text: Any, old: Any, new: Any, *count: Any) -> Any:
    limit = int(count[0]) if count else -1
    return _str(str(text).replace(str(old), str(new), limit))


def _split(text: Any, separator: Any, *count: Any) -> Any:
    limit = int(count[0]) if count else -1
    if limit == 0:
        return _strings([])
    if str(separator) == "":
        parts = list(str(text))
        if limit > 0 and len(parts) > limit:
            parts = [*parts[: limit - 1], "".join(parts[limit - 1 :])]
        return _strings(parts)
    return _strings(str(text).split(str(separator), limit - 1 if limit > 0 else -1))


def _substring(text: Any, start: Any, *end: Any) -> Any:
    begin, stop = int(start), int(end[0]) if end else len(text)
    if not 0 <= begin <= stop <= len(text):
        raise _LibraryError(f"substring out of range: {begin}, {stop}")
    return _str(str(text)[begin:stop])


def _trim(text: Any) -> Any:
    return _str(str(text).strip())


def _join(items: Any, *separator: Any) -> Any:
    return _str((str(separator[0]) if separator else "").join(str(i) for i in items))


def _reverse(value: Any) -> Any:
    if isinstance(value, str):
        return _str(str(value)[::-1])
    return _ct().ListType(list(reversed(value)))


_VERB: Final = re.compile(r"%(\.\d+)?([sdfeboxX%])")


def _format(template: Any, args: Any) -> Any:
    values = list(args)

    def one(match: re.Match[str]) -> str:
        precision, verb = match.group(1), match.group(2)
        if verb == "%":
            return "%"
        if not values:
            raise _LibraryError("format: too few arguments")
        value = values.pop(0)
        if verb == "s":
            return _text(value)
        if verb == "d":
            return str(int(value))
        if verb in "fe":
            digits = int(precision[1:]) if precision else 6
            return f"{float(value):.{digits}{verb}}"
        return format(int(value), {"b": "b", "o": "o", "x": "x", "X": "X"}[verb])

    return _str(_VERB.sub(one, str(template)))


def _text(value: Any) -> str:
    celtypes = _ct()
    if isinstance(value, celtypes.BoolType):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if value is None:
        return "null"
    return str(value)


def _find(text: Any, pattern: Any) -> Any:
    found = _regex(str(pattern)).search(str(text))
    return _str(found.group(0) if found else "")


def _find_all(text: Any, pattern: Any, *count: Any) -> Any:
    found = [m.group(0) for m in _regex(str(pattern)).finditer(str(text))]
    limit = int(count[0]) if count else -1
    return _strings(found if limit < 0 else found[:limit])


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _url_part(part: str) -> Callable[[Url], Any]:
    def get(url: Url) -> Any:
        parts = urlsplit(url.text)
        if part == "scheme":
            return _str(parts.scheme)
        if part == "host":
            return _str(parts.netloc.rpartition("@")[2])
        if part == "hostname":
            return _str(parts.hostname or "")
        if part == "port":
            return _str(str(parts.port) if parts.port is not None else "")
        if part == "path":
            return _str(parts.path)
        query: dict[str, list[str]] = {}
        for pair in parts.query.split("&") if parts.query else []:
            key, _, value = pair.partition("=")
            query.setdefault(key, []).append(value)
        return _ct().MapType({_str(k): _strings(v) for k, v in query.items()})

    return get


def _ip_or_cidr(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if isinstance(value, IP):
        return value.address
    if isinstance(value, CIDR):
        return value.address
    return _ip(value).address


def _family(value: Any) -> Any:
    return _int(_ip_or_cidr(value).version)


def _ip_test(test: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        address = _ip_or_cidr(value)
        if test == "unspecified":
            return _bool(address.is_unspecified)
        if test == "loopback":
            return _bool(address.is_loopback)
        if test == "linkLocalMulticast":
            return _bool(address.is_multicast and address.is_link_local)
        if test == "linkLocalUnicast":
            return _bool(address.is_link_local and not address.is_multicast)
        # Go's IsGlobalUnicast: not unspecified, loopback, multicast, link-local or broadcast
        return _bool(
            not (
                address.is_unspecified
                or address.is_loopback
                or address.is_multicast
                or address.is_link_local
                or str(address) == "255.255.255.255"
            )
        )

    return check


def _is_canonical(namespace: Any, text: Any) -> Any:
    try:
        address = _parse_ip(str(text))
    except ValueError:
        raise _LibraryError(f"IP Address {str(text)!r} parse error") from None
    return _bool(str(address) == str(text))


def _cidr_ip(value: Any) -> Any:
    if isinstance(value, CIDR):
        return IP(value.address)
    if isinstance(value, _Namespace):
        raise _LibraryError("ip: missing argument")
    return _ip(value)


def _contains_ip(cidr: Any, other: Any) -> Any:
    address = other.address if isinstance(other, IP) else _ip(other).address
    return _bool(address in cidr.network)


def _contains_cidr(cidr: Any, other: Any) -> Any:
    network = other.network if isinstance(other, CIDR) else _cidr(other).network
    if network.version != cidr.network.version:
        return _bool(False)
    return _bool(network.subnet_of(cidr.network))


def _prefix_length(cidr: Any) -> Any:
    return _int(cidr.network.prefixlen)


def _masked(cidr: Any) -> Any:
    return _parse_cidr(str(cidr.network))


def _compare(a: Any, b: Any) -> int:
    if isinstance(a, Quantity) and isinstance(b, Quantity):
        return (a.amount > b.amount) - (a.amount < b.amount)
    raise _LibraryError("compare: not quantities")


def _quantity_add(a: Quantity, b: Any) -> Quantity:
    other = b.amount if isinstance(b, Quantity) else Decimal(int(b))
    total = a.amount + other
    return Quantity(str(total), total)


def _quantity_sub(a: Quantity, b: Any) -> Quantity:
    other = b.amount if isinstance(b, Quantity) else Decimal(int(b))
    total = a.amount - other
    return Quantity(str(total), total)


def _as_integer(q: Quantity) -> Any:
    if q.amount != q.amount.to_integral_value() or not -(2**63) <= q.amount < 2**63:
        raise _LibraryError(f"cannot convert value to integer: {q.text}")
    return _int(int(q.amount))


def _is_integer(q: Quantity) -> Any:
    return _bool(q.amount == q.amount.to_integral_value() and -(2**63) <= q.amount < 2**63)


# format.<name>() validators: each returns what is wrong with a value, or None.
_FORMATS: Final[dict[str, Callable[[str], str | None]]] = {
    "dns1123Label": lambda s: None if is_dns1123_label(s) else "must be a DNS-1123 label",
    "dns1123Subdomain": lambda s: None if is_dns1123_subdomain(s) else "must be a DNS subdomain",
    "dns1035Label": lambda s: None if is_dns1035_label(s) else "must be a DNS-1035 label",
    "qualifiedName": lambda s: None if is_qualified_name(s) else "must be a qualified name",
    "labelValue": lambda s: None if is_label_value(s) else "must be a valid label value",
    "uri": lambda s: None if _is_url(s) else "must be a URI",
    "uuid": lambda s: (
        None
        if re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", s)
        else "must be a UUID"
    ),
    "byte": lambda s: (
        None
        if re.fullmatch(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?", s)
        else "must be base64"
    ),
    "date": lambda s: None if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s) else "must be a date",
    "datetime": lambda s: (
        None
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", s)
        else "must be a date-time"
    ),
}


@dataclass(frozen=True)
class _Format:
    name: str


def _format_named(namespace: Any, name: Any) -> Any:
    return _Optional(_Format(str(name)) if str(name) in _FORMATS else None)


def _format_of(name: str) -> Callable[[Any], _Format]:
    return lambda namespace: _Format(name)


def _validate(fmt: Any, value: Any) -> _Optional:
    problem = _FORMATS[fmt.name](str(value))
    return _Optional(_strings([problem]) if problem else None)


def _has_value(optional: Any) -> Any:
    return _bool(optional.value is not None)


def _value(optional: Any) -> Any:
    if optional.value is None:
        raise _LibraryError("optional.none() dereference")
    return optional.value


def _dispatch(**by_type: Callable[..., Any]) -> Callable[..., Any]:
    """One CEL name for several receiver types (``isGreaterThan`` of quantities and ...)."""

    def call(receiver: Any, *args: Any) -> Any:
        for type_name, function in by_type.items():
            if type(receiver).__name__ == type_name:
                return function(receiver, *args)
        raise TypeError(f"no such overload for {type(receiver).__name__}")

    return call


def _ip_function(value: Any) -> Any:
    return _cidr_ip(value)


@cache
def _functions() -> dict[str, Callable[..., Any]]:
    library: dict[str, Callable[..., Any]] = {
        "isSorted": _is_sorted,
        "sum": _sum,
        "min": _min,
        "max": _max,
        "indexOf": _index_of,
        "lastIndexOf": _last_index_of,
        "charAt": _char_at,
        "lowerAscii": _lower_ascii,
        "upperAscii": _upper_ascii,
        "replace": _replace,
        "split": _split,
        "substring": _substring,
        "trim": _trim,
        "join": _join,
        "reverse": _reverse,
        "format": _format,
        "find": _find,
        "findAll": _find_all,
        "url": _url,
        "isURL": lambda s: _succeeds(_url, s),
        "getScheme": _url_part("scheme"),
        "getHost": _url_part("host"),
        "getHostname": _url_part("hostname"),
        "getPort": _url_part("port"),
        "getEscapedPath": _url_part("path"),
        "getQuery": _url_part("query"),
        "ip": _ip_function,
        "isIP": lambda s: _succeeds(_parse_ip, s),
        "isCanonical": _is_canonical,
        "family": _family,
        "isUnspecified": _ip_test("unspecified"),
        "isLoopback": _ip_test("loopback"),
        "isLinkLocalMulticast": _ip_test("linkLocalMulticast"),
        "isLinkLocalUnicast": _ip_test("linkLocalUnicast"),
        "isGlobalUnicast": _ip_test("globalUnicast"),
        "cidr": _cidr,
        "isCIDR": lambda s: _succeeds(_parse_cidr, s),
        "containsIP": _contains_ip,
        "containsCIDR": _contains_cidr,
        "prefixLength": _prefix_length,
        "masked": _masked,
        "quantity": _quantity,
        "isQuantity": lambda s: _bool(is_quantity(str(s))),
        "isInteger": _is_integer,
        "asInteger": _as_integer,
        "asApproximateFloat": lambda q: _ct().DoubleType(float(q.amount)),
        "sign": lambda q: _int((q.amount > 0) - (q.amount < 0)),
        "add": _quantity_add,
        "sub": _quantity_sub,
        "compareTo": lambda a, b: _int(_compare(a, b)),
        "isGreaterThan": lambda a, b: _bool(_compare(a, b) > 0),
        "isLessThan": lambda a, b: _bool(_compare(a, b) < 0),
        "named": _format_named,
        "validate": _validate,
        "hasValue": _has_value,
        "value": _value,
    }
    for name in _FORMATS:
        library[name] = _format_of(name)
    return library


# --------------------------------------------------------------------------------------------
# Compiling and running rules


@dataclass(frozen=True)
class _Compiled:
    rule: str
    program: Any  # celpy Runner, None when unchecked
    unchecked: str  # why the rule is not evaluated offline ("" when it is)
    message: str
    message_program: Any
    field_path: str


@cache
def _environment() -> Any:
    import celpy

    return celpy.Environment()


@cache
def _program(expression: str) -> tuple[Any, str]:
    """(program, "") or (None, why it cannot be compiled here); cached per expression text."""
    from celpy.celparser import CELParseError

    environment = _environment()
    try:
        ast = environment.compile(expression)
    except CELParseError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, f"the offline CEL engine cannot parse it ({first})"
    return environment.program(ast, functions=_functions()), ""


def _compile(raw: Mapping[str, Any]) -> _Compiled | None:
    rule = raw.get("rule")
    if not isinstance(rule, str) or not rule.strip():
        return None
    message = raw.get("message")
    message = message if isinstance(message, str) and message else ""
    field_path = raw.get("fieldPath")
    field_path = field_path if isinstance(field_path, str) else ""
    if _OLD_SELF.search(rule):
        return _Compiled(
            rule, None, "a transition rule (reads oldSelf, the stored object)", message, None, ""
        )
    program, why = _program(rule)
    expression = raw.get("messageExpression")
    message_program = None
    if isinstance(expression, str) and expression.strip():
        message_program = _program(expression)[0]
    return _Compiled(rule, program, why, message, message_program, field_path)


def _evaluate(program: Any, value: Any) -> Any:
    """The result, or the CELEvalError it raised or returned."""
    from celpy.evaluation import CELEvalError

    activation = {"self": value, "ip": _Namespace("ip"), "format": _Namespace("format")}
    try:
        return program.evaluate(activation)
    except CELEvalError as exc:
        return exc
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        return CELEvalError(str(exc) or type(exc).__name__, type(exc), None)


def _error_text(error: Any) -> str:
    first = error.args[0] if getattr(error, "args", None) else error
    return str(first)


# --------------------------------------------------------------------------------------------
# A CRD version's rules over its schema


class RuleSet:
    """The CEL rules of one CRD version's ``openAPIV3Schema``, compiled once."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self._schema = schema
        self._compiled: dict[int, list[_Compiled]] = {}

    def check(self, document: Mapping[str, Any]) -> list[Outcome]:
        """Every failing or unchecked rule of ``document``, in schema order."""
        out: list[Outcome] = []
        self._walk(self._schema, document, (), out)
        return out

    def _rules(self, node: Mapping[str, Any]) -> list[_Compiled]:
        key = id(node)
        found = self._compiled.get(key)
        if found is None:
            raw = node.get("x-kubernetes-validations")
            found = (
                [c for r in raw if isinstance(r, Mapping) and (c := _compile(r))]
                if isinstance(raw, list)
                else []
            )
            self._compiled[key] = found
        return found

    def _walk(
        self,
        node: Mapping[str, Any],
        value: Any,
        path: tuple[str | int, ...],
        out: list[Outcome],
    ) -> None:
        value = with_defaults(node, value)
        props = node.get("properties")
        if isinstance(value, dict):
            if isinstance(props, Mapping):
                for name, sub in props.items():
                    if name in value and isinstance(sub, Mapping) and value[name] is not None:
                        self._walk(sub, value[name], (*path, name), out)
            extra = node.get("additionalProperties")
            if isinstance(extra, Mapping):
                for name, item in value.items():
                    if not (isinstance(props, Mapping) and name in props) and item is not None:
                        self._walk(extra, item, (*path, str(name)), out)
        items = node.get("items")
        if isinstance(value, list) and isinstance(items, Mapping):
            for i, item in enumerate(value):
                if item is not None:
                    self._walk(items, item, (*path, i), out)
        rules = self._rules(node)
        if rules:
            cel_value = to_cel(node, value)
            for rule in rules:
                outcome = _run(rule, cel_value, path)
                if outcome is not None:
                    out.append(outcome)


def _run(rule: _Compiled, value: Any, path: tuple[str | int, ...]) -> Outcome | None:
    where = format_path(list(path))
    if rule.program is None:
        return Outcome(where, f"rule {rule.rule!r} not checked offline: {rule.unchecked}", False)
    from celpy.evaluation import CELEvalError

    result = _evaluate(rule.program, value)
    if isinstance(result, CELEvalError):
        text = _error_text(result)
        if any(marker in text for marker in _MISSING):
            return Outcome(where, f"rule {rule.rule!r} fails: {_short(text)}", True)
        return Outcome(where, f"rule {rule.rule!r} not checked offline: {_short(text)}", False)
    if not isinstance(result, _ct().BoolType):
        return Outcome(where, f"rule {rule.rule!r} not checked offline: not a boolean", False)
    if result:
        return None
    message = rule.message or f"failed rule: {rule.rule}"
    if rule.message_program is not None:
        text = _evaluate(rule.message_program, value)
        if isinstance(text, str) and not isinstance(text, CELEvalError) and text.strip():
            message = str(text)
    if rule.field_path:
        where = (where + rule.field_path) if where else rule.field_path.lstrip(".")
    return Outcome(where, message, True)


def _short(text: str) -> str:
    match = re.search(r"no such (?:member in mapping|key): '?([^'\")]+)'?", text)
    if match:
        return f"no such key: {match.group(1)}"
    return text.splitlines()[0][:200] if text else "evaluation error"


def with_defaults(node: Mapping[str, Any], value: Any) -> Any:
    """``value`` with the ``default`` of each absent property filled in (a copy when any is)."""
    props = node.get("properties")
    if not isinstance(value, dict) or not isinstance(props, Mapping):
        return value
    missing = {
        name: sub["default"]
        for name, sub in props.items()
        if isinstance(sub, Mapping) and "default" in sub and name not in value
    }
    return {**value, **missing} if missing else value


def to_cel(node: Mapping[str, Any], value: Any) -> Any:
    """``value`` as CEL sees it under schema ``node``: objects with declared properties spell
    their field names escaped, ``number`` fields are doubles."""
    celtypes = _ct()
    if value is None:
        return None
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        return (
            celtypes.DoubleType(value) if node.get("type") == "number" else celtypes.IntType(value)
        )
    if isinstance(value, float):
        return celtypes.DoubleType(value)
    if isinstance(value, str):
        return celtypes.StringType(value)
    if isinstance(value, list):
        items = node.get("items")
        sub = items if isinstance(items, Mapping) else {}
        return celtypes.ListType([to_cel(sub, v) for v in value])
    if isinstance(value, dict):
        value = with_defaults(node, value)
        props = node.get("properties")
        props = props if isinstance(props, Mapping) else {}
        extra = node.get("additionalProperties")
        extra = extra if isinstance(extra, Mapping) else {}
        out = {}
        for key, item in value.items():
            name = str(key)
            if name in props:
                sub = props[name] if isinstance(props[name], Mapping) else {}
                out[celtypes.StringType(escape_field(name))] = to_cel(sub, item)
            else:
                out[celtypes.StringType(name)] = to_cel(extra, item)
        return celtypes.MapType(out)
    return celtypes.StringType(str(value))


def has_rules(schema: object) -> bool:
    """Whether any node of ``schema`` carries ``x-kubernetes-validations``."""
    return any(True for _ in _rule_nodes(schema))


def _rule_nodes(schema: object) -> Iterator[Mapping[str, Any]]:
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if node.get("x-kubernetes-validations"):
                yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


_rule_sets: dict[int, tuple[Mapping[str, Any], RuleSet | None]] = {}


def rule_set(schema: Mapping[str, Any]) -> RuleSet | None:
    """The compiled rules of one CRD version's schema (None when it has none), made once per
    schema object: the ``--crd`` loader hands every tree of a run the same object."""
    held = _rule_sets.get(id(schema))
    if held is not None and held[0] is schema:
        return held[1]
    if len(_rule_sets) >= 256:
        _rule_sets.clear()
    rules = RuleSet(schema) if has_rules(schema) else None
    _rule_sets[id(schema)] = (schema, rules)
    return rules
