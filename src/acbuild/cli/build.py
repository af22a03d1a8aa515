"""`acbuild run` and `acbuild status`: evaluate a build script, then build or plan it."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

import click

from acbuild.cli import DEFAULT_SCRIPT, _jobs_default, _remote, _script_path, _session, cli
from acbuild.cli.complete import complete_method, complete_script


@cli.command()
@click.argument("script", default=DEFAULT_SCRIPT, shell_complete=complete_script)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Jobs (and slices) to run at once [default: cores].")
@click.option("-k", "--keep-going", is_flag=True, help="Build everything not after a failure.")
@click.option("-n", "--dry-run", is_flag=True, help="Plan and show; build nothing.")
@click.option("--force", "force", multiple=True, metavar="METHOD",
              shell_complete=complete_method,
              help="Build the jobs of METHOD again even when cached (repeatable).")
@click.option("--workdir", type=click.Path(file_okay=False), help="Target work directory.")
@click.option("-v", "--verbose", is_flag=True,
              help="Stream jobs' output as they print it; show reused jobs too.")
@click.option("-q", "--quiet", is_flag=True, help="Only the summary and errors.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--executor", type=click.Choice(["local", "dask"]), default=None,
              help="Where jobs run [default: [executor] kind, or local].")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="The Dask scheduler (--executor dask).")
@click.option("--scheduler-file", type=click.Path(dir_okay=False),
              help="The file `dask scheduler --scheduler-file` wrote (--executor dask).")
def run(script: str, jobs: int | None, keep_going: bool, dry_run: bool, force: tuple[str, ...],
        workdir: str | None, verbose: bool, quiet: bool, as_json: bool, executor: str | None,
        scheduler: str | None, scheduler_file: str | None) -> None:
    """Build SCRIPT: run every stale job, reuse the rest. With --executor dask, -j is the
    number of jobs in flight on the cluster."""
    if dry_run:
        _status(script, force, workdir, as_json)
        return
    from acbuild import console, events
    from acbuild.session import run_script

    reporter: Any
    if as_json:
        reporter = events.NullReporter()
    elif sys.stdout.isatty() and not os.environ.get("ACBUILD_PLAIN") and not quiet:
        reporter = console.LiveReporter(verbose=verbose, quiet=quiet)
    else:
        reporter = console.PlainReporter(verbose=verbose, quiet=quiet)
    # With --json, stdout carries one JSON object: what the script prints goes to stderr.
    script_out = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    with _session(workdir) as session, script_out:
        remote = _remote(session)
        try:
            result = run_script(session, _script_path(script), reporter, jobs or _jobs_default(),
                                keep_going, force, stream_output=verbose and not as_json,
                                remote=remote, executor=_executor(session.project.executor,
                                                                  executor, scheduler,
                                                                  scheduler_file))
        finally:
            if hasattr(reporter, "close"):
                reporter.close()
            # push = "auto": what the run built is on the remote before the command ends.
            late = _wait_pushes(remote, as_json)
        result.warnings.extend(w for w in late if w not in result.warnings)
    if as_json:
        from acbuild import render_results  # only --json: a run's own lines are console's

        rows = [{"id": o.spec.id, "method": o.spec.method, "state": o.state,
                 "reason": o.reason, "path": str(o.location) if o.location else None}
                for o in result.outcomes]
        f = result.finished
        counts = {"built": f.built, "reused": f.reused, "failed": f.failed,
                  "skipped": f.skipped, **({"fetched": f.fetched} if f.fetched else {})}
        console.print_json(render_results.jobs_json(rows, counts, warnings=result.warnings))
    if result.finished.failed:
        sys.exit(1)


def _executor(config: Any, kind: str | None, scheduler: str | None,
              scheduler_file: str | None) -> Any:
    """The project's [executor], as the options change it."""
    from pathlib import Path

    if scheduler is not None or scheduler_file is not None:
        config = config._replace(kind=kind or "dask", address=scheduler,
                                 scheduler_file=scheduler_file and Path(scheduler_file).resolve())
    elif kind is not None:
        config = config._replace(kind=kind)
    return config


def _wait_pushes(remote: Any, quiet: bool) -> list[str]:
    """Wait for a run's background pushes; the warnings they left (said here unless
    ``quiet``)."""
    if remote is None:
        return []
    remote.wait()
    late: list[str] = remote.news()
    for warning in [] if quiet else late:
        click.echo(f"warning: {warning}", err=True)
    return late


@cli.command()
@click.argument("script", default=DEFAULT_SCRIPT, shell_complete=complete_script)
@click.option("--force", "force", multiple=True, metavar="METHOD",
              shell_complete=complete_method, help="Show the jobs of METHOD as forced.")
@click.option("--workdir", type=click.Path(file_okay=False), help="Target work directory.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def status(script: str, force: tuple[str, ...], workdir: str | None, as_json: bool) -> None:
    """Every job of SCRIPT: cached or stale, and why. Builds nothing."""
    _status(script, force, workdir, as_json)


def _subjobs(result: Any, decision: Any) -> dict[str, Any]:
    """A cached job's recorded subjobs (only a job that has run has them)."""
    below = [] if decision.build else result.subjobs_of(decision.spec)
    return {"subjobs": [{"id": row.id, "method": row.method, "depth": depth, "parent": parent}
                        for depth, parent, row in below]} if below else {}


def _status_row(result: Any, d: Any) -> dict[str, Any]:
    """One job's row of `status` (10,000 of them for a large script: each part made once)."""
    state = result.state(d)
    path = str(d.found.location) if d.found else None
    row = {"id": d.spec.id, "method": d.spec.method, "state": state,
           "reason": d.reason if state != "cached (remote)" else
           f"the remote cache has it ({d.reason} here)",
           "cause": d.cause or None, "path": path,
           # a job's location is <workdir>/<id>: its parent without os.path.dirname's
           # normalising (~0.5 µs a row, 5 ms for 10,000)
           "workdir": None if path is None else path.rpartition("/")[0]}
    if result.subjobs:
        row.update(_subjobs(result, d))
    return row


def _status(script: str, force: tuple[str, ...], workdir: str | None, as_json: bool) -> None:
    from acbuild import console, render_results
    from acbuild.session import status_script

    script_out = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    with _session(workdir) as session, script_out:
        remote = _remote(session)
        fetching = session.project.remote is not None and session.project.remote.fetch
        result = status_script(session, _script_path(script), force,
                               remote=remote if fetching else None)
    rows = [_status_row(result, d) for d in result.decisions]
    stopped = result.stopped_text
    if as_json:
        stale = sum(r["state"] == "stale" for r in rows)
        remote_n = sum(r["state"] == "cached (remote)" for r in rows)
        console.print_json(render_results.jobs_json(
            rows, {"cached": len(rows) - stale - remote_n, "stale": stale,
                   **({"remote": remote_n} if remote_n else {})},
            causes=render_results.cause_counts(rows), stopped_at=stopped,
            warnings=result.warnings))
        return
    render_results.render_status(rows, stopped, result.warnings,
                                 target=str(session.store.target.path))
