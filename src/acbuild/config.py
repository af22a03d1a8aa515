"""Project configuration: ``acbuild.toml`` or ``[tool.acbuild]`` in ``pyproject.toml``.

Found by walking up from the current directory; the directory holding it is
the project root. Every key has a default, so a project needs no file at all.
Unknown keys and wrong types are errors naming the file and the key.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from acbuild.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CONFIG_NAME = "acbuild.toml"
DEFAULT_WORKDIR = "workdirs/dev"


@dataclass(frozen=True)
class Project:
    """Where things are: everything a command needs to know before reading a script."""

    root: Path
    config_file: Path | None
    methods_dirs: tuple[Path, ...]
    slices: int
    target_workdir: Path
    source_workdirs: tuple[Path, ...]
    keep_runs: int

    @property
    def workdirs(self) -> tuple[Path, ...]:
        """The target first, then the sources: where finished jobs are looked for."""
        return (self.target_workdir, *self.source_workdirs)

    def with_target(self, target: Path) -> Project:
        return Project(
            self.root, self.config_file, self.methods_dirs, self.slices,
            target, tuple(w for w in self.workdirs if w != target), self.keep_runs,
        )


def find_config(start: Path) -> tuple[Path, Path | None, dict[str, Any]]:
    """Walk up from ``start``: (project root, config file or None, the acbuild table)."""
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return directory, candidate, _read_toml(candidate)
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            table = _read_toml(pyproject).get("tool", {}).get("acbuild")
            if table is not None:
                return directory, pyproject, table
    return start, None, {}


def load_project(start: Path | None = None) -> Project:
    root, config_file, table = find_config((start or Path.cwd()).resolve())
    return parse_config(root, config_file, table)


def parse_config(root: Path, config_file: Path | None, table: dict[str, Any]) -> Project:
    where = str(config_file) if config_file else None
    reader = _TableReader(table, where, prefix="")
    methods = reader.take("methods", list, ["methods"], item_type=str)
    slices = reader.take("slices", int, os.cpu_count() or 1)
    keep_runs = reader.take("keep_runs", int, 5)
    workdirs = _TableReader(reader.take("workdirs", dict, {}), where, prefix="workdirs.")
    target = workdirs.take("target", str, DEFAULT_WORKDIR)
    sources = workdirs.take("sources", list, [], item_type=str)
    workdirs.refuse_unknown()
    reader.refuse_unknown()
    if slices < 1:
        raise ConfigError(f"'slices' must be at least 1, not {slices}", where=where)
    if keep_runs < 0:
        raise ConfigError(f"'keep_runs' must not be negative, not {keep_runs}", where=where)
    return Project(
        root=root,
        config_file=config_file,
        methods_dirs=tuple(_resolve(root, m) for m in methods),
        slices=slices,
        target_workdir=_resolve(root, target),
        source_workdirs=tuple(_resolve(root, s) for s in sources),
        keep_runs=keep_runs,
    )


class _TableReader:
    """Takes typed keys out of a TOML table, so that what is left over is unknown."""

    def __init__(self, table: dict[str, Any], where: str | None, prefix: str):
        self.left = dict(table)
        self.where = where
        self.prefix = prefix

    def take(self, key: str, kind: type, default: Any, item_type: type | None = None) -> Any:
        if key not in self.left:
            return default
        value: Any = self.left.pop(key)
        # bool is an int in Python; a config value of true for 'slices' is a mistake.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(
                f"'{self.prefix}{key}' must be {_kind_name(kind, item_type)}, not {value!r}",
                where=self.where,
            )
        if item_type and not all(isinstance(v, item_type) for v in cast("list[Any]", value)):
            raise ConfigError(
                f"'{self.prefix}{key}' must be {_kind_name(kind, item_type)}, not {value!r}",
                where=self.where,
            )
        return value

    def refuse_unknown(self) -> None:
        if self.left:
            names = ", ".join(f"'{self.prefix}{k}'" for k in sorted(self.left))
            raise ConfigError(
                f"unknown key {names}",
                where=self.where,
                hint="known keys: methods, slices, keep_runs, workdirs.target, workdirs.sources",
            )


def _kind_name(kind: type, item_type: type | None) -> str:
    names = {int: "an integer", str: "a string", list: "a list", dict: "a table"}
    if item_type is not None:
        return f"a list of {item_type.__name__}"
    return names.get(kind, kind.__name__)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"not valid TOML: {e}", where=str(path)) from None
    except OSError as e:
        raise ConfigError(f"cannot read: {e.strerror}", where=str(path)) from None


def _resolve(root: Path, value: str) -> Path:
    path = Path(os.path.expanduser(value))
    # normpath, not resolve: "../shared" reads as a path a person wrote; symlinks stay.
    return Path(os.path.normpath(path if path.is_absolute() else root / path))
