"""`acbuild methods [NAME]`: the methods, their options and inputs; for one, its code hashes."""

from __future__ import annotations

import click

from acbuild.cli import _session, cli
from acbuild.cli.complete import complete_method


@cli.command()
@click.argument("names", nargs=-1, metavar="[NAME]...", shell_complete=complete_method)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def methods(names: tuple[str, ...], as_json: bool) -> None:
    """The methods: descriptions, options (types and defaults), inputs.

    With NAME: also its current code hash and the code hashes its jobs were built
    from, which is what an `equivalent_hashes` declaration names.
    """
    from acbuild import console, render_care
    from acbuild.catalog import describe_methods

    with _session() as session:
        infos = describe_methods(session.registry, session.store, names)
    if as_json:
        console.print_json({"methods": infos})
    elif names:
        for info in infos:
            render_care.render_method(info)
    else:
        render_care.render_methods(infos)
