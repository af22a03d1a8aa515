"""`acbuild board`: serve the read-only web view of the project (``acbuild.board``)."""

from __future__ import annotations

import click

from acbuild.cli import cli


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback lets other machines in.")
@click.option("--port", type=click.IntRange(1, 65535), default=8520, show_default=True)
@click.option("--open", "open_browser", is_flag=True, help="Open it in a web browser.")
def board(host: str, port: int, open_browser: bool) -> None:
    """Browse runs, jobs, their files, source and logs, methods and graphs in a browser.

    Read-only: it builds nothing, writes no job, and loads no result unless asked.
    Needs the board extra: pip install 'acbuild[board]'.
    """
    from acbuild import board as web
    from acbuild.config import load_project

    web.check_installed()
    project = load_project()
    if host not in web.LOOPBACK:
        click.echo("warning: " + web.WARNING.format(host=host, port=port), err=True)
    sock = web.listen(host, port)
    click.echo(f"acbuild board: http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    web.serve(project, host, port, open_browser, sock)
