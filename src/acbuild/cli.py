"""The command line: parse, call, render. Errors become one message and an exit status here.

Exit statuses: 0 success; 1 a job failed; 2 usage, configuration, method, option or
build-script error (nothing built); 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from acbuild import __version__
from acbuild.config import load_project
from acbuild.errors import AcbuildError

DEFAULT_SCRIPT = "build.py"


def _session(workdir: str | None = None) -> Any:
    from acbuild.session import Session

    project = load_project()
    if workdir:
        project = project.with_target(Path(workdir).resolve())
    return Session(project)


def _script_path(script: str) -> Path:
    return Path(script).resolve()


def _jobs_default() -> int:
    return os.cpu_count() or 1


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="acbuild")
def cli() -> None:
    """acbuild: build reproducible computations; reuse every job built before."""


@cli.command()
@click.argument("script", default=DEFAULT_SCRIPT)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Jobs (and slices) to run at once [default: cores].")
@click.option("-k", "--keep-going", is_flag=True, help="Build everything not after a failure.")
@click.option("-n", "--dry-run", is_flag=True, help="Plan and show; build nothing.")
@click.option("--force", "force", multiple=True, metavar="METHOD",
              help="Build the jobs of METHOD again even when cached (repeatable).")
@click.option("--workdir", type=click.Path(file_okay=False), help="Target work directory.")
@click.option("-v", "--verbose", is_flag=True, help="Show reused jobs too.")
@click.option("-q", "--quiet", is_flag=True, help="Only the summary and errors.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def run(script: str, jobs: int | None, keep_going: bool, dry_run: bool, force: tuple[str, ...],
        workdir: str | None, verbose: bool, quiet: bool, as_json: bool) -> None:
    """Build SCRIPT: run every stale job, reuse the rest."""
    if dry_run:
        _status(script, force, workdir, as_json)
        return
    from acbuild import console, events
    from acbuild.session import run_script

    reporter: Any
    if as_json:
        reporter = events.NullReporter()
    elif sys.stdout.isatty() and not os.environ.get("ACBUILD_PLAIN"):
        reporter = console.LiveReporter(verbose=verbose, quiet=quiet)
    else:
        reporter = console.PlainReporter(verbose=verbose, quiet=quiet)
    with _session(workdir) as session:
        try:
            result = run_script(session, _script_path(script), reporter, jobs or _jobs_default(),
                                keep_going, force)
        finally:
            if hasattr(reporter, "close"):
                reporter.close()
    if as_json:
        rows = [{"id": o.spec.id, "method": o.spec.method, "state": o.state,
                 "reason": o.reason, "path": str(o.path) if o.path else None}
                for o in result.outcomes]
        f = result.finished
        console.print_json(console.jobs_json(rows, {
            "built": f.built, "reused": f.reused, "failed": f.failed, "skipped": f.skipped}))
    if result.finished.failed:
        sys.exit(1)


@cli.command()
@click.argument("script", default=DEFAULT_SCRIPT)
@click.option("--force", "force", multiple=True, metavar="METHOD",
              help="Show the jobs of METHOD as forced.")
@click.option("--workdir", type=click.Path(file_okay=False), help="Target work directory.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def status(script: str, force: tuple[str, ...], workdir: str | None, as_json: bool) -> None:
    """Every job of SCRIPT: cached or stale, and why. Builds nothing."""
    _status(script, force, workdir, as_json)


def _status(script: str, force: tuple[str, ...], workdir: str | None, as_json: bool) -> None:
    from acbuild import console
    from acbuild.session import status_script

    with _session(workdir) as session:
        result = status_script(session, _script_path(script), force)
    rows = [{"id": d.spec.id, "method": d.spec.method, "state": d.state, "reason": d.reason,
             "path": str(d.found.path) if d.found else None} for d in result.decisions]
    stopped = None
    if result.stopped_at is not None:
        stopped = (f"the script stops at {result.stopped_at.where}: it needs the result of "
                   f"{result.stopped_at.job_id}, which is not built; the jobs after that "
                   f"point are unknown until it is")
    if as_json:
        stale = sum(r["state"] == "stale" for r in rows)
        console.print_json(console.jobs_json(
            rows, {"cached": len(rows) - stale, "stale": stale},
            stopped_at=stopped, warnings=result.warnings))
        return
    console.render_status(rows, stopped, result.warnings)


@cli.command()
@click.argument("job")
@click.option("--log", "whole_log", is_flag=True, help="Print the whole log.")
@click.option("--path", "just_path", is_flag=True, help="Print the directory alone.")
@click.option("--json", "as_json", is_flag=True, help="Print everything as JSON.")
def show(job: str, whole_log: bool, just_path: bool, as_json: bool) -> None:
    """A job's directory explained: method, options, inputs, result, files, profile, log."""
    from acbuild import console
    from acbuild.session import describe_job, read_log, resolve_job

    with _session() as session:
        path = resolve_job(session, job)
    if just_path:
        click.echo(str(path))
        return
    if whole_log:
        click.echo(read_log(path), nl=False)
        return
    info = describe_job(path)
    if as_json:
        console.print_json(info)
        return
    console.render_job(info)


def main() -> None:
    try:
        status_code = cli.main(standalone_mode=False)
    except AcbuildError as e:
        from acbuild.console import error_message

        error_message(f"{e.where}: {e.message}" if e.where else e.message, e.hint)
        sys.exit(e.exit_status)
    except click.exceptions.Abort:
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(2 if e.exit_code == 2 else e.exit_code)
    if isinstance(status_code, int):
        sys.exit(status_code)
