"""`acbuild doctor` on a database a newer acbuild wrote points at what works (README "Reliability").

It used to say "`acbuild doctor --rebuild` moves it aside" and "`acbuild doctor --fix`
repairs them", and both of those commands then refused (exit 2, "upgrade acbuild"), as
they must: a newer acbuild's database is not ours to replace.
"""

from __future__ import annotations

import sqlite3


def test_doctor_on_a_newer_database_says_upgrade_not_fix(project):
    project.method("m", "def synthesis():\n    return 1\n")
    project.script("def main(urd):\n    urd.build('m')\n")
    project.acbuild("run")
    db_path = project.workdir / "acbuild.db"
    with sqlite3.connect(db_path) as con:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        con.execute(f"PRAGMA user_version = {version + 1}")
    con.close()
    proc = project.acbuild("doctor", check=1)
    assert "newer than this acbuild" in proc.stdout
    assert "upgrade acbuild" in proc.stdout
    assert "--fix` repairs" not in proc.stdout
    assert "moves it aside" not in proc.stdout
    for flag in ("--fix", "--rebuild"):  # what doctor no longer suggests: both refuse
        refused = project.acbuild("doctor", flag, check=2)
        assert "upgrade acbuild" in refused.stderr
    assert db_path.is_file() and len(project.job_dirs()) == 1
    with sqlite3.connect(db_path) as con:  # left as it is
        assert con.execute("PRAGMA user_version").fetchone()[0] == version + 1
    con.close()


def test_doctor_on_a_damaged_database_still_says_rebuild(project):
    project.method("m", "def synthesis():\n    return 1\n")
    project.script("def main(urd):\n    urd.build('m')\n")
    project.acbuild("run")
    for suffix in ("-wal", "-shm"):
        (project.workdir / f"acbuild.db{suffix}").unlink(missing_ok=True)
    (project.workdir / "acbuild.db").write_bytes(b"not a database" * 100)
    proc = project.acbuild("doctor", check=1)
    assert "doctor --rebuild` moves it aside" in proc.stdout
    assert "--fix` repairs" in proc.stdout
