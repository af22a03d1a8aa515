"""`acbuild explain`, `acbuild graph` and `acbuild log`: why a job is new, the script's
graph, and the history of runs."""

from __future__ import annotations

import contextlib
import os
import sys

import click

from acbuild.cli import DEFAULT_SCRIPT, _script_path, _session, cli
from acbuild.cli.complete import complete_job, complete_run, complete_script

GRAPH_FORMATS = ("tree", "dot", "mermaid", "json")


def _script_output(as_json: bool) -> contextlib.AbstractContextManager[object]:
    """What a build script prints goes to stderr when stdout carries data."""
    return contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()


@cli.command()
@click.argument("job", required=False, shell_complete=complete_job)
@click.option("--script", default=DEFAULT_SCRIPT, show_default=True,
              shell_complete=complete_script,
              help="The build script that declares a job not built yet.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def explain(job: str | None, script: str, as_json: bool) -> None:
    """Why JOB is (or was) new: what differs from the closest earlier job of its method.

    JOB is a job in the work directories, or a job of the build script that is not built
    yet (its id from `acbuild status`). Without JOB: the stale jobs of the script that
    changed themselves, the first ten in full.
    """
    from acbuild import console, explain, render

    _refuse_script_as_job(job)
    with _session() as session, _script_output(as_json):
        if job is None:
            report = explain.explain_stale(session, _script_path(script))
        else:
            report = explain.explain(session, job, _script_path(script))
    if as_json:
        console.print_json(report)
    elif job is None:
        render.render_explain_stale(report)
    else:
        render.render_explain(report)


def _refuse_script_as_job(job: str | None) -> None:
    # `status` and `graph` take the script as their argument; `explain x.py` would read it
    # as the input "py" of a job "x" and say no such job.
    if job is not None and job.endswith(".py") and os.path.isfile(job):
        from acbuild.errors import JobSpecError

        raise JobSpecError(f"{job!r} is a build script, not a job",
                           hint=f"acbuild explain --script {job} explains its stale jobs "
                                f"(add a JOB from `acbuild status {job}` for one)")


@cli.command()
@click.argument("script", default=DEFAULT_SCRIPT, shell_complete=complete_script)
@click.option("--format", "fmt", type=click.Choice(GRAPH_FORMATS), default="tree",
              show_default=True, help="A tree on the terminal, DOT, Mermaid or JSON.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
def graph(script: str, fmt: str, as_json: bool) -> None:
    """The jobs of SCRIPT as a graph, each with its state (cached or stale). Builds nothing."""
    from acbuild import console, render
    from acbuild.session import graph_view, status_script

    fmt = "json" if as_json else fmt
    with _session() as session, _script_output(fmt != "tree"):
        view = graph_view(status_script(session, _script_path(script)))
    if fmt == "json":
        console.print_json(view)
    elif fmt == "dot":
        click.echo(render.graph_dot(view), nl=False)
    elif fmt == "mermaid":
        click.echo(render.graph_mermaid(view), nl=False)
    else:
        render.render_graph_tree(view)


@cli.command()
@click.argument("run", required=False, shell_complete=complete_run)
@click.option("-n", "--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many runs, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def log(run: str | None, limit: int, as_json: bool) -> None:
    """The history of runs: when, which script, how long, what was built, reused or failed.

    With RUN (a number from the list, or `last`): that run's jobs.
    """
    from acbuild import console, history, render

    with _session() as session:
        if run:
            one = history.run_jobs(session, run)
        else:
            runs = history.runs(session, limit)
    if run:
        console.print_json(one) if as_json else render.render_run(one)
    else:
        console.print_json({"runs": runs}) if as_json else render.render_runs(runs)
