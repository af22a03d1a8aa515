"""Everything acbuild shows a person while it runs, and the primitives every drawing uses.

Three reporters of one event stream: ``LiveReporter`` (rich, on a terminal),
``PlainReporter`` (one line per event, without a terminal) and JSON (nothing
while running; one object at the end). rich is imported only when something is
rendered with it, so a plain no-op run never loads it. Commands' results are drawn
by ``render`` (explain, graph, log), ``render_results`` (status, show, compare) and
``render_care`` (jobs, du, gc, methods, verify, doctor, the remote cache), with the
primitives at the end of this module (JSON, aligned columns, sizes, paths).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Sequence
from typing import IO, Any

from acbuild import events

PRINT_EVERY = 0.1  # live display: past PRINT_BURST lines in this many seconds, print in batches
PRINT_BURST = 10
RUNNING_SHOWN = 20  # the live display lists at most this many running jobs
STATE_STYLE = {"built": "green", "reused": "dim", "cached": "green", "stale": "yellow",
               "fetched": "green", "cached (remote)": "cyan", "remote": "cyan",
               "local": "green", "missing": "yellow", "pushed": "green", "present": "dim",
               "failed": "bold red", "skipped": "yellow"}


def _summary(f: events.RunFinished) -> str:
    """The run's last line; "" for a run an error stopped before it did anything (the
    error is the whole story)."""
    if f.error and not (f.built or f.reused or f.failed or f.skipped):
        return ""
    if f.interrupted:
        head = "interrupted"
    elif f.failed:
        head = "FAILED"
    elif f.error:
        head = "stopped by an error"
    elif f.built == 0 and f.fetched == 0:
        return f"nothing to build: {f.reused} job(s) reused ({f.seconds:.2f}s)"
    else:
        head = "done"
    parts = [f"{f.built} built", *([f"{f.fetched} fetched"] if f.fetched else []),
             f"{f.reused} reused"]
    if f.failed:
        parts.append(f"{f.failed} failed")
    if f.skipped:
        parts.append(f"{f.skipped} not built")
    return f"{head}: {', '.join(parts)} ({f.seconds:.2f}s)"


def failure_text(event: events.JobFailed) -> str:
    where = event.failure.phase or "job process"
    if event.failure.slice is not None:
        where += f" slice {event.failure.slice}"
    lines = [f"FAILED  {event.job.id} in {where}: {event.failure.message}"]
    if event.failure.traceback.strip() not in ("", event.failure.message):
        lines.append(event.failure.traceback.rstrip())
    if event.path:
        lines.append(f"        its directory is kept in {event.path}")
        lines.append(f"        see: acbuild show {event.path}")
    return "\n".join(lines)


def _said(path: str) -> str:
    """What a running job says it is doing (``with status()``), as markup to append."""
    from rich.markup import escape

    from acbuild import statusmsg

    text = statusmsg.read(path) if path else ""
    return f"  [italic]{escape(text[:200])}[/]" if text else ""


class PlainReporter:
    """One line per event, for logs and pipes."""

    def __init__(self, out: IO[str] | None = None, err: IO[str] | None = None,
                 verbose: bool = False, quiet: bool = False):
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.verbose = verbose
        self.quiet = quiet

    def _line(self, text: str, always: bool = False) -> None:
        if always or not self.quiet:
            print(text, file=self.out, flush=True)

    def report(self, event: events.Event) -> None:
        if isinstance(event, events.JobsReused):
            if self.verbose:
                for job_id in event.ids:
                    self._line(f"reused  {job_id}")
        elif isinstance(event, events.JobReused):
            if self.verbose:
                self._line(f"reused  {event.job.id}")
        elif isinstance(event, events.JobWaiting):
            self._line(f"waiting {event.job.id}: another acbuild run is building it")
        elif isinstance(event, events.JobStarted):
            self._line(f"start   {event.job.id}  ({event.job.reason})")
        elif isinstance(event, events.JobBuilt):
            self._line(f"built   {event.job.id}  {event.seconds:.2f}s")
        elif isinstance(event, events.JobFetched):
            self._line(f"fetched {event.job.id}  {event.seconds:.2f}s")
        elif isinstance(event, events.JobFailed):
            print(failure_text(event), file=self.err, flush=True)
        elif isinstance(event, events.JobSkipped):
            self._line(f"skipped {event.job.id}: {event.because}")
        elif isinstance(event, events.JobOutput):
            self._line(f"{event.job.id}| {event.line}")
        elif isinstance(event, events.Warning):
            print(f"warning: {event.message}", file=self.err, flush=True)
        elif isinstance(event, events.RunFinished) and _summary(event):
            self._line(_summary(event), always=True)


class LiveReporter:
    """A live display on a terminal: counts, running jobs with elapsed time, finished lines."""

    def __init__(self, verbose: bool = False, quiet: bool = False):
        from rich.console import Console
        from rich.live import Live

        self.console = Console(stderr=False)
        self.err_console = Console(stderr=True)
        self.verbose = verbose
        self.quiet = quiet
        self.running: dict[str, float] = {}
        self.paths: dict[str, str] = {}  # a running job's staging directory: its status
        self.counts = {"built": 0, "fetched": 0, "reused": 0, "failed": 0, "skipped": 0}
        self.total = 0
        # Past a burst of lines, the rest of a tenth of a second is printed as one batch (a
        # rich print per job cost the engine over a millisecond a job); the live area shows
        # the counts and running jobs as of the last print, so it never runs ahead of them.
        self._lines: list[str] = []
        self._urgent = False
        self._window, self._printed = 0.0, 0
        self._shown: tuple[dict[str, int], dict[str, float]] = (dict(self.counts), {})
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self.live = Live(console=self.console, refresh_per_second=8, transient=True,
                         get_renderable=self._renderable)
        self.live.start()
        self._printer = threading.Thread(target=self._print_every, args=(PRINT_EVERY,),
                                         daemon=True)
        self._printer.start()

    def _renderable(self) -> Any:
        from rich.table import Table

        table = Table.grid(padding=(0, 2))
        counts, running = self._shown
        done = sum(counts.values())
        # The total is known once the whole script is evaluated; jobs it needed first come
        # before that.
        progress = f"{done}/{self.total}" if self.total >= done else f"{done}"
        fetched = f"[green]{counts['fetched']} fetched[/]  " if counts["fetched"] else ""
        head = (f"[bold]{progress}[/]  [green]{counts['built']} built[/]  {fetched}"
                f"[dim]{counts['reused']} reused[/]  "
                f"[cyan]{len(running)} running[/]  "
                f"[{'bold red' if counts['failed'] else 'dim'}]"
                f"{counts['failed']} failed[/]")
        table.add_row(head)
        now = time.monotonic()
        shown = list(running.items())[:RUNNING_SHOWN]
        for job_id, started in shown:
            said = _said(self.paths.get(job_id, ""))
            table.add_row(f"  [cyan]▸[/] {job_id}  [dim]{now - started:.1f}s[/]{said}")
        if len(running) > len(shown):
            table.add_row(f"  [dim]… and {len(running) - len(shown)} more[/]")
        return table

    def _print(self, head: str, text: str, always: bool = False) -> None:
        """A line above the live area: ``head`` is markup, ``text`` is shown as it is (a
        job's output or an option value may hold brackets). ``always``: now, not batched."""
        from rich.markup import escape

        if always or not self.quiet:
            self._lines.append(f"{head}{escape(text)}")
            self._urgent = self._urgent or always

    def _flush(self) -> None:
        with self._lock:
            lines, self._lines = self._lines, []
            if lines:  # under the lock: batches keep their order
                self.live.console.print("\n".join(lines), highlight=False)
            self._shown = (dict(self.counts), dict(self.running))
            self._urgent = False

    def _print_every(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            self._flush()

    def report(self, event: events.Event) -> None:
        with self._lock:  # the printer thread sees an event's count and its line together
            self._note(event)
            now = time.monotonic()
            if now - self._window >= PRINT_EVERY:
                self._window, self._printed = now, 0
            if self._urgent or self._printed < PRINT_BURST:
                self._printed += bool(self._lines)
                self._flush()
        if isinstance(event, events.RunFinished):
            self._stop_printing()
            self.live.stop()
            style = "bold red" if event.failed or event.interrupted or event.error else "bold"
            if _summary(event):  # an error run claims nothing: the error says it all
                self.console.print(f"[{style}]{_summary(event)}[/]", highlight=False)

    def _note(self, event: events.Event) -> None:
        if isinstance(event, events.PlanReady):
            self.total += event.total
        elif isinstance(event, events.JobsReused):
            self.counts["reused"] += len(event.ids)
            if self.verbose:
                for job_id in event.ids:
                    self._print("[dim]reused[/]  ", job_id)
        elif isinstance(event, events.JobReused):
            self.counts["reused"] += 1
            if self.verbose:
                self._print("[dim]reused[/]  ", event.job.id)
        elif isinstance(event, events.JobWaiting):
            self._print("[yellow]waiting[/] ", f"{event.job.id}: another run is building it")
        elif isinstance(event, events.JobStarted):
            self.running[event.job.id] = time.monotonic()
            self.paths[event.job.id] = event.path
            if self.verbose:
                self._print("[cyan]start[/]   ", f"{event.job.id}  ({event.job.reason})")
        elif isinstance(event, events.JobBuilt):
            self.running.pop(event.job.id, None)
            self.counts["built"] += 1
            self._print("[green]built[/]   ", f"{event.job.id}  {event.seconds:.2f}s  "
                                              f"({event.job.reason})")
        elif isinstance(event, events.JobFetched):
            self.counts["fetched"] += 1
            self._print("[green]fetched[/] ", f"{event.job.id}  {event.seconds:.2f}s")
        elif isinstance(event, events.JobFailed):
            self.running.pop(event.job.id, None)
            self.counts["failed"] += 1
            self._print("[bold red]", failure_text(event), always=True)
        elif isinstance(event, events.JobSkipped):
            self.counts["skipped"] += 1
            self._print("[yellow]skipped[/] ", f"{event.job.id}: {event.because}")
        elif isinstance(event, events.JobOutput):
            self._print(f"[dim]{event.job.id}|[/] ", event.line)
        elif isinstance(event, events.Warning):
            self._print("[yellow]warning:[/] ", event.message, always=True)

    def _stop_printing(self) -> None:
        self._stop.set()
        self._printer.join()
        self._flush()

    def close(self) -> None:
        self._stop_printing()
        self.live.stop()


# -- drawing primitives, shared by render, render_results and render_care ------------------
def print_json(value: Any, out: IO[str] | None = None) -> None:
    print(json.dumps(value, indent=2, default=str, ensure_ascii=False), file=out or sys.stdout)


def print_columns(console: Any, header: Sequence[str], rows: Sequence[Sequence[str]],
                  styles: dict[str, str]) -> None:
    """Rows in aligned columns under a bold header, the first column styled by its value.

    Written as lines, not as a rich Table: a table measures and wraps every cell, which
    takes seconds for the 10,000 rows of a large build's status. The last column is not
    padded or wrapped."""
    from rich.style import Style

    if not rows:
        return
    color = console.color_system is not None and not console.no_color

    def styled(text: str, style: str) -> str:
        return Style.parse(style).render(text, color_system=console._color_system) \
            if color and style else text

    marks = {value: styled("\0", style).split("\0") for value, style in styles.items()}
    lines = column_lines(header, rows, marks)
    lines[0] = styled(lines[0], "bold")
    console.file.write("\n".join(lines) + "\n")
    console.file.flush()


def column_lines(header: Sequence[str], rows: Sequence[Sequence[str]],
                 marks: dict[str, list[str]] | None = None) -> list[str]:
    """The header and rows as aligned lines; ``marks`` wraps a first cell in escape codes."""
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header) - 1)]
    lines = ["  ".join([*(h.ljust(w) for h, w in zip(header, widths, strict=False)),
                        header[-1]])]
    firsts: dict[str, str] = {}  # each first value (a state: there are few), marked and padded
    middle = widths[1:]
    for row in rows:
        first = firsts.get(row[0])
        if first is None:
            on, off = (marks or {}).get(row[0], ("", ""))
            first = firsts[row[0]] = f"{on}{row[0]}{off}{' ' * (widths[0] - len(row[0]))}"
        lines.append("  ".join([first, *map(str.ljust, row[1:-1], middle), row[-1]]))
    return lines


def styled_output(stream: IO[str]) -> bool:
    """Whether rich would style what goes to ``stream``: a terminal, or FORCE_COLOR set."""
    import os

    return stream.isatty() or bool(os.environ.get("FORCE_COLOR"))


def size_text(n: int) -> str:
    """A byte count as people read it: 512 B, 1.5 KiB, 2.0 GiB."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def display_path(path: str) -> str:
    """A path as short as it can be said: relative to here when it is below here."""
    import os

    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def error_message(text: str, hint: str | None = None) -> None:
    print(f"acbuild: error: {text}", file=sys.stderr)
    if hint:
        print(f"  hint: {hint}", file=sys.stderr)
