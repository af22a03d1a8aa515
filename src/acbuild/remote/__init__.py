"""The remote cache: finished jobs shared through an object store (DESIGN.md section 9).

``bucket`` (the store and its layout; the only obstore importer), ``keys``
(Ed25519; the only cryptography importer), ``manifest`` (what a job is on a
remote, and what a signature covers), ``push`` and ``fetch`` (one job each
way), ``cache`` (what a command uses: many jobs, in parallel, with warnings),
``gc`` (collecting a remote). Imported only when ``[remote]`` is configured:
a project without one never loads obstore or cryptography.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from acbuild.config import Project
from acbuild.errors import ConfigError

if TYPE_CHECKING:
    from acbuild.remote.cache import RemoteCache


def open_remote(project: Project) -> RemoteCache:
    """The project's remote cache; ConfigError when none is configured."""
    if project.remote is None:
        raise ConfigError("no remote cache is configured",
                          where=str(project.config_file or Path(project.root) / "acbuild.toml"),
                          hint='add [remote] with url = "s3://bucket/prefix" or '
                               '"file:///path" (see README, "Remote cache")')
    from acbuild.remote.cache import RemoteCache

    return RemoteCache.open(project.remote, project.root)
