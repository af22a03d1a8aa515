"""Commands that take care of projects and work directories: init, jobs, du, gc.

Each command parses, calls ``acbuild.maintenance`` (or ``scaffold``) and hands
the records to ``console`` or prints them as JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from acbuild.cli import _session, cli
from acbuild.cli.complete import complete_job, complete_method


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
def init(directory: str, force: bool) -> None:
    """A new project in DIRECTORY (default: here) that `acbuild run` builds at once.

    Writes acbuild.toml, methods/wordcount.py, build.py, data/ and a .gitignore.
    """
    from acbuild import render_care
    from acbuild.scaffold import create_project

    root = Path(directory)
    written = create_project(root, force)
    render_care.render_created(str(root), [str(p) for p in written])


@cli.command()
@click.argument("method", required=False, shell_complete=complete_method)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def jobs(method: str | None, as_json: bool) -> None:
    """The finished jobs (of METHOD): where, size on disk, last use."""
    from acbuild import console, render_care
    from acbuild.maintenance import job_usages

    with _session() as session:
        rows = [_job_row(j) for j in job_usages(session.store, method)]
        warnings = session.store.warnings
    if as_json:
        console.print_json({"jobs": rows, "size": sum(r["size"] for r in rows),
                            "warnings": warnings})
        return
    render_care.render_jobs(rows)
    _warn(warnings)


def _job_row(job: Any) -> dict[str, Any]:
    return {"id": job.id, "method": job.method, "workdir": str(job.workdir),
            "path": str(job.path), "size": job.size, "created": job.created,
            "last_used": job.last_used}


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def du(as_json: bool) -> None:
    """Space on disk per work directory and per method."""
    from acbuild import console, render_care
    from acbuild.maintenance import space

    with _session() as session:
        usage = space(session.store)
        warnings = session.store.warnings
    workdirs = [{"path": str(w.path), "role": w.role, "jobs": w.jobs, "jobs_size": w.jobs_size,
                 "failed_size": w.failed_size, "staging_size": w.staging_size,
                 "db_size": w.db_size, "total": w.total} for w in usage.workdirs]
    methods = [{"method": m, "jobs": n, "size": size} for m, n, size in usage.methods]
    if as_json:
        console.print_json({"workdirs": workdirs, "methods": methods, "warnings": warnings})
        return
    render_care.render_space(workdirs, methods)
    _warn(warnings)


def _age(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    from acbuild.maintenance import parse_age

    if value is None:
        return None
    try:
        return parse_age(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


@cli.command()
@click.option("-n", "--dry-run", is_flag=True, help="List what would go; remove nothing.")
@click.option("--keep-runs", type=click.IntRange(min=0), default=None, metavar="N",
              help="Keep the jobs of the last N successful runs of each script "
                   "[default: keep_runs in acbuild.toml, 5].")
@click.option("--keep-newer", "keep_newer", metavar="AGE", callback=_age,
              help="Keep jobs built or used within AGE (90m, 12h, 7d, 2w).")
@click.option("--keep", "keep", multiple=True, metavar="JOB",
              help="Keep JOB and the jobs it was built from (repeatable).")
@click.option("--no-scripts", "no_scripts", is_flag=True,
              help="Do not keep the jobs the current build scripts use.")
@click.option("--keep-history", type=click.IntRange(min=0), default=100, show_default=True,
              metavar="N", help="Keep the records of the newest N runs (`acbuild log`); "
                                "older ones that no keep-rule reads go.")
@click.option("--workdir", type=click.Path(file_okay=False),
              help="The work directory to collect [default: the target].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def gc(dry_run: bool, keep_runs: int | None, keep_newer: float | None, keep: tuple[str, ...],
       no_scripts: bool, keep_history: int, workdir: str | None, as_json: bool) -> None:
    """Remove jobs no recent run used, failed jobs and dead leftovers.

    Only the target work directory is collected. Try --dry-run first.
    """
    from acbuild import console, maintenance, render_care
    from acbuild.session import current_script_jobs, list_jobs, resolve_job

    with _session(workdir) as session:
        names = frozenset(resolve_job(session, text).name for text in keep)
        runs = session.project.keep_runs if keep_runs is None else keep_runs
        also = [("named by a result list", list_jobs(session))]
        if not no_scripts:
            script_jobs, warnings = current_script_jobs(session)
            also.append(("used by a current build script", script_jobs))
            for warning in warnings:
                click.echo(f"warning: {warning}", err=True)
        rules = maintenance.KeepRules(runs, keep_newer, names, tuple(also), keep_history)
        report = maintenance.gc(session.store, rules, dry_run)
    data = {
        "dry_run": report.dry_run, "freed": report.freed, "kept": report.kept,
        "removed": [_removal_row(r) for r in report.removed],
        "skipped": [{**_removal_row(r), "why": why} for r, why in report.skipped],
        "runs": report.runs,  # the run records forgotten (with --dry-run: that would be)
        "sources": report.sources,  # source store files no job links any more (that would be)
    }
    if as_json:
        console.print_json(data)
        return
    render_care.render_gc(data)


def _removal_row(removal: Any) -> dict[str, Any]:
    return {"kind": removal.kind, "name": removal.name, "method": removal.method,
            "path": str(removal.path), "size": removal.size, "last_used": removal.last_used}


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


@cli.command()
@click.argument("job", required=False, shell_complete=complete_job)
@click.option("--workdir", type=click.Path(file_okay=False), help="Target work directory.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def verify(job: str | None, workdir: str | None, as_json: bool) -> None:
    """Hash every file of JOB (default: of every finished job) again against its post.json,
    and its source/ against its setup.json.

    Exit status 1 when a file changed, went missing or was added.
    """
    import sys

    from acbuild import console, render_care
    from acbuild.session import resolve_job
    from acbuild.verify import shared_files, verify_jobs

    with _session(workdir) as session:
        paths = [resolve_job(session, job)] if job else [j.path for j in session.store.jobs()]
        checks = verify_jobs(paths)
        warnings = session.store.warnings
    rows = [{"id": c.id, "path": str(c.path), "files": c.files, "intact": c.intact,
             "problem": c.problem,
             "changes": [{"file": f.name, "what": f.what, "detail": f.detail,
                          **({"shared_by": len(f.shared_with)} if f.shared_with else {})}
                         for f in c.changes]} for c in checks]
    if as_json:
        console.print_json({"jobs": rows, "changed": sum(not r["intact"] for r in rows),
                            # each changed source file that jobs share, once: which jobs
                            "shared_changes": [{"file": name, "jobs": list(jobs)}
                                               for name, jobs in shared_files(checks)],
                            "warnings": warnings})
    else:
        render_care.render_verify(rows)
        _warn(warnings)
    if any(not c.intact for c in checks):
        sys.exit(1)


@cli.command()
@click.option("--fix", is_flag=True,
              help="Make the database agree with the job directories, which are the truth.")
@click.option("--rebuild", is_flag=True,
              help="Write the job index anew from the job directories (with --fix's repairs).")
@click.option("--workdir", type=click.Path(file_okay=False),
              help="The work directory to check [default: the target].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def doctor(fix: bool, rebuild: bool, workdir: str | None, as_json: bool) -> None:
    """Check that the database and the job directories agree; repair with --fix.

    Finds rows without a directory, directories without a row or without a finished
    post.json, unreadable setup.json files or database, and staging leftovers. Exit
    status 1 when something is wrong (after --fix: still wrong).
    """
    import sys

    from acbuild import console, render_care
    from acbuild.doctor import examine, repair

    with _session(workdir) as session:
        target = session.store.target
    report = repair(target, rebuild) if fix or rebuild else examine(target)
    data = {"workdir": str(report.workdir), "jobs": report.jobs,
            "problems": len(report.problems), "repaired": report.repaired,
            "findings": [{"kind": f.kind, "name": f.name, "detail": f.detail,
                          "serious": f.serious, "path": str(f.path) if f.path else None}
                         for f in report.findings]}
    if as_json:
        console.print_json(data)
    else:
        render_care.render_doctor(data)
    if report.problems:
        sys.exit(1)
