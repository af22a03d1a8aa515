"""Everything acbuild shows a person: the reporters of run events and the renderers of
command results (tables, panels, JSON).

Three reporters of one event stream: ``LiveReporter`` (rich, on a terminal),
``PlainReporter`` (one line per event, without a terminal) and JSON (nothing
while running; one object at the end). rich is imported only when something is
rendered with it, so a plain no-op run never loads it.
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
        if isinstance(event, events.JobReused):
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


# -- rendering command results -----------------------------------------------------------------
def print_json(value: Any, out: IO[str] | None = None) -> None:
    print(json.dumps(value, indent=2, default=str, ensure_ascii=False), file=out or sys.stdout)


def jobs_json(rows: Sequence[dict[str, Any]], counts: dict[str, int], **extra: Any) -> dict[str, Any]:
    return {"jobs": list(rows), "counts": counts, **extra}


def render_status(rows: Sequence[dict[str, Any]], stopped: str | None,
                  warnings: Sequence[str], target: str | None = None) -> None:
    # Say where cached jobs live once any of them lives outside the target.
    elsewhere = bool({r.get("workdir") for r in rows} - {None, target})
    header = ("state", "job", "why", "work directory") if elsewhere else ("state", "job", "why")
    cells = [[row["state"], row["id"], row["reason"]] for row in rows]
    if elsewhere:
        for line, row in zip(cells, rows, strict=True):
            line.append(_display_path(row["workdir"]) if row.get("workdir") else "")
    cells = _with_subjobs(cells, rows, len(header))
    if not _styled(sys.stdout):
        # Nothing to style in a pipe or a file: plain lines, without importing rich at all.
        if cells:
            sys.stdout.write("\n".join(column_lines(header, cells)) + "\n")
        for warning in warnings:
            print(f"warning: {warning}")
        print(status_summary(rows))
        if stopped:
            print(stopped)
        return
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    print_columns(console, header, cells, styles=STATE_STYLE)
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    console.print(f"[bold]{escape(status_summary(rows))}[/]")
    if stopped:
        console.print(f"[yellow]{escape(stopped)}[/]")


def _with_subjobs(cells: list[list[str]], rows: Sequence[dict[str, Any]], width: int
                  ) -> list[list[str]]:
    """A cached job's recorded subjobs, each on a line of its own beneath it."""
    if not any(row.get("subjobs") for row in rows):
        return cells
    out = []
    for line, row in zip(cells, rows, strict=True):
        out.append(line)
        for sub in row.get("subjobs", []):
            extra = [""] * (width - 3)
            out.append(["", f"{'  ' * sub['depth']}subjob {sub['id']}",
                        f"subjob of {sub['parent']}", *extra])
    return out


CAUSE_WORDS = {"never built": "never built", "code": "with changed code",
               "option": "with changed options", "input file": "with changed input files",
               "input": "with other inputs", "input rebuilt": "with a rebuilt input",
               "slices": "with other slices", "forced": "forced",
               "removed": "whose directory was removed",
               "damaged": "whose directory is damaged",
               "modified": "whose files changed since they were built",
               "subjob": "whose subjob changed",
               "input newer": "with an input rebuilt after them"}


def cause_counts(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """How many stale jobs have each main cause, the most common first."""
    from collections import Counter

    counts = Counter(r.get("cause") or "never built" for r in rows if r["state"] == "stale")
    return dict(counts.most_common())


def status_summary(rows: Sequence[dict[str, Any]]) -> str:
    """"6 jobs: 1 cached, 5 stale (4 with a rebuilt input, 1 with changed options)"."""
    stale = sum(r["state"] == "stale" for r in rows)
    remote = sum(r["state"] == "cached (remote)" for r in rows)
    text = f"{len(rows)} job{'s' if len(rows) != 1 else ''}: {len(rows) - stale - remote} " \
           f"cached, {f'{remote} cached (remote), ' if remote else ''}{stale} stale"
    causes = ", ".join(f"{n} {CAUSE_WORDS.get(c, c)}" for c, n in cause_counts(rows).items())
    return f"{text} ({causes})" if causes else text


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


def _styled(stream: IO[str]) -> bool:
    """Whether rich would style what goes to ``stream``: a terminal, or FORCE_COLOR set."""
    import os

    return stream.isatty() or bool(os.environ.get("FORCE_COLOR"))


def render_job(info: dict[str, Any], log_lines: int = 10) -> None:
    from rich.console import Console, Group
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    def kv_table(rows: Sequence[tuple[str, str]]) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for key, value in rows:
            table.add_row(escape(key), escape(value))
        return table

    header = [("method", f"{info['method']}  {info.get('description', '')}".rstrip()),
              ("id", info["id"]), ("hash", info["hash"]), ("state", info["state"]),
              ("path", info["path"])]
    if info.get("workdir"):
        header.append(("workdir", f"{_display_path(info['workdir'])} ({info['workdir_role']})"))
    if info.get("label"):
        header.append(("label", info["label"]))
    if info.get("created"):
        header.append(("created", info["created"]))
    code = info.get("code") or {}
    if code.get("hash"):
        header.append(("code", f"{code['hash'][:16]}  ({len(code.get('sources', []))} "
                               f"source file(s), copied in source/)"))
    if info.get("script_line"):
        header.append(("asked by", info["script_line"]))
    if info.get("subjob_of"):
        header.append(("subjob of", info["subjob_of"]))
    why = info.get("built_because") or {}
    if isinstance(why.get("reason"), str):
        header.append(("built because", why["reason"]))
    parts: list[Any] = [kv_table(header)]
    sections = [
        ("options", [(k, _short(v)) for k, v in info["options"].items()]),
        ("inputs", [(k, _input_text(v)) for k, v in info["inputs"].items()]),
        ("input files", [(f["path"], f["blake3"][:16]) for f in info.get("input_files", [])]),
        ("subjobs", list((info.get("subjobs") or {}).items())),
        ("result", [("", _result_text(info))] if "result" in info else []),
        ("files", [(name, _size(meta["size"])) for name, meta in info["files"].items()]),
        ("profile", info.get("profile_rows", [])),
        ("source files", [(path, "") for path in code.get("sources", [])]),
        ("versions", _version_rows(info.get("versions") or {})),
    ]
    for title, rows in sections:
        if rows:
            parts.append(f"\n[bold underline]{title}[/]")
            parts.append(kv_table(rows))
    if info.get("error"):
        err = info["error"]
        where = " ".join(str(x) for x in (err.get("phase"), err.get("slice") is not None
                                          and f"slice {err['slice']}") if x)
        parts.append(f"\n[bold red underline]failure{escape(' in ' + where) if where else ''}[/]")
        parts.append(escape((err.get("traceback") or err.get("message", "")).rstrip()))
    tail = info.get("log_tail", [])
    if tail:
        parts.append("\n[bold underline]log (last lines)[/]")
        parts.append(escape("\n".join(tail[-log_lines:])))
    Console().print(Panel(Group(*parts), title=f"[bold]{escape(info['id'])}[/]", expand=False))


def _result_text(info: dict[str, Any], limit: int = 600) -> str:
    """The result as ``show`` prints it: JSON data as JSON, cut short; a repr as it is."""
    if info.get("result_format") != "json":
        return str(info["result"])
    text = json.dumps(info["result"], ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _input_text(value: Any) -> str:
    """An input as ``show`` lists it: its job id; a list input's, in order, comma-separated."""
    if isinstance(value, list):
        return "[" + ", ".join(v or "(absent)" for v in value) + "]"
    return value or "(absent)"


def _version_rows(versions: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [(k, str(v)) for k, v in versions.items() if k != "packages"]
    return rows + [(name, version) for name, version in (versions.get("packages") or {}).items()]


def _short(value: Any, limit: int = 70) -> str:
    if isinstance(value, dict) and "$file" in value:  # an urd.file: see "input files"
        return f"file {value['$file']}"
    if isinstance(value, dict) and _is_jobfile(value):  # handle.withfile: see "inputs"
        _, job_id, name, sliced = value["$jobfile"]
        return f"file {name} of {job_id}" + (" (sliced)" if sliced else "")
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_jobfile(value: dict[str, Any]) -> bool:
    found = value.get("$jobfile")
    return len(value) == 1 and isinstance(found, list) and len(found) == 4


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _display_path(path: str) -> str:
    """A path as short as it can be said: relative to here when it is below here."""
    import os

    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def error_message(text: str, hint: str | None = None) -> None:
    print(f"acbuild: error: {text}", file=sys.stderr)
    if hint:
        print(f"  hint: {hint}", file=sys.stderr)


# -- work-directory care: jobs, du, gc, init ---------------------------------------------------
def _ago(epoch: float | None) -> str:
    if epoch is None:
        return "never"
    seconds = max(0.0, time.time() - epoch)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit} ago"
    return f"{seconds:.0f}s ago"


def render_jobs(rows: Sequence[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name, justify in (("job", "left"), ("work directory", "left"), ("size", "right"),
                          ("built", "right"), ("last used", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(escape(row["id"]), escape(_display_path(row["workdir"])),
                      _size(row["size"]), _ago(row["created"]), _ago(row["last_used"]))
    console.print(table)
    total = sum(r["size"] for r in rows)
    console.print(f"[bold]{len(rows)} job(s), {_size(total)}[/]")


def render_space(workdirs: Sequence[dict[str, Any]], methods: Sequence[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("work directory", "role", "jobs", "jobs size", "failed", "staging",
                 "database", "total"):
        table.add_column(name, justify="left" if name in ("work directory", "role") else "right")
    for w in workdirs:
        table.add_row(escape(_display_path(w["path"])), w["role"], str(w["jobs"]),
                      _size(w["jobs_size"]), _size(w["failed_size"]), _size(w["staging_size"]),
                      _size(w["db_size"]), f"[bold]{_size(w['total'])}[/]")
    console.print(table)
    console.print()
    by_method = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("method", "jobs", "size"):
        by_method.add_column(name, justify="left" if name == "method" else "right")
    for m in methods:
        by_method.add_row(escape(m["method"]), str(m["jobs"]), _size(m["size"]))
    console.print(by_method)


def render_gc(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    verb = "would remove" if report["dry_run"] else "removed"
    if report["removed"]:
        table = Table(box=None, pad_edge=False, header_style="bold")
        for name, justify in (("", "left"), ("what", "left"), ("size", "right"),
                              ("last used", "right")):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for r in report["removed"]:
            what = r["name"] if r["kind"] == "job" else f"{r['name']} ({r['kind']})"
            last = _ago(r["last_used"]) if r["kind"] == "job" else ""
            table.add_row(verb, escape(what), _size(r["size"]), last)
        console.print(table)
    for r in report["skipped"]:
        console.print(f"[yellow]kept[/] {escape(r['name'])}: {escape(r['why'])}")
    kinds = {kind: sum(r["kind"] == kind for r in report["removed"])
             for kind in ("job", "failed", "leftover")}
    parts = [f"{kinds['job']} job(s)"]
    parts += [f"{kinds[k]} {name}" for k, name in (("failed", "failed job(s)"),
                                                   ("leftover", "staging leftover(s)")) if kinds[k]]
    if report.get("runs"):
        parts.append(f"{len(report['runs'])} old run record(s)")
    freed = "would free" if report["dry_run"] else "freed"
    console.print(f"[bold]{verb} {', '.join(parts)}: {freed} {_size(report['freed'])}[/]",
                  highlight=False)
    kept = report["kept"]
    if kept:
        reasons = ", ".join(f"{n} {why}" for why, n in sorted(kept.items()))
        console.print(f"kept: {escape(reasons)}", highlight=False)


def render_created(root: str, paths: Sequence[str]) -> None:
    for path in paths:
        print(f"created {path}")
    here = _display_path(root)
    step = "" if here == "." else f"cd {here} && "
    print(f"\na new acbuild project; build it with:  {step}acbuild run")


def render_methods(infos: Sequence[dict[str, Any]]) -> None:
    """``acbuild methods``: one block per method — description, inputs, options."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=True)  # hashes are copied: never wrap them
    for info in infos:
        if "error" in info:
            console.print(f"[bold]{escape(info['name'])}[/]  [red]{escape(info['error'])}[/]")
            continue
        console.print(f"[bold]{escape(info['name'])}[/]  {escape(info['description'])}")
        if info["inputs"]:
            console.print(f"    inputs: {escape(', '.join(info['inputs']))}")
        for name, option in info["options"].items():
            console.print(f"    {escape(name)}: {escape(option['text'])}")
    if not infos:
        console.print("no methods (see `methods` in acbuild.toml)")


def render_method(info: dict[str, Any]) -> None:
    """``acbuild methods NAME``: declarations, code hash, the code hashes its jobs have."""
    import datetime

    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=True)  # hashes are copied: never wrap them
    render_methods([info])
    code = info["code"]
    console.print(f"    file: {escape(info['file'])}  phases: {', '.join(info['phases'])}")
    if info["resources"]:
        console.print("    resources: " + escape(", ".join(
            f"{k} {v}" for k, v in info["resources"].items())))
    if code["declarations_read_by"] == "import":
        console.print("    declarations: read by importing the method, once per change of "
                      "its code")
    console.print(f"    code hash: [bold]{code['hash']}[/]")
    if code["identity_hash"] != code["hash"]:
        console.print(f"    jobs use:  {code['identity_hash']}  (declared equivalent)")
    console.print(f"    hashed: {escape(', '.join(code['sources']))}")
    if code["third_party"]:
        console.print(f"    third-party imports (versions recorded): "
                      f"{escape(', '.join(code['third_party']))}")
    console.print("  jobs by code hash:" if info["built_from"] else "  no finished jobs")
    for v in info["built_from"]:
        when = datetime.datetime.fromtimestamp(v["latest_created"]).isoformat(
            sep=" ", timespec="seconds")
        mark = "  [green]← current[/]" if v["current"] else ""
        console.print(f"    {v['code_hash']}  {v['jobs']:>4} job(s), latest "
                      f"{escape(v['latest'])} {when}{mark}")
    for warning in info["warnings"]:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    if info["suggestion"]:
        console.print(f"\nNo job was built from the current code. If the change computes the "
                      f"same results as the jobs of {info['built_from'][0]['code_hash'][:12]}…, "
                      f"declare in {escape(info['file'])}:")
        console.print(f"    {escape(info['suggestion'])}")


# -- verify and doctor -------------------------------------------------------------------------
def render_verify(rows: Sequence[dict[str, Any]]) -> None:
    changed = 0
    for row in rows:
        if row["intact"]:
            continue
        changed += 1
        if row["problem"]:
            print(f"BROKEN   {row['id']}: {row['problem']}")
        for change in row["changes"]:
            detail = f" ({change['detail']})" if change["detail"] else ""
            print(f"{change['what'].upper():<8} {row['id']}/{change['file']}{detail}")
    files = sum(r["files"] for r in rows)
    if changed:
        print(f"{changed} of {len(rows)} job(s) changed since they were built")
    else:
        print(f"all {len(rows)} job(s) intact ({files} file(s) hashed)")


def render_doctor(report: dict[str, Any]) -> None:
    for line in report["repaired"]:
        print(f"repaired: {line}")
    for f in report["findings"]:
        mark = "PROBLEM" if f["serious"] else "note   "
        print(f"{mark}  {f['kind']}: {f['name']}: {f['detail']}")
    where = _display_path(report["workdir"])
    if report["problems"]:
        print(f"{report['problems']} problem(s) in {where}; `acbuild doctor --fix` repairs "
              "them from the job directories")
    else:
        notes = len(report["findings"])
        tail = f"; {notes} note(s), which the next run takes care of" if notes else ""
        print(f"{where}: no problems: the database and the directories of {report['jobs']} "
              f"finished job(s) agree{tail}")


# -- the remote cache --------------------------------------------------------------------------
class TransferProgress:
    """``push`` and ``pull``: a progress bar on a terminal, one line per job without one."""

    def __init__(self, what: str, total: int | None, plain: bool = False):
        self.bar: Any = None
        if not plain and sys.stdout.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(TextColumn(f"[bold]{what}[/]"), BarColumn(),
                                MofNCompleteColumn(), transient=True)
            self.task = self.bar.add_task(what, total=total)
            self.bar.start()

    def job(self, state: str, job_id: str, detail: str = "") -> None:
        line = f"{state:<8}{job_id}" + (f"  {detail}" if detail else "")
        if self.bar is None:
            print(line, flush=True)
            return
        from rich.markup import escape

        style = STATE_STYLE.get(state, "")
        self.bar.console.print(f"[{style}]{state:<8}[/]{escape(line[8:])}" if style
                               else escape(line), highlight=False)
        self.bar.advance(self.task)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def size_text(n: int) -> str:
    return _size(n)


def render_remote_status(rows: Sequence[dict[str, Any]], where: str,
                         warnings: Sequence[str], stopped: str | None) -> None:
    """``acbuild remote status``: each job of the script local, on the remote, or missing."""
    cells = [[r["state"], r["id"]] for r in rows]
    if cells:
        sys.stdout.write("\n".join(column_lines(("where", "job"), cells)) + "\n")
    for warning in warnings:
        print(f"warning: {warning}")
    counts = {s: sum(r["state"] == s for r in rows) for s in ("local", "remote", "missing")}
    print(f"{len(rows)} job(s): {counts['local']} local, {counts['remote']} on {where} "
          f"(acbuild pull fetches them), {counts['missing']} on neither")
    if stopped:
        print(stopped)


def render_remote_gc(report: dict[str, Any]) -> None:
    verb = "would remove" if report["dry_run"] else "removed"
    for job_id in report["removed"]:
        print(f"{verb} {job_id}")
    freed = "would free" if report["dry_run"] else "freed"
    print(f"{verb} {len(report['removed'])} job(s) and {report['blobs_removed']} blob(s): "
          f"{freed} {_size(report['bytes_freed'])}; kept {len(report['kept'])} job(s)"
          + (f" and {report['blobs_young']} unreferenced blob(s) younger than the grace period"
             if report["blobs_young"] else ""))


def render_compare(found: dict[str, Any]) -> None:
    """``acbuild compare``: one row a job, its differing options and inputs, then its
    fields; what could not be read below."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    columns = [*found.get("entry", []), "job", "name", *found["options"], *found["inputs"],
               *found["fields"]]
    table = Table(box=None, pad_edge=False, header_style="bold")
    kinds = {**{c: "option" for c in found["options"]}, **{c: "input" for c in found["inputs"]},
             **{c: "field" for c in found["fields"]}}
    for column in columns:
        justify = "right" if kinds.get(column) == "field" else "left"
        style = "cyan" if kinds.get(column) == "option" else None
        table.add_column(escape(column), justify=justify, header_style=style)  # type: ignore[arg-type]
    for row in found["rows"]:
        table.add_row(*(escape(_compare_cell(row.get(c))) for c in columns))
    console.print(table)
    console.print(f"[bold]{len(found['rows'])} job(s) of {escape(found['method'])}[/]")
    for problem in found.get("problems", []):
        console.print(f"[yellow]{escape(problem)}[/]")


def _compare_cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):  # 2.0 as itself, a long 0.30000000000000004 cut
        text = repr(value)
        return text if len(text) <= 10 else f"{value:.6g}"
    return value if isinstance(value, str) else json.dumps(value, default=str)
