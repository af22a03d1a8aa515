"""Project configuration: ``acbuild.toml`` or ``[tool.acbuild]`` in ``pyproject.toml``.

Found by walking up from the current directory; the directory holding it is
the project root. Every key has a default, so a project needs no file at all.
Unknown keys and wrong types are errors naming the file and the key.
"""

# No ``from __future__ import annotations`` here: a named tuple's string annotations are
# compiled one by one when it is defined, at every start (issue 12, start-up).
import os
import sys
from pathlib import Path
from typing import Any, NamedTuple, cast

from acbuild.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CONFIG_NAME = "acbuild.toml"
DEFAULT_WORKDIR = "workdirs/dev"
# Object stores a [remote] url may name (the schemes obstore opens).
REMOTE_SCHEMES = ("s3", "gs", "az", "file")
PUSH_MODES = ("manual", "auto")
EXECUTOR_KINDS = ("local", "dask")


# The records are named tuples, as immutable as frozen dataclasses: every command makes
# them, and a frozen dataclass took about 0.5 ms to define at import (three of them here).
class RemoteConfig(NamedTuple):
    """``[remote]``: the object store finished jobs are shared through (DESIGN section 9)."""

    url: str  # s3://bucket/prefix, gs://…, az://…, file:///path
    endpoint: str | None  # an S3-compatible server's address (credentials: the AWS variables)
    fetch: bool  # a run fetches a missing job before building it
    push: str  # manual: `acbuild push`; auto: every job a run builds
    sign_key: Path | None  # this machine's private key; None on a read-only machine
    trusted_keys: tuple[tuple[str, str], ...]  # key name -> public key, or a file holding it
    trust_unsigned: bool  # unsafe: load results (pickles) nobody trusted signed

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0]


class ExecutorConfig(NamedTuple):
    """``[executor]``: where jobs run (DESIGN section 9). ``local``: this machine's warm
    launcher; ``dask``: the workers of a Dask distributed scheduler."""

    kind: str = "local"
    address: str | None = None  # tcp://host:8786
    scheduler_file: Path | None = None  # the JSON file `dask scheduler --scheduler-file` writes
    retries: int = 1  # times a job whose worker died is tried again on another worker


class Project(NamedTuple):
    """Where things are: everything a command needs to know before reading a script."""

    root: Path
    config_file: Path | None
    methods_dirs: tuple[Path, ...]
    slices: int
    target_workdir: Path
    source_workdirs: tuple[Path, ...]
    keep_runs: int
    remote: RemoteConfig | None = None
    executor: ExecutorConfig = ExecutorConfig()

    @property
    def workdirs(self) -> tuple[Path, ...]:
        """The target first, then the sources: where finished jobs are looked for."""
        return (self.target_workdir, *self.source_workdirs)

    def with_target(self, target: Path) -> "Project":
        return self._replace(target_workdir=target, source_workdirs=tuple(
            w for w in self.workdirs if w != target))


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
    remote_table = reader.take("remote", dict, None)
    executor_table = reader.take("executor", dict, {})
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
        remote=None if remote_table is None else _parse_remote(root, remote_table, where),
        executor=_parse_executor(root, executor_table, where),
    )


def _parse_executor(root: Path, table: dict[str, Any], where: str | None) -> ExecutorConfig:
    reader = _TableReader(table, where, prefix="executor.")
    kind = reader.take("kind", str, "local")
    address = reader.take("address", str, None)
    scheduler_file = reader.take("scheduler_file", str, None)
    retries = reader.take("retries", int, 1)
    reader.refuse_unknown(hint="known keys: kind, address, scheduler_file, retries")
    if kind not in EXECUTOR_KINDS:
        raise ConfigError(f"'executor.kind' must be \"local\" or \"dask\", not {kind!r}",
                          where=where)
    if retries < 0:
        raise ConfigError(f"'executor.retries' must not be negative, not {retries}", where=where)
    return ExecutorConfig(kind, address,
                          None if scheduler_file is None else _resolve(root, scheduler_file),
                          retries)


def _parse_remote(root: Path, table: dict[str, Any], where: str | None) -> RemoteConfig:
    reader = _TableReader(table, where, prefix="remote.")
    url = reader.take("url", str, None)
    endpoint = reader.take("endpoint", str, None)
    fetch = reader.take("fetch", bool, True)
    push = reader.take("push", str, "manual")
    sign_key = reader.take("sign_key", str, None)
    trusted = _TableReader(reader.take("trusted_keys", dict, {}), where, "remote.trusted_keys.")
    keys = tuple((name, trusted.take(name, str, "")) for name in sorted(trusted.left))
    trust_unsigned = reader.take("trust_unsigned", bool, False)
    reader.refuse_unknown(hint="known keys: url, endpoint, fetch, push, sign_key, "
                               "trusted_keys, trust_unsigned")
    if url is None:
        raise ConfigError("'remote.url' is missing", where=where,
                          hint="s3://bucket/prefix (with 'endpoint' for an S3-compatible "
                               "server) or file:///path")
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in REMOTE_SCHEMES or not rest.strip("/"):
        raise ConfigError(f"'remote.url' must be {', '.join(s + '://…' for s in REMOTE_SCHEMES)}"
                          f", not {url!r}", where=where)
    if endpoint is not None and scheme != "s3":
        raise ConfigError("'remote.endpoint' is for an s3:// url", where=where)
    if push not in PUSH_MODES:
        raise ConfigError(f"'remote.push' must be \"manual\" or \"auto\", not {push!r}",
                          where=where)
    return RemoteConfig(url, endpoint, fetch, push,
                        None if sign_key is None else _resolve(root, sign_key),
                        keys, trust_unsigned)


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

    def refuse_unknown(self, hint: str = "known keys: methods, slices, keep_runs, "
                       "workdirs.target, workdirs.sources, remote, executor") -> None:
        if self.left:
            names = ", ".join(f"'{self.prefix}{k}'" for k in sorted(self.left))
            raise ConfigError(f"unknown key {names}", where=self.where, hint=hint)


def _kind_name(kind: type, item_type: type | None) -> str:
    names = {int: "an integer", str: "a string", list: "a list", dict: "a table",
             bool: "true or false"}
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
