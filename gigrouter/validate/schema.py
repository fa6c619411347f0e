"""Validate built-in Kubernetes kinds against the JSON schemas bundled with kubernetes-validate.

kubernetes-validate ships one directory of "strict" JSON schemas per Kubernetes minor release
(``kubernetes_validate/kubernetes-json-schema/v1.XX.0-local-strict/``): a shared
``_definitions.json`` holding every type, and one small file per type whose ``$ref``\\ s point
into it. This module reads those files directly instead of calling
``kubernetes_validate.validate()``, which re-reads both files on every call and stops at the
first error. Here every file is parsed at most once per process, one validator is built per
(schema version, file), and every error in a document is reported.

Which file describes which (apiVersion, kind) is read from the bundle itself: each top-level
type in ``_definitions.json`` carries ``x-kubernetes-group-version-kind``, and its file is named
after the definition (``io.k8s.api.apps.v1.Deployment`` -> ``deployment-apps-v1.json``,
``io.k8s.api.core.v1.Service`` -> ``service-v1.json``). That matches kubernetes-validate's own
naming (group up to the first dot, e.g. ``networking.k8s.io/v1`` -> ``networking-v1``) for every
group except ``internal.apiserver.k8s.io`` (files say ``apiserverinternal``), and unlike a
name-only mapping it does not mistake a custom resource such as ``networking.example.com/v1``
``Ingress`` for a built-in kind.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from gigrouter.errors import GigrouterError
from gigrouter.validate.base import SchemaError, format_path
from gigrouter.validate.fastcheck import Check, Compiler, Unsupported
from gigrouter.validate.patterns import compile_trusted, validator_class

if TYPE_CHECKING:  # jsonschema is imported only when a document has errors to explain
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

__all__ = [
    "REMOVED_APIS",
    "SUPPORTED_BUNDLE",
    "ApiRemoval",
    "KubernetesSchemas",
    "RemovedApi",
    "SchemaBundleError",
    "UnknownKindError",
    "describe_errors",
    "supported_versions",
]

_BUNDLE_PACKAGE = "kubernetes_validate"
_BUNDLE_DIR = "kubernetes-json-schema"
_DEFINITIONS = "_definitions.json"
_VERSION_DIR = re.compile(r"v1\.(\d+)\.0-local-strict")
_REQUESTED_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.\d+)?")

SUPPORTED_BUNDLE = "kubernetes-validate>=1.30,<1.38"
"""The kubernetes-validate releases whose file layout this module reads (pyproject.toml says the
same): 1.29.0 to 1.37.0 share it, 1.28 and older keep draft-04 ``definitions`` instead."""

PathParts = tuple[str | int, ...]


# --------------------------------------------------------------------------------------------
# Removed APIs
# --------------------------------------------------------------------------------------------


class RemovedApi(NamedTuple):
    """One row of :data:`REMOVED_APIS`."""

    removed_in: tuple[int, int]
    """The Kubernetes (major, minor) release that stopped serving the API."""
    replacements: tuple[str, ...]
    """apiVersions to use instead, best first; empty when there is no replacement."""
    note: str = ""
    """Extra advice, used when there is no replacement."""


def _rows(
    api_versions: tuple[str, ...],
    kinds: tuple[str, ...],
    removed_in: tuple[int, int],
    replacements: tuple[str, ...],
    note: str = "",
) -> dict[tuple[str, str], RemovedApi]:
    row = RemovedApi(removed_in, replacements, note)
    return {(api_version, kind): row for api_version in api_versions for kind in kinds}


_FLOWCONTROL = "flowcontrol.apiserver.k8s.io"
_PSP_NOTE = "use Pod Security Admission instead"

REMOVED_APIS: Mapping[tuple[str, str], RemovedApi] = {
    # v1.16
    **_rows(("extensions/v1beta1",), ("NetworkPolicy",), (1, 16), ("networking.k8s.io/v1",)),
    **_rows(
        ("extensions/v1beta1",),
        ("PodSecurityPolicy",),
        (1, 16),
        (),
        "its successor policy/v1beta1 was removed in 1.25; " + _PSP_NOTE,
    ),
    **_rows(("extensions/v1beta1", "apps/v1beta2"), ("DaemonSet",), (1, 16), ("apps/v1",)),
    **_rows(
        ("extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"),
        ("Deployment", "ReplicaSet"),
        (1, 16),
        ("apps/v1",),
    ),
    **_rows(("apps/v1beta1", "apps/v1beta2"), ("StatefulSet",), (1, 16), ("apps/v1",)),
    # v1.22
    **_rows(
        ("admissionregistration.k8s.io/v1beta1",),
        ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"),
        (1, 22),
        ("admissionregistration.k8s.io/v1",),
    ),
    **_rows(
        ("apiextensions.k8s.io/v1beta1",),
        ("CustomResourceDefinition",),
        (1, 22),
        ("apiextensions.k8s.io/v1",),
    ),
    **_rows(
        ("apiregistration.k8s.io/v1beta1",),
        ("APIService",),
        (1, 22),
        ("apiregistration.k8s.io/v1",),
    ),
    **_rows(
        ("authentication.k8s.io/v1beta1",), ("TokenReview",), (1, 22), ("authentication.k8s.io/v1",)
    ),
    **_rows(
        ("authorization.k8s.io/v1beta1",),
        ("LocalSubjectAccessReview", "SelfSubjectAccessReview", "SubjectAccessReview"),
        (1, 22),
        ("authorization.k8s.io/v1",),
    ),
    **_rows(
        ("certificates.k8s.io/v1beta1",),
        ("CertificateSigningRequest",),
        (1, 22),
        ("certificates.k8s.io/v1",),
    ),
    **_rows(("coordination.k8s.io/v1beta1",), ("Lease",), (1, 22), ("coordination.k8s.io/v1",)),
    **_rows(
        ("extensions/v1beta1", "networking.k8s.io/v1beta1"),
        ("Ingress",),
        (1, 22),
        ("networking.k8s.io/v1",),
    ),
    **_rows(("networking.k8s.io/v1beta1",), ("IngressClass",), (1, 22), ("networking.k8s.io/v1",)),
    **_rows(
        ("rbac.authorization.k8s.io/v1beta1",),
        ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"),
        (1, 22),
        ("rbac.authorization.k8s.io/v1",),
    ),
    **_rows(("scheduling.k8s.io/v1beta1",), ("PriorityClass",), (1, 22), ("scheduling.k8s.io/v1",)),
    **_rows(
        ("storage.k8s.io/v1beta1",),
        ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"),
        (1, 22),
        ("storage.k8s.io/v1",),
    ),
    # v1.25
    **_rows(("batch/v1beta1",), ("CronJob",), (1, 25), ("batch/v1",)),
    **_rows(("discovery.k8s.io/v1beta1",), ("EndpointSlice",), (1, 25), ("discovery.k8s.io/v1",)),
    **_rows(("events.k8s.io/v1beta1",), ("Event",), (1, 25), ("events.k8s.io/v1",)),
    **_rows(("autoscaling/v2beta1",), ("HorizontalPodAutoscaler",), (1, 25), ("autoscaling/v2",)),
    **_rows(("policy/v1beta1",), ("PodDisruptionBudget",), (1, 25), ("policy/v1",)),
    **_rows(("policy/v1beta1",), ("PodSecurityPolicy",), (1, 25), (), _PSP_NOTE),
    **_rows(("node.k8s.io/v1beta1",), ("RuntimeClass",), (1, 25), ("node.k8s.io/v1",)),
    # v1.26
    **_rows(
        (f"{_FLOWCONTROL}/v1beta1",),
        ("FlowSchema", "PriorityLevelConfiguration"),
        (1, 26),
        (f"{_FLOWCONTROL}/v1", f"{_FLOWCONTROL}/v1beta3"),
    ),
    **_rows(("autoscaling/v2beta2",), ("HorizontalPodAutoscaler",), (1, 26), ("autoscaling/v2",)),
    # v1.27
    **_rows(("storage.k8s.io/v1beta1",), ("CSIStorageCapacity",), (1, 27), ("storage.k8s.io/v1",)),
    # v1.29
    **_rows(
        (f"{_FLOWCONTROL}/v1beta2",),
        ("FlowSchema", "PriorityLevelConfiguration"),
        (1, 29),
        (f"{_FLOWCONTROL}/v1", f"{_FLOWCONTROL}/v1beta3"),
    ),
    # v1.32
    **_rows(
        (f"{_FLOWCONTROL}/v1beta3",),
        ("FlowSchema", "PriorityLevelConfiguration"),
        (1, 32),
        (f"{_FLOWCONTROL}/v1",),
    ),
}
"""APIs that Kubernetes stopped serving, keyed by (apiVersion, kind).

Source: the Kubernetes "Deprecated API Migration Guide"
(https://kubernetes.io/docs/reference/using-api/deprecation-guide/), sections "Removed APIs by
release" v1.16, v1.22, v1.25, v1.26, v1.27, v1.29 and v1.32. Only the (apiVersion, kind) pairs
the guide names are listed (e.g. apps/v1beta1 never had DaemonSet). Where the guide offers more
than one replacement the newest comes first; :meth:`KubernetesSchemas.removed_api` picks the
first one the chosen Kubernetes version serves (flowcontrol v1 only exists from 1.29, so a 1.26
cluster is pointed at v1beta3).
"""


@dataclass(frozen=True)
class ApiRemoval:
    """An (apiVersion, kind) that the chosen Kubernetes version no longer serves."""

    api_version: str
    kind: str
    removed_in: str
    """Release that stopped serving it, e.g. ``"1.22"``."""
    replacement: str | None
    """apiVersion to migrate to, or None when the kind itself is gone."""
    note: str = ""

    def describe(self) -> str:
        """Short text: ``"<replacement> (<apiVersion> <kind> was removed in Kubernetes X.Y)"``.

        Without a replacement the text starts with ``"no replacement"`` instead, and the note
        follows inside the parentheses.
        """
        what = f"{self.api_version} {self.kind} was removed in Kubernetes {self.removed_in}"
        if self.replacement is not None:
            return f"{self.replacement} ({what})"
        note = f"; {self.note}" if self.note else ""
        return f"no replacement ({what}{note})"


# --------------------------------------------------------------------------------------------
# Bundle access (module-level caches: every instance for one schema version shares them)
# --------------------------------------------------------------------------------------------


class SchemaBundleError(GigrouterError):
    """The installed kubernetes-validate does not have the files this module reads (exit 2)."""

    def __init__(self, problem: str) -> None:
        super().__init__(
            f"{_installed_bundle()} {problem}; gigrouter reads the schema files of "
            f"{SUPPORTED_BUNDLE} (pip install '{SUPPORTED_BUNDLE}')"
        )


def _installed_bundle() -> str:
    from importlib import metadata

    try:
        return f"kubernetes-validate {metadata.version('kubernetes-validate')}"
    except metadata.PackageNotFoundError:
        return "kubernetes-validate"


@functools.cache
def _bundle_root() -> Traversable:
    """The schema bundle's directory, found without importing kubernetes_validate (whose
    package import loads jsonschema and its own validator: 40 ms a command)."""
    spec = importlib.util.find_spec(_BUNDLE_PACKAGE)
    if spec is None:
        raise SchemaBundleError("is not installed")
    for location in spec.submodule_search_locations or []:
        candidate = Path(location) / _BUNDLE_DIR
        if candidate.is_dir():
            return candidate
    try:
        root = resources.files(_BUNDLE_PACKAGE).joinpath(_BUNDLE_DIR)
    except (ImportError, TypeError):  # TypeError: a module, not a package
        root = None
    if root is None or not root.is_dir():
        raise SchemaBundleError(f"has no {_BUNDLE_DIR} directory")
    return root


@functools.lru_cache(maxsize=1)
def _bundled_minors() -> tuple[int, ...]:
    """Kubernetes 1.x minors that have a strict schema directory, ascending."""
    minors = []
    for entry in _bundle_root().iterdir():
        match = _VERSION_DIR.fullmatch(entry.name)
        if match and entry.is_dir():
            minors.append(int(match.group(1)))
    if not minors:
        raise SchemaBundleError(f"has no {_BUNDLE_DIR}/v1.XX.0-local-strict directories")
    return tuple(sorted(minors))


@functools.cache
def _check_layout(version_dir: str) -> None:
    """Raise :class:`SchemaBundleError` unless ``version_dir`` has the files and keys read here."""
    where = f"{_BUNDLE_DIR}/{version_dir}"
    try:
        definitions = _load_json(version_dir, _DEFINITIONS)
    except (OSError, ValueError):
        definitions = None
    if (
        not isinstance(definitions, dict)
        or not isinstance(definitions.get("$defs"), dict)
        or not isinstance(definitions.get("$id"), str)
    ):
        raise SchemaBundleError(
            f'has another schema layout: {where}/{_DEFINITIONS} is not a JSON object with "$defs"'
            ' and "$id"'
        )
    if not _kind_index(version_dir):
        raise SchemaBundleError(
            f"has another schema layout: no file in {where} is named after a kind in {_DEFINITIONS}"
        )


def supported_versions() -> list[str]:
    """Kubernetes versions with bundled schemas, e.g. ``["1.25", ..., "1.37"]``."""
    return [f"1.{minor}" for minor in _bundled_minors()]


def _read_text(version_dir: str, filename: str) -> str:
    """Read one bundled file (the only place that touches the files)."""
    return _bundle_root().joinpath(version_dir, filename).read_text(encoding="utf-8")


@functools.cache
def _load_json(version_dir: str, filename: str) -> Any:
    return json.loads(_read_text(version_dir, filename))


@functools.cache
def _file_names(version_dir: str) -> frozenset[str]:
    return frozenset(entry.name for entry in _bundle_root().joinpath(version_dir).iterdir())


def _file_for_definition(definition: str) -> str:
    # io.k8s.api.apps.v1.Deployment -> deployment-apps-v1.json; core -> service-v1.json
    *_, package, version, kind = definition.split(".")
    group = "" if package == "core" else f"{package}-"
    return f"{kind.lower()}-{group}{version}.json"


@functools.cache
def _kind_index(version_dir: str) -> Mapping[tuple[str, str], str]:
    """Map (apiVersion, kind) -> schema file for every top-level kind of one bundle."""
    definitions: dict[str, Any] = _load_json(version_dir, _DEFINITIONS)["$defs"]
    present = _file_names(version_dir)
    index: dict[tuple[str, str], str] = {}
    for name, schema in definitions.items():
        # apimachinery types (DeleteOptions, Status, WatchEvent...) list dozens of groups but
        # are not manifests anyone applies.
        if name.startswith("io.k8s.apimachinery."):
            continue
        for gvk in schema.get("x-kubernetes-group-version-kind", ()):
            filename = _file_for_definition(name)
            if filename not in present:
                continue
            group, version = gvk.get("group", ""), gvk["version"]
            api_version = f"{group}/{version}" if group else version
            index[(api_version, gvk["kind"])] = filename
    return index


@functools.cache
def _definitions_registry(version_dir: str) -> Registry[Any]:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    definitions: dict[str, Any] = _load_json(version_dir, _DEFINITIONS)
    uri: str = definitions["$id"]
    resource: Resource[Any] = Resource.from_contents(definitions, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(uri, resource)
    return registry


@functools.cache
def _validator(version_dir: str, filename: str) -> Any:
    from referencing import Resource
    from referencing.jsonschema import DRAFT202012

    schema: dict[str, Any] = _load_json(version_dir, filename)
    uri: str = schema["$id"]
    resource: Resource[Any] = Resource.from_contents(schema, default_specification=DRAFT202012)
    registry = _definitions_registry(version_dir).with_resource(uri, resource)
    return validator_class()(schema, registry=registry)  # patterns on RE2, linear uniqueItems


@functools.cache
def _fast_check(version_dir: str, filename: str, lazy: bool = True) -> Check | None:
    """A compiled yes/no check for one kind, or None when its schema needs jsonschema.

    One compiler per schema version, so definitions shared by many kinds (ObjectMeta,
    PodSpec) compile once."""
    try:
        return _compiler(version_dir, lazy).compile(_load_json(version_dir, filename))
    except Unsupported:
        return None


@functools.cache
def _compiler(version_dir: str, lazy: bool) -> Compiler:
    definitions: dict[str, Any] = _load_json(version_dir, _DEFINITIONS)["$defs"]

    def resolve(ref: str, base: str) -> tuple[Mapping[str, Any], str]:
        fragment = ref.partition("#")[2]
        section, _, name = fragment.strip("/").partition("/")
        if section != "$defs" or name not in definitions:
            raise Unsupported(ref)
        found: Mapping[str, Any] = definitions[name]
        return found, _DEFINITIONS

    return Compiler(resolve, lazy)


def _parse_version(kubernetes_version: str) -> tuple[int, int]:
    match = _REQUESTED_VERSION.fullmatch(kubernetes_version.strip())
    if match is None:
        raise ValueError(
            f"invalid Kubernetes version {kubernetes_version!r}: expected MAJOR.MINOR like '1.30'"
        )
    major, minor = int(match.group(1)), int(match.group(2))
    minors = _bundled_minors()
    if major != 1 or not minors[0] <= minor <= minors[-1]:
        raise ValueError(
            f"Kubernetes {major}.{minor} is not supported: the schemas bundled with "
            f"kubernetes-validate cover 1.{minors[0]} to 1.{minors[-1]}"
        )
    return major, minor


# --------------------------------------------------------------------------------------------
# Error messages
# --------------------------------------------------------------------------------------------


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _preview(value: object, limit: int = 40) -> str:
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _type_message(expected: object, instance: object) -> str:
    types = [expected] if isinstance(expected, str) else [str(t) for t in _as_list(expected)]
    wanted = [t for t in dict.fromkeys(types) if t != "null"] or types
    got = _json_type(instance)
    shown = f" {_preview(instance)}" if got in ("string", "integer", "number", "boolean") else ""
    message = f"expected {' or '.join(wanted)}, got {got}{shown}"
    if got == "string" and isinstance(instance, str) and _looks_numeric(instance):
        if "string" not in wanted and {"integer", "number"} & set(wanted):
            message += "; remove the quotes"
    elif "string" in wanted and got not in ("string", "object", "array", "null"):
        message += "; quote it"  # numbers, booleans, YAML dates
    return message


def _unknown_field_message(key: str, known: Mapping[str, Any]) -> str:
    message = f"unknown field {key!r} is not allowed"
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)
    if not close:
        close = [name for name in known if name.lower() == key.lower()][:1]
    if close:
        message += f" (did you mean {close[0]!r}?)"
    return message


def _alternative_types(error: ValidationError) -> list[str] | None:
    """For oneOf/anyOf whose branches only constrain the type, every type they allow."""
    branches = error.validator_value
    if not isinstance(branches, list):
        return None
    types: list[str] = []
    for branch in branches:
        if not isinstance(branch, dict) or set(branch) - {"type", "description", "format"}:
            return None
        branch_type = branch.get("type")
        if isinstance(branch_type, str):
            types.append(branch_type)
        elif isinstance(branch_type, list):
            types.extend(str(t) for t in branch_type)
        else:
            return None
    return types


def _most_useful(context: list[ValidationError]) -> ValidationError:
    """The branch error worth showing: ignore branches that expect another type altogether
    (for an object, "missing field 'host'" beats "expected string"), then best_match."""
    mismatched = {
        c.relative_schema_path[0]
        for c in context
        if c.validator == "type" and not c.relative_path and c.relative_schema_path
    }
    useful = [
        c for c in context if c.relative_schema_path and c.relative_schema_path[0] not in mismatched
    ]
    from jsonschema.exceptions import best_match

    return best_match(useful or context)


def _explain(error: ValidationError) -> Iterator[tuple[PathParts, str]]:
    """Turn one jsonschema error into (path, message) pairs a user can act on."""
    path: PathParts = tuple(error.absolute_path)
    keyword = error.validator
    instance = error.instance

    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {})
        patterns = error.schema.get("patternProperties", {})
        extras = [
            key
            for key in instance
            if key not in known
            and not any(compile_trusted(str(p)).search(str(key)) for p in patterns)
        ]
        if extras and error.validator_value is False:
            for key in sorted(extras, key=str):
                yield (*path, str(key)), _unknown_field_message(str(key), known)
            return
    elif keyword == "required" and isinstance(instance, dict):
        for name in error.validator_value:
            if name not in instance:
                yield path, f"missing required field {name!r}"
        return
    elif keyword == "type":
        yield path, _type_message(error.validator_value, instance)
        return
    elif keyword == "enum":
        allowed = ", ".join(_preview(v) for v in error.validator_value)
        yield path, f"must be one of {allowed}; got {_preview(instance)}"
        return
    elif keyword in ("oneOf", "anyOf"):
        # Kubernetes' IntOrString and Quantity are oneOf two bare types: say which types fit.
        # (An empty context means several branches matched: only null does that there.)
        types = _alternative_types(error)
        if types is not None and (error.context or instance is None):
            yield path, _type_message(types, instance)
            return
        if error.context:
            yield from _explain(_most_useful(error.context))
            return
    yield path, error.message


def _path_key(parts: PathParts) -> tuple[tuple[int, int, str], ...]:
    # str(): YAML mapping keys may be null, numbers or booleans, which do not sort with text
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in parts)


MAX_ERRORS = 200
"""Raw schema errors explained per document; a document with more gets one more error saying
so (a hostile document with 200,000 wrong values must not take minutes to report)."""


def describe_errors(errors: Iterable[ValidationError], bounded: bool = False) -> list[SchemaError]:
    """Turn jsonschema errors (from ``iter_errors``) into short, sorted :class:`SchemaError`\\ s.

    An unknown field becomes one error at that field's path; each missing required field one
    error at the object that lacks it; type errors say what was expected and what was found;
    for ``oneOf``/``anyOf`` the most relevant branch (``jsonschema.exceptions.best_match``)
    is explained. Results are de-duplicated and sorted by path (list indexes numerically), then
    message. Reusable for any JSON schema, not only Kubernetes ones.
    """
    found: set[tuple[PathParts, str]] = set()
    for count, error in enumerate(errors):
        if bounded and count >= MAX_ERRORS:
            found.add(((), too_many_errors(MAX_ERRORS)))
            break
        found.update(_explain(error))
    ordered = sorted(found, key=lambda item: (_path_key(item[0]), item[1]))
    return [SchemaError(format_path(list(path)), message) for path, message in ordered]


def too_many_errors(limit: int) -> str:
    return f"more than {limit} schema errors; only the first {limit} are reported"


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------


class UnknownKindError(LookupError):
    """Raised by :meth:`KubernetesSchemas.validate` for a kind without a bundled schema."""


class KubernetesSchemas:
    """The strict JSON schemas of one Kubernetes version, bundled with kubernetes-validate.

    ``kubernetes_version`` is ``"MAJOR.MINOR"`` (``"v1.30"`` and ``"1.30.2"`` work too). The
    schemas used are the newest bundled ones not newer than it, as kubernetes-validate does;
    a version outside the bundled range raises ValueError naming the supported range.

    Parsed files and validators are cached per process, so creating several instances for the
    same version is cheap.
    """

    def __init__(self, kubernetes_version: str = "1.30") -> None:
        try:
            major, minor = _parse_version(kubernetes_version)
        except ValueError:  # another layout explains a version that seems unsupported better
            _check_layout(f"v1.{_bundled_minors()[-1]}.0-local-strict")
            raise
        schema_minor = max(m for m in _bundled_minors() if m <= minor)
        self.kubernetes_version = f"{major}.{minor}"
        """The requested version as ``MAJOR.MINOR``; API removals are judged against it."""
        self.schema_version = f"1.{schema_minor}"
        """The bundled schema version actually used."""
        self._minor = minor
        self._dir = f"v1.{schema_minor}.0-local-strict"
        _check_layout(self._dir)

    def __repr__(self) -> str:
        return f"KubernetesSchemas({self.kubernetes_version!r})"

    def schema_file(self, api_version: str, kind: str) -> str | None:
        """Name of the bundled schema file for (apiVersion, kind), or None if there is none."""
        return _kind_index(self._dir).get((api_version, kind))

    def has_schema(self, api_version: str, kind: str) -> bool:
        """True if (apiVersion, kind) is a built-in kind served by this Kubernetes version."""
        return self.schema_file(api_version, kind) is not None

    def validate(self, doc: dict[str, Any]) -> list[SchemaError]:
        """Check one manifest against its kind's schema and return every problem found.

        Errors are sorted by field path (list indexes numerically), then message, with
        duplicates removed. A document whose ``apiVersion`` or ``kind`` is missing or not a
        string yields one error for that. Raises :class:`UnknownKindError` (a LookupError) for
        a kind with no bundled schema: call :meth:`has_schema` first, and :meth:`removed_api`
        to explain removed APIs.
        """
        if not isinstance(doc, dict):
            return [SchemaError("", f"expected a mapping, got {_json_type(doc)}")]
        api_version, kind = doc.get("apiVersion"), doc.get("kind")
        header = [
            SchemaError(field, f"{field} is required and must be a non-empty string")
            for field, value in (("apiVersion", api_version), ("kind", kind))
            if not isinstance(value, str) or not value
        ]
        if header:
            return header
        assert isinstance(api_version, str) and isinstance(kind, str)
        filename = self.schema_file(api_version, kind)
        if filename is None:
            removal = self.removed_api_info(api_version, kind)
            detail = ""
            if removal is not None:
                use = "use " if removal.replacement else ""
                detail = f"; {use}{removal.describe()}"
            raise UnknownKindError(
                f"no built-in schema for apiVersion {api_version!r} kind {kind!r} in "
                f"Kubernetes {self.schema_version}{detail}"
            )
        fast = _fast_check(self._dir, filename)
        try:
            if fast is not None and fast(doc):
                return []
        except Unsupported:
            pass  # a lazily compiled part needs jsonschema: let it answer

        return describe_errors(_validator(self._dir, filename).iter_errors(doc), bounded=True)

    def removed_api_info(self, api_version: str, kind: str) -> ApiRemoval | None:
        """Details of (apiVersion, kind) if this Kubernetes version no longer serves it.

        Returns None for APIs that are still served or unknown (custom resources, typos).
        ``replacement`` is the first replacement from :data:`REMOVED_APIS` that this version
        serves (falling back to the first listed), or None when the kind was dropped.
        """
        row = REMOVED_APIS.get((api_version, kind))
        if row is None or (1, self._minor) < row.removed_in:
            return None
        replacement = next(
            (r for r in row.replacements if self.has_schema(r, kind)),
            row.replacements[0] if row.replacements else None,
        )
        return ApiRemoval(
            api_version=api_version,
            kind=kind,
            removed_in=f"{row.removed_in[0]}.{row.removed_in[1]}",
            replacement=replacement,
            note=row.note,
        )

    def removed_api(self, api_version: str, kind: str) -> str | None:
        """Short advice if this Kubernetes version no longer serves (apiVersion, kind), else None.

        The text is ``"<replacement apiVersion> (<apiVersion> <kind> was removed in Kubernetes
        X.Y)"``, e.g. ``"networking.k8s.io/v1 (extensions/v1beta1 Ingress was removed in
        Kubernetes 1.22)"``, so a caller can write ``f"apiVersion is not served; use {advice}"``.
        When the kind has no successor the text starts with ``"no replacement ("`` instead. Use
        :meth:`removed_api_info` for the parts as fields.
        """
        info = self.removed_api_info(api_version, kind)
        return None if info is None else info.describe()
