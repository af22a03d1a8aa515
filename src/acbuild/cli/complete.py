"""Shell completion for arguments: job ids, method names, build scripts and run numbers.

click calls these when the shell asks (``_ACBUILD_COMPLETE=bash_source acbuild``
prints the script that wires it up). They must be quick and never fail: a
project that cannot be loaded simply completes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from acbuild.errors import AcbuildError

if TYPE_CHECKING:  # click.shell_completion is imported only when the shell asks
    import click
    from click.shell_completion import CompletionItem


def _with_session(use: Any) -> list[Any]:
    try:
        from acbuild.cli import _session

        with _session() as session:
            return list(use(session))
    except (AcbuildError, OSError):
        return []


def complete_job(ctx: click.Context, param: click.Parameter, incomplete: str
                 ) -> list[CompletionItem]:
    """Finished job ids and method names that start with what was typed."""
    from click.shell_completion import CompletionItem

    def items(session: Any) -> list[CompletionItem]:
        methods = sorted(set(session.registry.names()))
        ids = [job.id for job in reversed(session.store.jobs())]
        return [CompletionItem(m, help="method: its latest job") for m in methods
                if m.startswith(incomplete)] + [CompletionItem(i) for i in ids
                                                 if i.startswith(incomplete)]
    return _with_session(items)


def complete_method(ctx: click.Context, param: click.Parameter, incomplete: str
                    ) -> list[CompletionItem]:
    from click.shell_completion import CompletionItem

    return _with_session(lambda session: [CompletionItem(m) for m in session.registry.names()
                                          if m.startswith(incomplete)])


def complete_script(ctx: click.Context, param: click.Parameter, incomplete: str
                    ) -> list[CompletionItem]:
    """Python files (build scripts) and directories under what was typed."""
    from click.shell_completion import CompletionItem

    base = Path(incomplete).parent if incomplete else Path(".")
    try:
        entries = sorted(base.iterdir())
    except OSError:
        return []
    found = []
    for entry in entries:
        text = entry.as_posix() if incomplete else entry.name
        if not text.startswith(incomplete) or entry.name.startswith("."):
            continue
        if entry.is_dir():
            found.append(CompletionItem(text + "/", type="plain"))
        elif entry.suffix == ".py":
            found.append(CompletionItem(text))
    return found


def complete_run(ctx: click.Context, param: click.Parameter, incomplete: str
                 ) -> list[CompletionItem]:
    from click.shell_completion import CompletionItem

    def items(session: Any) -> list[CompletionItem]:
        from acbuild import dbruns

        runs = dbruns.runs(session.store.target_db(), 50)
        return [CompletionItem(str(r.run), help=r.script) for r in runs
                if str(r.run).startswith(incomplete)]
    return _with_session(items)
