"""A method's declarations, read from its source without importing it (DESIGN.md section 5).

``options``, ``jobs``, ``depend_extra``, ``equivalent_hashes`` and ``resources`` are
evaluated from just the top-level statements that make them (``slicing``), run with a
stand-in for each project module and never a third-party one (``evaluate``); the
phases come from the method's ``def``s and the description from its docstring
(``phases``). What cannot be read so raises ``NeedsImport``, saying why and where: the
caller then imports the method, as acbuild did before (``imported``). ``record`` is how
evaluated declarations are kept by code hash; ``purity`` says when they may be.

Knows nothing of the database, of option semantics or of jobs.
"""

from __future__ import annotations

from acbuild.declarations.evaluate import Evaluated, Locate, evaluate, module_refs, star_names
from acbuild.declarations.phases import PHASE_PARAMETERS, PHASES, description, read_phases
from acbuild.declarations.resources import check_resources
from acbuild.declarations.slicing import NeedsImport

# Read at every planning: they decide the code hash, which keys what is kept.
KEYED = ("depend_extra", "equivalent_hashes")
# Kept by code hash (when pure), with the phases.
KEPT = ("options", "jobs", "resources")

__all__ = ["KEPT", "KEYED", "PHASES", "PHASE_PARAMETERS", "Evaluated", "Locate", "NeedsImport",
           "check_resources", "description", "evaluate", "module_refs", "read_phases", "star_names"]
