"""``verify`` names what was put into a job's ``source/``: a link in place of a source file
the job ran, and a file (or link) that is no source of it.

``verify`` followed a link standing where a source file was (same bytes elsewhere: "intact")
and did not look at names in ``source/`` its setup.json does not record, so a link planted
there (which the board, before this review, served) went unnoticed. The promise (README,
"Checking and repairing"): changed, missing and added files are listed, exit 1.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Project


def test_verify_names_links_and_added_files_in_source(project: Project,
                                                      tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere.py"
    project.method("m", f'''
        import os
        import shutil

        def synthesis(job):
            mine = os.path.join(job.path, "source", "methods", "m.py")
            shutil.copyfile(mine, {str(copy)!r})
            os.unlink(mine)
            os.symlink({str(copy)!r}, mine)   # the same bytes, through a link
            os.symlink("/etc/hostname", os.path.join(job.path, "source", "planted.py"))
            return 1
    ''')
    project.script("def main(urd):\n    urd.build('m')\n")
    project.acbuild("run")
    report = json.loads(project.acbuild("verify", "--json", check=1).stdout)
    [job] = report["jobs"]
    found = {(c["file"], c["what"]) for c in job["changes"]}
    assert ("source/methods/m.py", "changed") in found, found
    assert ("source/planted.py", "added") in found, found
