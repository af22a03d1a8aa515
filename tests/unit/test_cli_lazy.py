"""The command line imports a command's module only when that command runs (issue 12:
start-up of a no-op run); the map from command to module must stay whole and true."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

from acbuild import cli

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")


def test_every_command_is_mapped_to_the_module_that_defines_it() -> None:
    defined = {}
    for name in cli.MODULES:
        module = importlib.import_module(f"acbuild.cli.{name}")
        for command in vars(module).values():
            if getattr(command, "name", None) in cli.cli.commands and \
                    cli.cli.commands[command.name] is command:
                defined[command.name] = name
    assert defined == cli.COMMANDS
    assert set(cli.cli.commands) == set(cli.COMMANDS)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.path.abspath(SRC)}
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=60, check=True)


def test_help_lists_every_command() -> None:
    shown = _run("-m", "acbuild", "--help").stdout
    for command in cli.COMMANDS:
        assert f"  {command} " in shown or f"  {command}\n" in shown, command


def test_the_run_command_imports_no_other_command_module() -> None:
    code = ("import sys, json; from acbuild import cli; cmd = cli.cli.get_command(None, 'run'); "
            "print(json.dumps([cmd.name, sorted(m for m in sys.modules if m.startswith("
            "('acbuild.cli.', 'click.shell_completion', 'csv')))]))")
    name, modules = json.loads(_run("-c", code).stdout)
    assert name == "run"
    assert modules == ["acbuild.cli.build", "acbuild.cli.complete"]
