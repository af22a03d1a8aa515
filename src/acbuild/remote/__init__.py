"""The remote cache: finished jobs shared through an object store (DESIGN.md section 9).

``bucket`` (the store and its layout; the only obstore importer), ``keys``
(Ed25519; the only cryptography importer), ``manifest`` (what a job is on a
remote, and what a signature covers), ``push`` and ``fetch`` (one job each
way), ``cache`` (what a command uses: many jobs, in parallel, with warnings),
``gc`` (collecting a remote). Imported only when ``[remote]`` is configured,
and even then a run with nothing to fetch or push (a no-op run) never loads
obstore or cryptography: ``LazyRemote`` opens the cache at its first use.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acbuild.config import Project
from acbuild.errors import ConfigError

if TYPE_CHECKING:
    from acbuild.remote.cache import RemoteCache, Wanted
    from acbuild.store import JobStore


def open_remote(project: Project) -> RemoteCache:
    """The project's remote cache; ConfigError when none is configured."""
    if project.remote is None:
        raise ConfigError("no remote cache is configured",
                          where=str(project.config_file or Path(project.root) / "acbuild.toml"),
                          hint='add [remote] with url = "s3://bucket/prefix" or '
                               '"file:///path" (see README, "Remote cache")')
    from acbuild.remote.cache import RemoteCache

    return RemoteCache.open(project.remote, project.root)


class LazyRemote:
    """A ``RemoteCache`` opened when first asked something that needs it (imports of
    obstore and cryptography cost a no-op run ~30 ms)."""

    def __init__(self, project: Project):
        self.project = project
        self._cache: RemoteCache | None = None

    def _open(self) -> RemoteCache:
        if self._cache is None:
            self._cache = open_remote(self.project)
        return self._cache

    @property
    def warnings(self) -> list[str]:
        return self._cache.warnings if self._cache is not None else []

    def news(self) -> list[str]:
        return self._cache.news() if self._cache is not None else []

    def available(self, hashes: Collection[str]) -> set[str]:
        return self._open().available(hashes) if hashes else set()

    def fetch(self, wanted: Sequence[Wanted], store: JobStore,
              on_fetched: Callable[[Any], None] | None = None) -> dict[str, Path]:
        return self._open().fetch(wanted, store, on_fetched) if wanted else {}

    def push_later(self, job_dir: Path) -> None:
        self._open().push_later(job_dir)

    def wait(self) -> list[Any]:
        return self._cache.wait() if self._cache is not None else []
