"""acbuild: a build system for reproducible computations.

Importing the package stays light (no click, rich or sqlite3): the job process
imports it too. Methods may use ``from acbuild import Required, Choice, JobWithFile``.
"""

from __future__ import annotations

__version__ = "0.1.0"

from acbuild.job import JobWithFile
from acbuild.options import Choice, Required

__all__ = ["Choice", "JobWithFile", "Required", "__version__"]
