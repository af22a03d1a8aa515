"""The remote cache's commands: push, pull, and `remote` (status, keygen, gc).

Each parses, asks ``acbuild.remote`` (through ``session`` where a script is
planned) and renders. A remote these commands cannot reach is an error (exit
status 1): talking to it is all they are for.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from acbuild.cli import DEFAULT_SCRIPT, _remote, _script_path, _session, cli
from acbuild.cli.complete import complete_script
from acbuild.cli.maintain import _age


def _plain(as_json: bool) -> bool:
    import os

    return as_json or bool(os.environ.get("ACBUILD_PLAIN"))


@cli.command()
@click.argument("jobs", nargs=-1)
@click.option("--script", "script", metavar="SCRIPT", shell_complete=complete_script,
              help="Push every finished job SCRIPT uses [default without JOBs: build.py].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def push(jobs: tuple[str, ...], script: str | None, as_json: bool) -> None:
    """Send finished jobs to the remote cache, signed with remote.sign_key.

    Blobs go first and each job's manifest last, so a push cut off at any moment leaves
    nothing half visible; a job the remote has already is left as it is.
    """
    import contextlib

    from acbuild import console, render_care
    from acbuild.session import resolve_job, status_script

    script_out = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    with _session() as session, script_out:
        cache = _remote(session, required=True)
        cache.signing_key()  # a machine that cannot sign finds out before anything is sent
        not_built: list[str] = []
        if jobs and script is None:
            paths = [resolve_job(session, text) for text in jobs]
            _refuse_unfinished(paths)
        else:
            result = status_script(session, _script_path(script or DEFAULT_SCRIPT))
            paths = [Path(d.found.location) for d in result.decisions if not d.build]
            not_built = [d.spec.id for d in result.decisions if d.build]
        cache.check()
        progress = render_care.TransferProgress("push", len(paths), plain=_plain(as_json))
        try:
            pushed = cache.push(paths, None if as_json else lambda p: progress.job(
                p.state, p.id, f"{p.blobs} blob(s), {console.size_text(p.size)}"
                if p.state == "pushed" else "the remote has it"))
        finally:
            progress.close()
    counts = {s: sum(p.state == s for p in pushed) for s in ("pushed", "present")}
    if as_json:
        console.print_json({"jobs": [{"id": p.id, "hash": p.hash, "state": p.state,
                                      "blobs": p.blobs, "bytes": p.size} for p in pushed],
                            "counts": counts, "not_built": not_built})
        return
    sent = sum(p.size for p in pushed)
    print(f"{counts['pushed']} job(s) pushed ({console.size_text(sent)}), "
          f"{counts['present']} already on {cache.bucket.where}")
    if not_built:
        print(f"{len(not_built)} job(s) of the script are not built, so not pushed "
              "(acbuild run builds them)")


def _refuse_unfinished(paths: list[Path]) -> None:
    from acbuild.errors import JobSpecError
    from acbuild.jobrecords import is_finished
    from acbuild.workdir import FAILED_DIR

    for path in paths:
        if path.parent.name == FAILED_DIR or not is_finished(path):
            raise JobSpecError(f"{path.name} is not a finished job: only those are pushed",
                               where=str(path))


@cli.command()
@click.argument("script", default=DEFAULT_SCRIPT, shell_complete=complete_script)
@click.option("--workdir", type=click.Path(file_okay=False), help="Target work directory.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def pull(script: str, workdir: str | None, as_json: bool) -> None:
    """Fetch every job SCRIPT needs that the remote cache has (in parallel); build nothing.

    Each job is checked (a trusted signature, every file's digest) and published into the
    target work directory as if it had been built here.
    """
    import contextlib

    from acbuild import console, render_care
    from acbuild.session import status_script

    script_out = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    with _session(workdir) as session, script_out:
        cache = _remote(session, required=True)
        cache.check()
        progress = render_care.TransferProgress("pull", None, plain=_plain(as_json))
        try:
            result = status_script(session, _script_path(script), remote=cache, pull=True,
                                   on_fetched=None if as_json else lambda f: progress.job(
                                       "fetched", f.id, f"{console.size_text(f.size)}, "
                                       f"{f.seconds:.2f}s"))
        finally:
            progress.close()
    stale = [d.spec.id for d in result.decisions if d.build]
    if as_json:
        console.print_json({"fetched": sorted(str(p.name) for p in result.fetched.values()),
                            "local": len(result.decisions) - len(stale) - len(result.fetched),
                            "missing": stale, "stopped_at": result.stopped_text,
                            "warnings": result.warnings})
    else:
        for warning in result.warnings:
            click.echo(f"warning: {warning}", err=True)
        print(f"{len(result.fetched)} job(s) fetched, {len(stale)} on neither side "
              f"(acbuild run builds them)")
        if result.stopped_text:
            print(result.stopped_text)
    if cache.refused or cache.down:
        sys.exit(1)


@cli.group()
def remote() -> None:
    """The remote cache: what it has, its keys, its garbage."""


@remote.command("status")
@click.argument("script", default=DEFAULT_SCRIPT, shell_complete=complete_script)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def remote_status(script: str, as_json: bool) -> None:
    """Each job SCRIPT needs: local, remote (acbuild pull fetches it), or missing."""
    import contextlib

    from acbuild import console, render_care
    from acbuild.session import status_script

    script_out = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    with _session() as session, script_out:
        cache = _remote(session, required=True)
        cache.check()
        result = status_script(session, _script_path(script), remote=cache)
    rows = [{"id": d.spec.id, "method": d.spec.method,
             "state": "local" if not d.build else
             "remote" if d.spec.hash in result.remote else "missing"} for d in result.decisions]
    if as_json:
        counts = {s: sum(r["state"] == s for r in rows) for s in ("local", "remote", "missing")}
        console.print_json({"jobs": rows, "counts": counts, "stopped_at": result.stopped_text,
                            "warnings": result.warnings})
        return
    render_care.render_remote_status(rows, cache.bucket.where, result.warnings, result.stopped_text)


@remote.command("keygen")
@click.argument("name")
@click.option("--dir", "directory", default=".", type=click.Path(file_okay=False),
              help="Where to write NAME.key and NAME.pub [default: here].")
def keygen(name: str, directory: str) -> None:
    """Write a new Ed25519 key pair NAME.key (private, mode 600) and NAME.pub.

    Give the machines that push (CI, say) NAME.key as remote.sign_key; list NAME.pub
    under [remote.trusted_keys] wherever its jobs may be fetched.
    """
    from acbuild.remote.keys import generate

    secret, public = generate(name, Path(directory))
    print(f"private key: {secret}  (keep it secret: whoever holds it can sign jobs)")
    print(f"public key:  {public}")
    print(f'\n[remote]\nsign_key = "{secret}"          # on the machines that push\n'
          f'[remote.trusted_keys]\n{name} = "{public.read_text().strip()}"')


@remote.command("gc")
@click.option("--keep-newer", "keep_newer", metavar="AGE", callback=_age, required=True,
              help="Keep jobs pushed within AGE (90m, 12h, 7d, 2w), and the jobs they were "
                   "built from.")
@click.option("--grace", metavar="AGE", callback=_age, default="48h", show_default=True,
              help="Keep unreferenced blobs younger than AGE (a push in flight needs them).")
@click.option("--keep-lists", "keep_lists", is_flag=True,
              help="Keep the jobs this project's live result lists name, and their inputs.")
@click.option("-n", "--dry-run", is_flag=True, help="List what would go; delete nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def remote_gc(keep_newer: float, grace: float, keep_lists: bool, dry_run: bool,
              as_json: bool) -> None:
    """Delete the remote's jobs outside the keep-rules, then the blobs no job references."""
    from acbuild import console, render_care
    from acbuild.remote.gc import collect

    with _session() as session:
        cache = _remote(session, required=True)
        cache.check()
        listed = frozenset(h for e in session.lists().entries() for _, _, h in e.jobs
                           ) if keep_lists else frozenset()
        report = collect(cache.bucket, keep_newer, grace, dry_run, keep=listed)
    data: dict[str, Any] = {"dry_run": report.dry_run, "kept": report.kept,
                            "removed": report.removed, "blobs_removed": report.blobs_removed,
                            "bytes_freed": report.bytes_freed, "blobs_young": report.blobs_young}
    if as_json:
        console.print_json(data)
        return
    render_care.render_remote_gc(data)
