"""gc and the source store, as a user sees it: ``gc --dry-run`` counts the store files the
real gc then removes (it reported 0), the plain output says how many went, and no empty
directory of the store is left behind."""

from __future__ import annotations

import json

from sourcestore_helpers import HELPER, METHOD, store_files

from conftest import Project


def two_versions(project: Project) -> None:
    """Jobs of an old and a new version of the method: gc keeps only the new ones, and
    the old method's store file is then linked by no job."""
    project.write("acbuild.toml", 'methods = ["methods"]\nslices = 1\nkeep_runs = 1\n')
    project.method("_helper", HELPER)
    for method in (METHOD, METHOD.replace("* _helper", "* 1 * _helper")):
        project.method("scale", method)
        project.script("def main(urd):\n" + "".join(
            f"    urd.build('scale', n={n})\n" for n in range(2)))
        project.run_json()
    assert len(store_files(project)) == 3  # the helper, both versions of the method


def test_dry_run_counts_the_source_files_gc_removes(project: Project) -> None:
    two_versions(project)
    planned = json.loads(project.acbuild("gc", "--dry-run", "--json").stdout)
    assert len(store_files(project)) == 3  # a dry run removes nothing
    done = json.loads(project.acbuild("gc", "--json").stdout)
    assert planned["sources"] == done["sources"] == 1
    assert len(store_files(project)) == 2
    fans = list((project.workdir / ".sources").iterdir())
    assert all(any(fan.iterdir()) for fan in fans)  # no directory left empty


def test_plain_gc_says_how_many_source_files_went(project: Project) -> None:
    two_versions(project)
    dry = project.acbuild("gc", "--dry-run").stdout
    assert "would remove 2 job(s), 1 unused source file(s)" in dry
    done = project.acbuild("gc").stdout
    assert "removed 2 job(s), 1 unused source file(s)" in done
    assert "unused source file" not in project.acbuild("gc").stdout  # nothing left
