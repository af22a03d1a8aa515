"""`acbuild urd [LIST[/TS]]`: the result lists, a list's entries, or one entry."""

from __future__ import annotations

from typing import Any

import click

from acbuild.cli import _session, cli


@cli.command()
@click.argument("where", required=False, metavar="[LIST[/TS]]")
@click.option("--ghosts", is_flag=True, help="Show ghost entries (replaced, truncated) too.")
@click.option("--workdir", type=click.Path(file_okay=False), help="Target work directory.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def urd(where: str | None, ghosts: bool, workdir: str | None, as_json: bool) -> None:
    """The result lists; with LIST, its entries; with LIST/TS (or LIST/latest), one entry."""
    from acbuild import console
    from acbuild.urdlists import document

    with _session(workdir) as session:
        data: dict[str, Any] = document(session.lists(), where, ghosts)
    if as_json:
        console.print_json(data)
        return
    for line in _text(data):
        click.echo(line)


def _text(data: dict[str, Any]) -> list[str]:
    if "lists" in data:
        if not data["lists"]:
            return ["no result lists (urd.begin ... urd.finish in a build script makes one)"]
        return [f"{r['list']}  {r['entries']} entries"
                + (f", {r['first']} .. {r['latest']}" if r["entries"] else "")
                + (f"  ({r['ghosts']} ghosts)" if r["ghosts"] else "") for r in data["lists"]]
    if "entries" in data:
        if not data["entries"]:
            return [f"{data['list']}: no live entries (--ghosts shows the replaced and "
                    "truncated ones)"]
        return [_entry_line(e) for e in data["entries"]]
    e = data["entry"]
    lines = [f"{e['list']}/{e['timestamp']}" + (f"  {e['caption']}" if e["caption"] else ""),
             *[f"  {j['name']:<20} {j['id']}" for j in e["jobs"]]]
    lines += [f"  read {d['list']}/{d['timestamp']}" for d in e["deps"]]
    if e["ghost"]:
        lines.append(f"  ghost: {e['ghost']}")
    return lines


def _entry_line(e: dict[str, Any]) -> str:
    jobs = ", ".join(f"{j['name']}={j['id']}" for j in e["jobs"])
    ghost = f"  [ghost: {e['ghost']}]" if e["ghost"] else ""
    caption = f"  {e['caption']}" if e["caption"] else ""
    return f"{e['timestamp']:<20}{caption}  {jobs}{ghost}"
