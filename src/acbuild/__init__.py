"""acbuild: a build system for reproducible computations.

Importing the package stays light (no click, rich or sqlite3): the job process
imports it too. Methods may use ``from acbuild import Required``, and ``status``
(``with status("text"):``); a build script may catch ``JobError``.
"""

from __future__ import annotations

__version__ = "0.1.0"

from acbuild.errors import JobError
from acbuild.options import Required
from acbuild.statusmsg import status

__all__ = ["JobError", "Required", "__version__", "status"]
