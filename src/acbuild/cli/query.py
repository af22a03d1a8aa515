"""Commands that look at jobs and methods: show, and (to come) explain, graph, log, methods."""

from __future__ import annotations

import click

from acbuild.cli import _session, cli
from acbuild.cli.complete import complete_job


@cli.command()
@click.argument("job", shell_complete=complete_job)
@click.option("--log", "whole_log", is_flag=True, help="Print the whole log.")
@click.option("--path", "just_path", is_flag=True, help="Print the directory alone.")
@click.option("--json", "as_json", is_flag=True, help="Print everything as JSON.")
def show(job: str, whole_log: bool, just_path: bool, as_json: bool) -> None:
    """A job's directory explained: method, options, inputs, result, files, profile, log."""
    from acbuild import console, render_results
    from acbuild.session import describe_job, job_location, read_log, resolve_job

    with _session() as session:
        path = resolve_job(session, job)
        location = job_location(session, path)
    if just_path:
        click.echo(str(path))
        return
    if whole_log:
        click.echo(read_log(path), nl=False)
        return
    info = {**describe_job(path), **location}
    if as_json:
        console.print_json(info)
        return
    render_results.render_job(info)
