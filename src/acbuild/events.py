"""What happens during a run, as records, and the protocol of whoever reports them.

The engine emits events and never prints; ``console`` turns them into a live
display, plain lines or JSON. These records are the whole interface between
the two, so each one carries what a reader needs and nothing mutable.

The records are named tuples: as immutable as frozen dataclasses, defined in a fraction
of the time (every command imports this module) and made in a fraction of it too (a
no-op run reports one ``JobReused`` per job).
"""

# No ``from __future__ import annotations`` here: a named tuple's string annotations are
# compiled one by one when it is defined (~1 ms for this module, at every start); these
# name only types defined above them.
from typing import NamedTuple, Protocol


class JobRef(NamedTuple):
    """Enough of a job to report it: no graph objects cross this line."""

    id: str
    method: str
    reason: str = ""


class PlanReady(NamedTuple):
    total: int
    to_build: int
    cached: int


class JobReused(NamedTuple):
    job: JobRef
    path: str


class JobsReused(NamedTuple):
    """The cached jobs of one plan, reused together, in its order: one event for all (a
    no-op run reuses 10,000, and an event of two records each was a third of its
    recording), each job by its id and directory."""

    ids: tuple[str, ...]
    paths: tuple[str, ...]


class JobWaiting(NamedTuple):
    """Another acbuild process is building this job; we wait and reuse it."""

    job: JobRef


class JobStarted(NamedTuple):
    job: JobRef
    started: float
    path: str = ""  # its staging directory: where it says what it is doing (statusmsg)


class JobBuilt(NamedTuple):
    job: JobRef
    path: str
    seconds: float


class JobFetched(NamedTuple):
    """A job the remote cache had: fetched, checked and published instead of built."""

    job: JobRef
    path: str
    seconds: float


class JobFailure(NamedTuple):
    """Where a job failed (phase and slice, when known) and with what error."""

    phase: str | None
    slice: int | None
    message: str
    traceback: str


class JobFailed(NamedTuple):
    job: JobRef
    path: str | None  # the kept directory under .failed/
    seconds: float
    failure: JobFailure


class JobSkipped(NamedTuple):
    """Not built because an input failed (with --keep-going) or the run stopped."""

    job: JobRef
    because: str


class JobOutput(NamedTuple):
    """A line a running job printed (reported with -v)."""

    job: JobRef
    line: str
    stream: str = "stdout"


class Warning(NamedTuple):
    message: str


class RunFinished(NamedTuple):
    built: int
    reused: int
    failed: int
    skipped: int
    seconds: float
    interrupted: bool = False
    failures: tuple[JobFailed, ...] = ()
    error: bool = False  # an error (in the build script, say) stopped the run
    fetched: int = 0  # jobs fetched from the remote cache


Event = (PlanReady | JobReused | JobsReused | JobWaiting | JobStarted | JobBuilt | JobFetched | JobFailed
         | JobSkipped | JobOutput | Warning | RunFinished)


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
