"""Drawing what the care of work directories reports: ``jobs``, ``du``, ``gc``, ``init``,
``methods``, ``verify``, ``doctor`` and the remote cache's ``push``/``pull``/``status``/``gc``.

rich is imported inside the functions that use it, as in ``console``, whose
primitives this module shares.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any

from acbuild.console import STATE_STYLE, column_lines, display_path, size_text


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
        table.add_row(escape(row["id"]), escape(display_path(row["workdir"])),
                      size_text(row["size"]), _ago(row["created"]), _ago(row["last_used"]))
    console.print(table)
    total = sum(r["size"] for r in rows)
    console.print(f"[bold]{len(rows)} job(s), {size_text(total)}[/]")


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
        table.add_row(escape(display_path(w["path"])), w["role"], str(w["jobs"]),
                      size_text(w["jobs_size"]), size_text(w["failed_size"]), size_text(w["staging_size"]),
                      size_text(w["db_size"]), f"[bold]{size_text(w['total'])}[/]")
    console.print(table)
    console.print()
    by_method = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("method", "jobs", "size"):
        by_method.add_column(name, justify="left" if name == "method" else "right")
    for m in methods:
        by_method.add_row(escape(m["method"]), str(m["jobs"]), size_text(m["size"]))
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
            table.add_row(verb, escape(what), size_text(r["size"]), last)
        console.print(table)
    for r in report["skipped"]:
        console.print(f"[yellow]kept[/] {escape(r['name'])}: {escape(r['why'])}")
    kinds = {kind: sum(r["kind"] == kind for r in report["removed"])
             for kind in ("job", "failed", "leftover")}
    parts = [f"{kinds['job']} job(s)"]
    parts += [f"{kinds[k]} {name}" for k, name in (("failed", "failed job(s)"),
                                                   ("leftover", "staging leftover(s)")) if kinds[k]]
    if report.get("sources"):
        parts.append(f"{report['sources']} unused source file(s)")
    if report.get("runs"):
        parts.append(f"{len(report['runs'])} old run record(s)")
    freed = "would free" if report["dry_run"] else "freed"
    console.print(f"[bold]{verb} {', '.join(parts)}: {freed} {size_text(report['freed'])}[/]",
                  highlight=False)
    kept = report["kept"]
    if kept:
        reasons = ", ".join(f"{n} {why}" for why, n in sorted(kept.items()))
        console.print(f"kept: {escape(reasons)}", highlight=False)


def render_created(root: str, paths: Sequence[str]) -> None:
    import shlex  # only for `init`

    for path in paths:
        print(f"created {path}")
    here = display_path(root)
    step = "" if here == "." else f"cd {shlex.quote(here)} && "  # a line to paste
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
    where = display_path(report["workdir"])
    if report["problems"]:
        fixable = any(f["serious"] and f["kind"] != "newer-database" for f in report["findings"])
        hint = "; `acbuild doctor --fix` repairs them from the job directories" if fixable else ""
        print(f"{report['problems']} problem(s) in {where}{hint}")
    else:
        notes = len(report["findings"])
        tail = f"; {notes} note(s), which the next run takes care of" if notes else ""
        print(f"{where}: no problems: the database and the directories of {report['jobs']} "
              f"finished job(s) agree{tail}")


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
          f"{freed} {size_text(report['bytes_freed'])}; kept {len(report['kept'])} job(s)"
          + (f" and {report['blobs_young']} unreferenced blob(s) younger than the grace period"
             if report["blobs_young"] else ""))
