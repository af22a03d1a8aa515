"""``job.finish_early(result)``: a method ends its job here, successfully, and the later
phases do not run. It is raised as an exception that is not an ``Exception``, so that a
method's own ``except Exception`` does not swallow it; the job process catches it
between phases (``acbuild.child``). In analysis every slice must call it, and without a
result: a job half of whose slices went on would be neither finished nor not.

Standard library only: the job process imports this.
"""

from __future__ import annotations

from typing import Any


class FinishEarly(BaseException):
    """The method called ``job.finish_early(result)``."""

    def __init__(self, result: Any = None):
        super().__init__("job.finish_early() called")
        self.result = result
