"""Constrained value types shared by the platform model.

Each type rejects, with a message that says what would be valid, any value that Kubernetes,
Argo CD or AWS would reject later. Free-form strings exclude characters YAML cannot carry.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_HOST = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$")
_QUANTITY = re.compile(
    r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
    r"(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)
_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_IMAGE = re.compile(
    r"^(?P<name>[a-z0-9]+([._-]{1,2}[a-z0-9]+|-+[a-z0-9]+)*"
    r"(:[0-9]+)?(/[a-z0-9]+([._-]{1,2}[a-z0-9]+|-+[a-z0-9]+)*)*)"
    r"(:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$"
)
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:[A-Za-z0-9_+=,.@/:-]+$")
_VPC = re.compile(r"^vpc-[0-9a-f]{8,17}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
_GIT_REVISION = re.compile(r"^[A-Za-z0-9._/+-]+$")
_IANA_SVC_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def printable(value: str) -> str:
    """Reject characters that YAML cannot carry in a stream (control characters, surrogates)."""
    for ch in value:
        code = ord(ch)
        if ch in "\t\n" or 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF:
            continue
        if 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF:
            continue
        raise ValueError(f"contains the unprintable character U+{code:04X}")
    return value


def dns1123_label(value: str) -> str:
    if len(value) > 63 or not _DNS1123_LABEL.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a DNS-1123 label: at most 63 lower-case letters, digits and '-',"
            " starting and ending with a letter or digit"
        )
    return value


def dns1035_label(value: str) -> str:
    if len(value) > 63 or not _DNS1035_LABEL.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a DNS-1035 label: at most 63 lower-case letters, digits and '-',"
            " starting with a letter and ending with a letter or digit"
        )
    return value


def dns1123_subdomain(value: str) -> str:
    if len(value) > 253 or not all(_DNS1123_LABEL.fullmatch(p) for p in value.split(".")):
        raise ValueError(
            f"{value!r} is not a DNS-1123 subdomain: lower-case labels of letters, digits and"
            " '-' joined by '.', at most 253 characters"
        )
    return value


def host(value: str) -> str:
    if len(value) > 253 or not _HOST.fullmatch(value) or any(len(p) > 63 for p in value.split(".")):
        raise ValueError(
            f"{value!r} is not a host name: lower-case DNS labels joined by '.', such as"
            " 'example.com' or '*.example.com'"
        )
    return value


def quantity_text(value: object) -> object:
    """Numbers in YAML (``replicas: 1`` style) become the quantity string they spell."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def quantity(value: str) -> str:
    text = value
    if not _QUANTITY.fullmatch(text):
        raise ValueError(
            f"{value!r} is not a Kubernetes quantity such as '100m', '0.5', '256Mi' or '2Gi'"
        )
    try:
        amount = quantity_value(text)
    except ArithmeticError:
        raise ValueError(f"{value!r} is out of range for a Kubernetes quantity") from None
    if amount < 0:
        raise ValueError(f"{value!r} is negative; CPU, memory and storage are at least 0")
    return text


_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def quantity_value(text: str) -> Decimal:
    """The exact amount a quantity string (one ``quantity`` accepts) stands for."""
    match = _QUANTITY.fullmatch(text)
    assert match is not None, text
    suffix = match.group(3) or ""
    number = Decimal(text[: len(text) - len(suffix)])
    if suffix in _BINARY:
        return number * (Decimal(2) ** _BINARY[suffix])
    if suffix in _DECIMAL:
        return number.scaleb(_DECIMAL[suffix])
    return number.scaleb(int(suffix[1:])) if suffix else number


def duration(value: str) -> str:
    if not _DURATION.fullmatch(value):
        raise ValueError(f"{value!r} is not a duration such as '10s', '3m' or '1h30m'")
    return value


# OCI's registered digest algorithms and the length of their hex encoding (set-image reads
# this too).
DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


def image(value: str) -> str:
    if len(value) > 512 or not _IMAGE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an image reference such as 'registry.example.com/team/app:1.2.3'"
        )
    name = value.partition(":")[0]
    if name in DIGEST_LENGTHS and "/" not in value and "@" not in value:
        raise ValueError(
            f"{value!r} is a digest, not an image reference: give the repository too"
            f" (repo@{name}:...)"
        )
    return value


def image_tag(value: str) -> str:
    if not _TAG.fullmatch(value):
        raise ValueError(f"{value!r} is not an image tag (letters, digits, '_', '.', '-')")
    return value


def url_path(value: str) -> str:
    if len(value) > 1024 or not _PATH.fullmatch(value):
        raise ValueError(f"{value!r} is not an absolute URL path such as '/' or '/api'")
    return value


def env_name(value: str) -> str:
    if not _ENV_NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid environment variable name")
    return value


def arn(value: str) -> str:
    if not _ARN.fullmatch(value):
        raise ValueError(f"{value!r} is not an AWS ARN such as 'arn:aws:acm:REGION:ACCOUNT:...'")
    return value


def vpc_id(value: str) -> str:
    if not _VPC.fullmatch(value):
        raise ValueError(f"{value!r} is not a VPC id such as 'vpc-0123456789abcdef0'")
    return value


def region(value: str) -> str:
    if not _REGION.fullmatch(value):
        raise ValueError(f"{value!r} is not an AWS region such as 'eu-north-1'")
    return value


def git_revision(value: str) -> str:
    if not _GIT_REVISION.fullmatch(value) or ".." in value or value.endswith((".", "/", ".lock")):
        raise ValueError(f"{value!r} is not a git branch, tag or commit")
    return value


def port_name(value: str) -> str:
    if len(value) > 15 or "--" in value or not _IANA_SVC_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a port name: at most 15 lower-case letters, digits and '-',"
            " with at least one letter"
        )
    return value


def relative_dir(value: str) -> str:
    """A repository-relative directory: '' (the root) or 'a/b' without '.', '..' or '//'."""
    cleaned = value.strip("/")
    if cleaned == "":
        return ""
    parts = cleaned.split("/")
    if any(p in ("", ".", "..") for p in parts) or "\\" in cleaned:
        raise ValueError(f"{value!r} must be a relative path inside the repository, like 'deploy'")
    printable(cleaned)
    return cleaned


def _schema(pattern: re.Pattern[str] | str, max_length: int | None = None) -> WithJsonSchema:
    """The JSON Schema of a checked string: its pattern (the checker's own regex, without
    Python-only group names) and length, so editors and schema-driven tools know the form."""
    text = pattern if isinstance(pattern, str) else pattern.pattern
    schema: dict[str, object] = {"type": "string", "pattern": re.sub(r"\(\?P<\w+>", "(", text)}
    if max_length is not None:
        schema["maxLength"] = max_length
    return WithJsonSchema(schema)


_SUBDOMAIN_SCHEMA = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"

# Both JSON Schema (ECMA 262) and Python read these escapes alike. The schema patterns below
# also say, with lookaheads, what the checkers test in code (label lengths, '--' in a port name,
# a digest without its repository, '..' in a git ref, a negative quantity), so an editor flags
# what render refuses. (Lone surrogates stay out: ECMA 262 sees characters past U+FFFF as two.)
_NOT_PRINTABLE = r"\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff"
_PRINTABLE_SCHEMA = rf"^[^{_NOT_PRINTABLE}]*$"
_HOST_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
# A config may write a host relative to the platform's domain ("api.{domain}", "{domain}"): the
# loader substitutes the domain before the model checks the host, so the schema takes both.
_HOST_SCHEMA = rf"^(\*\.)?({_HOST_LABEL}(\.{_HOST_LABEL})+|({_HOST_LABEL}\.)*\{{domain\}})$"
_PORT_NAME_SCHEMA = r"^(?!.*--)" + _IANA_SVC_NAME.pattern[1:]
_GIT_REVISION_SCHEMA = r"^(?!.*\.\.)(?!.*(\.|/|\.lock)$)" + _GIT_REVISION.pattern[1:]
_DIGESTS = "|".join(sorted(DIGEST_LENGTHS))
_IMAGE_SCHEMA = rf"^(?!({_DIGESTS})(:[^/@]*)?$)" + _IMAGE.pattern[1:]
_SEGMENT = rf"(?!\.\.?(/|$))[^/\\{_NOT_PRINTABLE}]+"
_RELATIVE_DIR_SCHEMA = rf"^/*({_SEGMENT}(/{_SEGMENT})*/*)?$"
_QUANTITY_SCHEMA = r"^(?!-[0-9.]*[1-9])" + _QUANTITY.pattern[1:]

Text = Annotated[str, AfterValidator(printable), _schema(_PRINTABLE_SCHEMA)]
DnsLabel = Annotated[str, AfterValidator(dns1123_label), _schema(_DNS1123_LABEL, 63)]
Dns1035Label = Annotated[str, AfterValidator(dns1035_label), _schema(_DNS1035_LABEL, 63)]
DnsSubdomain = Annotated[str, AfterValidator(dns1123_subdomain), _schema(_SUBDOMAIN_SCHEMA, 253)]
Host = Annotated[str, AfterValidator(host), _schema(_HOST_SCHEMA, 253)]
Port = Annotated[int, Field(ge=1, le=65535)]
PortName = Annotated[str, AfterValidator(port_name), _schema(_PORT_NAME_SCHEMA, 15)]
Quantity = Annotated[
    str,
    BeforeValidator(quantity_text),
    AfterValidator(quantity),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": _QUANTITY_SCHEMA},
                {"type": "number", "minimum": 0},
            ]
        }
    ),
]
Duration = Annotated[str, AfterValidator(duration), _schema(_DURATION)]
Image = Annotated[str, AfterValidator(image), _schema(_IMAGE_SCHEMA, 512)]
UrlPath = Annotated[str, AfterValidator(url_path), _schema(_PATH, 1024)]
EnvName = Annotated[str, AfterValidator(env_name), _schema(_ENV_NAME)]
Arn = Annotated[str, AfterValidator(arn), _schema(_ARN)]
VpcId = Annotated[str, AfterValidator(vpc_id), _schema(_VPC)]
Region = Annotated[str, AfterValidator(region), _schema(_REGION)]
GitRevision = Annotated[str, AfterValidator(git_revision), _schema(_GIT_REVISION_SCHEMA)]
RelativeDir = Annotated[str, AfterValidator(relative_dir), _schema(_RELATIVE_DIR_SCHEMA)]
# The API's integer formats: a field the config sets is refused above them, as the API server
# refuses the object.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
Wave = Annotated[int, Field(ge=-1000, le=1000)]
GroupOrder = Annotated[int, Field(ge=-1000, le=1000)]
