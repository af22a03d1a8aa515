"""What happens during a run, as records, and the protocol of whoever reports them.

The engine emits events and never prints; ``console`` turns them into a live
display, plain lines or JSON. These records are the whole interface between
the two, so each one carries what a reader needs and nothing mutable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class JobRef:
    """Enough of a job to report it: no graph objects cross this line."""

    id: str
    method: str
    reason: str = ""


@dataclass(frozen=True)
class PlanReady:
    total: int
    to_build: int
    cached: int


@dataclass(frozen=True)
class JobReused:
    job: JobRef
    path: str


@dataclass(frozen=True)
class JobWaiting:
    """Another acbuild process is building this job; we wait and reuse it."""

    job: JobRef


@dataclass(frozen=True)
class JobStarted:
    job: JobRef
    started: float


@dataclass(frozen=True)
class JobBuilt:
    job: JobRef
    path: str
    seconds: float


@dataclass(frozen=True)
class JobFailure:
    phase: str | None
    slice: int | None
    message: str
    traceback: str


@dataclass(frozen=True)
class JobFailed:
    job: JobRef
    path: str | None  # the kept directory under .failed/
    seconds: float
    failure: JobFailure


@dataclass(frozen=True)
class JobSkipped:
    """Not built because an input failed (with --keep-going) or the run stopped."""

    job: JobRef
    because: str


@dataclass(frozen=True)
class JobOutput:
    """A line a running job printed (reported with -v)."""

    job: JobRef
    line: str
    stream: str = "stdout"


@dataclass(frozen=True)
class Warning:
    message: str


@dataclass(frozen=True)
class RunFinished:
    built: int
    reused: int
    failed: int
    skipped: int
    seconds: float
    interrupted: bool = False
    failures: tuple[JobFailed, ...] = field(default=())
    error: bool = False  # an error (in the build script, say) stopped the run


Event = (PlanReady | JobReused | JobWaiting | JobStarted | JobBuilt | JobFailed | JobSkipped
         | JobOutput | Warning | RunFinished)


class Reporter(Protocol):
    def report(self, event: Event) -> None: ...


class NullReporter:
    def report(self, event: Event) -> None:
        pass


class CollectingReporter:
    """Keeps every event: for tests and for JSON output at the end."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def report(self, event: Event) -> None:
        self.events.append(event)
