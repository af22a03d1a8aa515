"""A work directory's source store (``.sources/``) that is a link deletes nothing outside.

``gc`` removes the store files no job links any more: every regular file with one link in
a subdirectory of ``.sources/``. When ``.sources`` was a link to another directory (moved
to a bigger disk by hand, say), gc followed it and deleted that directory's files — a
user's files outside the work directory.
A store on another disk through a link is a way the README allows (jobs then get copies),
so the promise is: gc removes there only what acbuild names as store files (``ab/cdef…``,
a blake3), and a user's files beside them are untouched, whatever gc is told.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from conftest import Project


def test_a_linked_source_store_is_refused_and_its_target_kept(project: Project,
                                                                tmp_path: Path) -> None:
    project.method("make", '''
        options = {"n": 0}

        def synthesis(options):
            return options.n
    ''')
    project.script("def main(urd):\n    urd.build('make', n=1)\n")
    project.acbuild("run")
    store = project.workdir / ".sources"
    outside = tmp_path / "precious"
    contents = {"ab/notes.txt": "keep me\n", "cd/data.bin": "x" * 100}
    for relpath, text in contents.items():
        (outside / relpath).parent.mkdir(parents=True, exist_ok=True)
        (outside / relpath).write_text(text)
    shutil.copytree(store, outside, dirs_exist_ok=True)  # the store's files, "moved"
    shutil.rmtree(store)
    os.symlink(outside, store)
    old = time.time() - 30 * 86400
    for path in outside.rglob("*"):
        os.utime(path, (old, old), follow_symlinks=False)

    project.script("def main(urd):\n    urd.build('make', n=2)\n")  # a run that would build
    for command in (("gc",), ("gc", "--keep-newer", "0s", "--no-scripts"), ("run",),
                    ("doctor", "--fix")):
        proc = project.acbuild(*command, check=None)
        assert "Traceback" not in proc.stderr, (command, proc.stderr)
        for relpath, text in contents.items():
            assert (outside / relpath).read_text() == text, (command, relpath)
        assert proc.returncode == 0, (command, proc.stdout, proc.stderr)
    assert store.is_symlink()
    # What gc removed there were store files only: the jobs it removed linked nothing else.
    assert {p.parent.name for p in outside.rglob("*") if p.is_file()} >= {"ab", "cd"}
