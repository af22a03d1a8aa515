"""The command line: parse, call, render. Errors become one message and an exit status here.

The commands live in this package's modules by theme (``build``: run and status;
``query``: looking at jobs and methods; ``maintain``: work-directory care);
this module holds the group, the shared helpers and ``main``.

Exit statuses: 0 success; 1 a job failed; 2 usage, configuration, method, option or
build-script error (nothing built), or a full disk; 130 interrupted (Ctrl-C), 143 stopped
by SIGTERM, 129 by SIGHUP (a run; the shell's 128 + the signal's number).
"""

from __future__ import annotations

import gc
import importlib
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


def _remote(session: Any, required: bool = False) -> Any:
    """The project's remote cache (``acbuild.remote``, imported only when one is configured);
    None without one, unless ``required`` (then: a ConfigError saying how to add one).
    Not ``required`` (run, status): opened only when first needed."""
    if session.project.remote is None and not required:
        return None
    from acbuild.remote import LazyRemote, open_remote

    return open_remote(session.project) if required else LazyRemote(session.project)


def _script_path(script: str) -> Path:
    """The build script: as given, or, a relative name not found from here (``acbuild run``
    in ``methods/``), at the project root, where the config is found too."""
    path = Path(script)
    if not path.is_absolute() and not path.exists():
        from acbuild.config import find_config

        at_root = find_config(Path.cwd().resolve())[0] / path
        if at_root.exists():
            return at_root.resolve()
    return path.resolve()


def _jobs_default() -> int:
    return os.cpu_count() or 1


# The modules that define the commands (each registers its own on ``cli``), and which
# module each command is in: a command's module is imported only when it runs (a no-op
# `acbuild run` imports none of the others). A command missing from COMMANDS is still
# found, by importing every module in MODULES (tests/unit/test_cli_lazy.py keeps it whole).
MODULES = ("board", "build", "compare", "explore", "maintain", "methods", "query", "remote",
           "urd")
COMMANDS = {"board": "board", "run": "build", "status": "build", "compare": "compare",
            "which": "compare", "explain": "explore", "graph": "explore", "log": "explore",
            "init": "maintain", "jobs": "maintain", "du": "maintain", "gc": "maintain",
            "verify": "maintain", "doctor": "maintain", "methods": "methods", "show": "query",
            "push": "remote", "pull": "remote", "remote": "remote", "urd": "urd"}


class _LazyGroup(click.Group):
    """A group whose commands' modules are imported when a command is asked for."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            module = COMMANDS.get(cmd_name)
            for name in (module,) if module else MODULES:
                importlib.import_module(f"acbuild.cli.{name}")
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        for name in MODULES:  # --help lists every command
            importlib.import_module(f"acbuild.cli.{name}")
        return super().list_commands(ctx)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="acbuild")
def cli() -> None:
    """acbuild: build reproducible computations; reuse every job built before."""


def main() -> None:
    # A run makes many long-lived objects (a 10,000-job graph) and few cycles: the
    # collector's default passes over them cost ~15% of a no-op run and find nothing.
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    try:
        # prog_name fixed: `python -m acbuild` completes and reads like `acbuild`.
        status_code = cli.main(prog_name="acbuild", standalone_mode=False)
    except AcbuildError as e:
        from acbuild.console import error_message

        error_message(f"{e.where}: {e.message}" if e.where else e.message, e.hint)
        sys.exit(e.exit_status)
    except click.exceptions.Abort:
        sys.exit(130)
    except KeyboardInterrupt as e:  # a run's SIGTERM or SIGHUP too: it carries the number
        sys.exit(128 + getattr(e, "signum", 2))
    except click.ClickException as e:
        e.show()
        sys.exit(2 if e.exit_code == 2 else e.exit_code)
    finally:
        # The graph is still alive (in a cycle through the script's Urd); the collection at
        # interpreter exit would walk and free it (~30 ms at 10,000 jobs) for nothing: the
        # process ends, and its memory with it.
        gc.freeze()
    if isinstance(status_code, int):
        sys.exit(status_code)
