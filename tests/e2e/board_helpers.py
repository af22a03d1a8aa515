"""Shared by the board's tests: the board of a project through Starlette's test client, and
what the matching command prints with ``--json`` (its pages' JSON twins are compared to it).
Import it after ``pytest.importorskip("starlette")``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient

from acbuild.board.app import create_app
from acbuild.config import load_project


@contextmanager
def board_client(project: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A test client on ``project``'s board, opened from the project's root as `acbuild
    board` is."""
    monkeypatch.chdir(project.root)
    with TestClient(create_app(load_project())) as client:
        yield client


def cli_json(project: Any, *args: str) -> Any:
    """What ``acbuild ARGS --json`` prints, parsed."""
    return json.loads(project.acbuild(*args, "--json").stdout)
