"""acbuild: a build system for reproducible computations.

Importing the package stays light (no click, rich or sqlite3): the job process
imports it too. Methods may use ``from acbuild import Required, Choice, JobWithFile``,
and ``status`` (``with status("text"):``); a build script may catch ``JobError``.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING

from acbuild.errors import JobError
from acbuild.job import JobWithFile
from acbuild.options import Choice, Required
from acbuild.statusmsg import status

if TYPE_CHECKING:
    from pathlib import Path

    from acbuild.reader import ProjectReader

__all__ = ["Choice", "JobError", "JobWithFile", "Required", "__version__", "open_project",
           "status"]


def open_project(path: str | Path = ".") -> ProjectReader:
    """A project's jobs and results, read-only, from Python: ``.job(spec)``, ``.jobs(method)``,
    ``.compare(...)``, ``.urd`` (the result lists). See ``acbuild.reader``."""
    from acbuild.reader import open_project as open_it

    return open_it(path)
