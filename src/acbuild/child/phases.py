"""A method's phase functions: which it defines, the parameters each names, and the
record of a failure (post.json's "error")."""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable
from types import ModuleType, TracebackType
from typing import Any

from acbuild import statusmsg
from acbuild.errors import MethodError

# The parameters each phase function may name; prepare_res and analysis_res exist only
# once their phase has run.
PHASE_PARAMETERS = {
    "prepare": ("job", "options", "jobs", "slices", "params"),
    "analysis": ("job", "options", "jobs", "slices", "params", "sliceno", "prepare_res"),
    "synthesis": ("job", "options", "jobs", "slices", "params", "prepare_res", "analysis_res"),
}
# A phase function, and the names of the parameters it takes.
Phase = tuple[Callable[..., Any], tuple[str, ...]]
Phases = dict[str, Phase]


class JobFailure(Exception):
    """Why a job failed: post.json's "error" record."""

    def __init__(self, phase: str, sliceno: int | None, type_: str, message: str, tb: str,
                 status: tuple[str, ...] | list[str] = ()):
        super().__init__(message)
        self.record: dict[str, Any] = {"phase": phase, "slice": sliceno, "type": type_,
                                       "message": message, "traceback": tb}
        if status:  # the `with status()` stack when the error happened
            self.record["status"] = list(status)

    @classmethod
    def of(cls, phase: str, sliceno: int | None, exc: BaseException,
           tb: TracebackType | None = None) -> JobFailure:
        text = "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))
        stack = statusmsg.of(exc)
        if stack:  # in the traceback too: the run's report and `show` print that
            text += statusmsg.describe(stack) + "\n"
        return cls(phase, sliceno, type(exc).__name__, str(exc), text, stack)


_PHASES: dict[ModuleType, Phases | JobFailure] = {}


def _method_phases(module: ModuleType) -> Phases:
    """The method's phase functions and the parameters each names, checked; computed once
    per module, in the launcher before it forks (inspect is slow, a job's start is not)."""
    if module not in _PHASES:
        try:
            _PHASES[module] = {phase: (getattr(module, phase), _parameters(phase, module))
                               for phase in PHASE_PARAMETERS
                               if callable(getattr(module, phase, None))}
        except JobFailure as failure:
            _PHASES[module] = failure
    found = _PHASES[module]
    if isinstance(found, JobFailure):
        raise found
    return found


def _parameters(phase: str, module: ModuleType) -> tuple[str, ...]:
    function, allowed = getattr(module, phase), PHASE_PARAMETERS[phase]
    for name, parameter in inspect.signature(function).parameters.items():
        if name not in allowed or parameter.kind in (parameter.VAR_POSITIONAL,
                                                     parameter.VAR_KEYWORD):
            code = function.__code__
            error = MethodError(f"{phase}() takes a parameter {name!r}; {phase} may take only "
                                f"{', '.join(allowed)}",
                                where=f"{code.co_filename}:{code.co_firstlineno}")
            raise JobFailure.of(phase, None, error)
    return tuple(inspect.signature(function).parameters)
