"""Stage 1, beside the config: the files of the config repo that the config copies into the tree.

An application's ``directory`` (hand-written manifests) and a chart's ``helm.values_file`` are
paths relative to the config file. They are read here, where the config's location is known, so
that layout stays a pure function of the model and these texts (``TreeSettings.copied``).

What is read, and what is refused (each problem names the file, and the line for YAML):

- from a directory, every ``.yaml``, ``.yml`` and ``.json`` file, recursively, keeping its
  sub-path; other files (a README, notes) are ignored, as Argo CD's directory source ignores
  them; names starting with ``.`` are skipped, as ``validate`` skips them;
- a symlink is followed only while it stays inside the config directory; one that leaves it,
  dangles or loops is refused, as is anything that is not a regular file or directory;
- a ``kustomization.yaml`` is refused: Argo CD would build the directory with Kustomize instead
  of applying the files;
- every file must be UTF-8 and parse with the bounded reader of ``validate.safeyaml`` (no
  alias bombs, no absurd nesting, at most ``MAX_FILE_BYTES``); a values file must hold one
  mapping. The manifests themselves are checked by ``validate`` like every rendered file.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import yaml

from gigrouter import safeyaml
from gigrouter.config.load import SourceMap, read_yaml
from gigrouter.config.overlay import ENVIRONMENTS_DIR, merge, overlay_path
from gigrouter.errors import ConfigError, Location, Problem
from gigrouter.model import Platform
from gigrouter.model.argocd import VALUES_FILE, RepoFile

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
KUSTOMIZATION = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})


class _Reader:
    """Reads one platform's files, collecting every problem before raising."""

    def __init__(self, config: Path, display: str, env: str | None) -> None:
        self.config = config
        self.root = Path(os.path.realpath(config.parent))
        self.shown = Path(display).parent
        self.env = env
        self.problems: list[Problem] = []
        self._source: SourceMap | None = None

    # -- where to point ------------------------------------------------------------------

    def source(self) -> SourceMap:
        """The config's line map (the merged one for an environment), read on the first
        problem only: the model does not keep lines."""
        if self._source is None:
            base = read_yaml(self.config, str(self.config_display()))
            if self.env is None:
                self._source = base
            else:
                path = overlay_path(self.config, self.env)
                shown = self.shown / ENVIRONMENTS_DIR / path.name
                overlay = read_yaml(path, str(shown), allow_empty=True)
                self._source = merge(base, overlay)
        return self._source

    def config_display(self) -> Path:
        return self.shown / self.config.name

    def at_key(self, key: tuple[str | int, ...], message: str) -> None:
        self.problems.append(Problem(self.source().location(key), message))

    def at_file(self, shown: str, message: str, line: int = 0) -> None:
        self.problems.append(Problem(Location(shown, line), message))

    # -- reading ---------------------------------------------------------------------------

    def inside(self, real: str) -> bool:
        return real == str(self.root) or real.startswith(str(self.root) + os.sep)

    def start(self, key: tuple[str | int, ...], relative: str, what: str) -> Path | None:
        """The real path of a configured ``relative`` path, or None (with a problem)."""
        given = self.config.parent / relative
        shown = str(self.shown / relative)
        if not os.path.lexists(given):
            self.at_key(key, f"{what} {shown!r} does not exist (paths are relative to the config)")
            return None
        real = os.path.realpath(given)
        if not self.inside(real):
            self.at_key(
                key,
                f"{what} {shown!r} leads outside the config directory {str(self.shown)!r}"
                " (through a symlink); keep the files in the config repo",
            )
            return None
        return Path(real)

    def directory(self, app_index: int, app: str, relative: str) -> list[RepoFile]:
        key: tuple[str | int, ...] = ("applications", app_index, "directory")
        real = self.start(key, relative, "directory")
        if real is None:
            return []
        if not real.is_dir():
            self.at_key(key, f"{str(self.shown / relative)!r} is not a directory")
            return []
        found: list[RepoFile] = []
        self.walk(real, relative, PurePosixPath(), app, {str(real)}, found)
        if not found and not any(
            p.location.file.startswith(str(self.shown / relative)) for p in self.problems
        ):
            self.at_key(
                key,
                f"directory {str(self.shown / relative)!r} holds no .yaml, .yml or .json file;"
                " the application would deploy nothing",
            )
        return found

    def walk(
        self,
        folder: Path,
        relative: str,
        below: PurePosixPath,
        app: str,
        seen: set[str],
        found: list[RepoFile],
    ) -> None:
        """Collect the manifests under ``folder`` (``relative/below`` from the config)."""
        shown = self.shown / relative
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            self.at_file(str(shown / below), f"cannot list the directory: {exc.strerror}")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = below / entry.name
            where = str(shown / rel)
            real = os.path.realpath(entry.path)
            if entry.is_symlink():
                if not os.path.exists(entry.path):
                    self.at_file(where, "a symlink to nothing (or to itself): not copied")
                    continue
                if not self.inside(real):
                    self.at_file(
                        where,
                        "a symlink leaving the config directory: not copied; keep the file in"
                        " the config repo",
                    )
                    continue
            if os.path.isdir(real):
                if real in seen:
                    self.at_file(where, "a symlink back to a directory above it: not copied")
                    continue
                self.walk(Path(real), relative, rel, app, seen | {real}, found)
                continue
            if not entry.name.endswith(MANIFEST_SUFFIXES):
                continue  # Argo CD's directory source ignores it too
            if entry.name in KUSTOMIZATION:
                self.at_file(
                    where,
                    "a Kustomize file: Argo CD would build the directory with Kustomize instead"
                    " of applying its files; remove it, or keep it out of `directory`",
                )
                continue
            text = self.text(Path(real), where)
            if text is not None:
                origin = (PurePosixPath(relative) / rel).as_posix()
                found.append(RepoFile(app, rel.as_posix(), origin, where, text))

    def text(self, real: Path, where: str, mapping: bool = False) -> str | None:
        """The text of one file, parsed once with the bounded reader; None with a problem."""
        try:
            raw = safeyaml.read_bytes(real)
        except safeyaml.Unreadable as exc:
            self.at_file(where, f"cannot read: {exc.reason}")
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            self.at_file(
                where,
                f"not UTF-8 text: byte 0x{raw[exc.start]:02X} at byte offset {exc.start};"
                " save the file as UTF-8",
                line,
            )
            return None
        try:
            documents = [d for d in safeyaml.load_all(text) if d is not None]
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            line = mark.line + 1 if mark is not None else 0
            self.at_file(where, safeyaml.cut(f"not valid YAML: {problem}", 300), line)
            return None
        if mapping and (len(documents) > 1 or (documents and not isinstance(documents[0], dict))):
            self.at_file(where, "a Helm values file holds one mapping of values", 1)
            return None
        return text

    def values_file(self, app_index: int, app: str, relative: str) -> list[RepoFile]:
        key: tuple[str | int, ...] = ("applications", app_index, "helm", "values_file")
        real = self.start(key, relative, "values file")
        if real is None:
            return []
        if not real.is_file():
            self.at_key(key, f"{str(self.shown / relative)!r} is not a regular file")
            return []
        text = self.text(real, str(self.shown / relative), mapping=True)
        if text is None:
            return []
        shown = str(self.shown / relative)
        return [RepoFile(app, VALUES_FILE, relative, shown, text, values=True)]


def repo_files(
    platform: Platform, config: Path, display: str | None = None, env: str | None = None
) -> tuple[RepoFile, ...]:
    """Every file ``platform`` copies from the config repo into its tree, in config order;
    ``env`` names the environment ``platform`` is (its overlay, for error locations)."""
    reader = _Reader(config, display or str(config), env)
    found: list[RepoFile] = []
    for i, app in enumerate(platform.applications):
        if not app.enabled:
            continue
        if app.directory is not None:
            found.extend(reader.directory(i, app.name, app.directory))
        if app.helm is not None and app.helm.values_file is not None:
            found.extend(reader.values_file(i, app.name, app.helm.values_file))
    if reader.problems:
        raise ConfigError(reader.problems)
    return tuple(found)
