"""Review (issue 12): the source store under attack. A store file replaced by a symbolic
link to a file outside the project: no job's source/ is linked through it, the outside file
is neither written nor removed (by a run or by gc), and verify holds."""

from __future__ import annotations

import os
import stat

from conftest import Project, assert_sound

METHOD = 'options = {"n": 0}\n\ndef synthesis(options):\n    return options.n\n'


def test_a_store_file_made_a_link_outside_is_never_followed(project: Project,
                                                            tmp_path_factory) -> None:
    project.method("m", METHOD)
    project.script("import os\n\ndef main(urd):\n"
                   "    for n in range(int(open('n.txt').read())):\n"
                   "        urd.build('m', n=n)\n")
    project.write("n.txt", "1")
    project.run_json()
    (stored,) = [p for p in (project.workdir / ".sources").rglob("*") if p.is_file()]
    outside = tmp_path_factory.mktemp("outside") / "m.py"
    outside.write_text(METHOD)
    os.chmod(outside, 0o644)
    before = outside.stat()
    stored.unlink()  # the job that linked it keeps its inode
    stored.symlink_to(outside)
    project.write("n.txt", "3")
    report = project.run_json()
    assert sorted(j["state"] for j in report["jobs"]) == ["built", "built", "reused"]
    assert not stored.is_symlink() and stat.S_ISREG(stored.lstat().st_mode)
    for job in report["jobs"]:
        copy = project.workdir / job["id"] / "source" / "methods" / "m.py"
        assert stat.S_ISREG(copy.lstat().st_mode)
        assert copy.lstat().st_ino != before.st_ino
        assert copy.read_text() == METHOD
    after = outside.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns, after.st_nlink) == (
        before.st_ino, before.st_size, before.st_mtime_ns, before.st_nlink)
    stored.unlink()
    stored.symlink_to(outside)  # and gc, with the link in the store again
    project.acbuild("gc", check=None)
    assert outside.read_text() == METHOD
    assert project.acbuild("verify").returncode == 0
    assert_sound(project.workdir)
