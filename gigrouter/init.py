"""``gigrouter init``: a minimal working platform to start from.

It writes ``config/platform.yaml`` (one application deploying one web service of the
``services`` preset, with one route served by ingress-nginx; no cloud block),
``config/platform.schema.json`` beside it, so an editor that reads the ``yaml-language-server``
line checks the file as it is typed, and ``config/environment.schema.json``, the schema of the
environment overlays a second environment starts from (``config/environments/<name>.yaml``).
The config renders and validates clean as written. Nothing is overwritten without ``force``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gigrouter import yamlio
from gigrouter.config.load import build_platform, parse_yaml
from gigrouter.errors import Location, Problem, UsageError
from gigrouter.giturl import check_remote
from gigrouter.pipeline import environment_schema_json, schema_json
from gigrouter.types import dns1123_label, host

CONFIG = Path("config") / "platform.yaml"
SCHEMA = Path("config") / "platform.schema.json"
ENVIRONMENT_SCHEMA = Path("config") / "environment.schema.json"
DEFAULT_NAME = "my-platform"
DEFAULT_DOMAIN = "example.com"


@dataclass(frozen=True)
class Initialized:
    """What ``init`` wrote: the config and its schemas, as paths under the target directory."""

    config: Path
    schema: Path
    environment_schema: Path


def config_text(name: str, domain: str, repo_url: str) -> str:
    """The starter config; every value from the user is written as a quoted YAML scalar."""
    q = yamlio.flow
    return f"""\
# yaml-language-server: $schema=platform.schema.json
#
# Written by `gigrouter init`: one Argo CD application that deploys one web service with one
# route. `gigrouter render` turns this file into out/, `gigrouter validate` checks out/.
# Next steps (a second service, a second environment): see gigrouter's README.
name: {q(name)}
domain: {q(domain)}

# Any Kubernetes cluster: Ingresses are served by the ingress-nginx controller installed in it
# (on AWS EKS, an `aws:` block and the `alb` profile put them on an ALB instead).
ingress_profiles:
  nginx:
    controller: generic
    class_name: nginx
default_ingress_profile: nginx

# The repository Argo CD watches and `gigrouter publish` pushes to (required).
gitops:
  repo_url: {q(repo_url)}

applications:
  - name: web
    file: web.yaml
    description: The web services, one file each under apps/web/
    namespace: {q(name)}
    path: apps/web
    manifests: services

components:
  services:
    items:
      - name: hello
        image: docker.io/nginxinc/nginx-unprivileged:1.27.3
        replicas: 2
        port: 8080
        resources:
          requests: {{cpu: 50m, memory: 64Mi}}
          limits: {{memory: 128Mi}}
        readiness_probe: {{type: http, path: /}}
        liveness_probe: {{type: http, path: /}}
        service: {{name: hello, port: 80}}
        ingress:
          name: hello
          routes:
            - host: "hello.{{domain}}"   # follows `domain`, also an environment's
"""


def _checked(option: str, value: str, check: object) -> str:
    assert callable(check)
    try:
        return str(check(value))
    except ValueError as exc:
        raise UsageError([Problem(Location(option), str(exc))]) from None


def init(
    directory: Path,
    name: str = DEFAULT_NAME,
    domain: str = DEFAULT_DOMAIN,
    repo_url: str | None = None,
    force: bool = False,
) -> Initialized:
    """Write the starter platform into ``directory``; raise UsageError for a bad option or a
    file that exists (without ``force``)."""
    name = _checked("--name", name, dns1123_label)
    domain = _checked("--domain", domain, host)
    _checked("--domain", "hello." + domain, host)
    url = repo_url if repo_url is not None else f"https://git.example.com/{name}/gitops.git"
    url = _checked("--repo-url", url, check_remote)
    config, schema = directory / CONFIG, directory / SCHEMA
    environment_schema = directory / ENVIRONMENT_SCHEMA
    if not force:
        existing = [p for p in (config, schema, environment_schema) if os.path.lexists(p)]
        if existing:
            raise UsageError(
                [
                    Problem(Location(str(p)), "already exists; pass --force to overwrite it")
                    for p in existing
                ]
            )
    text = config_text(name, domain, url)
    build_platform(parse_yaml(text, str(config)))  # a starter that does not load is a bug
    try:
        config.parent.mkdir(parents=True, exist_ok=True)
        _write(config, text)
        _write(schema, schema_json())
        _write(environment_schema, environment_schema_json())
    except OSError as exc:
        where = exc.filename if isinstance(exc.filename, str) else str(directory)
        raise UsageError([Problem(Location(where), f"cannot write: {exc.strerror}")]) from None
    return Initialized(config, schema, environment_schema)


def _write(path: Path, text: str) -> None:
    """Write ``text`` whole or not at all: a temporary file beside it, then a rename."""
    temporary = path.with_name(f".{path.name}.gigrouter-init")
    temporary.write_text(text, encoding="utf-8", newline="\n")
    os.replace(temporary, path)
