"""`acbuild compare` and `acbuild which`: jobs of one method side by side, and the jobs that
wrote a file."""

from __future__ import annotations

import csv
import json
import sys

import click

from acbuild.cli import _session, cli
from acbuild.cli.complete import complete_job


@cli.command()
@click.argument("jobs", nargs=-1, required=True, shell_complete=complete_job)
@click.option("--metrics", metavar="FILE",
              help="Take the fields from this JSON file inside each job, not the result.")
@click.option("--field", "only", multiple=True, metavar="PATTERN",
              help="Show only the fields matching PATTERN (roc_auc.*); repeatable.")
@click.option("--sort", metavar="COLUMN", help="Order the jobs by this column.")
@click.option("-r", "--desc", "descending", is_flag=True, help="Sort largest first.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV: a header, one row a job.")
def compare(jobs: tuple[str, ...], metrics: str | None, only: tuple[str, ...],
            sort: str | None, descending: bool, as_json: bool, as_csv: bool) -> None:
    """Jobs of one method side by side: the options and inputs that differ, and the scalar
    fields of each result (a dict result flattened: roc_auc.test).

    JOBS is a method name (every finished job of it) or jobs of one method (ids, prefixes,
    paths, method~N); :LIST:NAME is the job NAME of every entry of a result list (:LIST:
    each entry's last job), a row an entry.
    """
    from acbuild import compare as comparing
    from acbuild import console, render_results

    with _session() as session:
        found = comparing.compare(session, jobs, metrics, sort, descending, only)
    if as_json:
        console.print_json(found.as_json())
        return
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(found.columns)
        writer.writerows([_csv_cell(row.get(c)) for c in found.columns] for row in found.rows)
        return
    render_results.render_compare(found.as_json())


def _csv_cell(value: object) -> object:
    if isinstance(value, (list, dict)):  # an option's list: as JSON, not a Python repr
        return json.dumps(value)
    return "" if value is None else value


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def which(file: str, as_json: bool) -> None:
    """The jobs that wrote a file with the same content as FILE (by blake3), in every work
    directory."""
    from pathlib import Path

    from acbuild import console
    from acbuild.which import jobs_with_file

    with _session() as session:
        found = jobs_with_file(session, Path(file))
    if as_json:
        console.print_json({"file": file, "jobs": found})
        return
    if not found:
        click.echo(f"no job wrote a file with the content of {file}", err=True)
        sys.exit(1)
    for row in found:
        click.echo(f"{row['id']}  {row['name']}  {row['path']}")
