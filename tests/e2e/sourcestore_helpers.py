"""Shared by the source store's tests: a method that imports a project helper (two source
files a job links into the store), and the store's files."""

from __future__ import annotations

from pathlib import Path

from conftest import Project

HELPER = "FACTOR = 3\n"
METHOD = '''
import _helper

options = {"n": 0}


def synthesis(options):
    return options.n * _helper.FACTOR
'''


def store_files(project: Project) -> list[Path]:
    return sorted(p for p in (project.workdir / ".sources").rglob("*") if p.is_file())
