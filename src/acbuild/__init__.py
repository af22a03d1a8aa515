"""acbuild: a build system for reproducible computations.

Importing the package stays light (no click, rich or sqlite3): the job process
imports it too. Methods may use ``from acbuild import Required``.
"""

from __future__ import annotations

__version__ = "0.1.0"

from acbuild.options import Required

__all__ = ["Required", "__version__"]
