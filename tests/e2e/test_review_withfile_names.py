"""Hostile review: a withfile name that leaves the job directory (``..``) or is the
directory itself is refused when the script calls withfile (exit 2, naming the line),
before any job starts; a link out of the job directory is refused when read."""

from __future__ import annotations

from conftest import Project


def withfile_project(project: Project, name: str) -> Project:
    project.method("prod", '''
        import os

        def synthesis(job):
            with job.open("rows.txt", "w") as f:
                f.write("mine")
            os.symlink("/etc/hostname", job.path / "out")
    ''')
    project.method("cons", '''
        from acbuild import JobWithFile

        options = {"table": JobWithFile}

        def synthesis(options):
            return options.table.open().read()
    ''')
    project.script(f'''
        def main(urd):
            raw = urd.build("prod")
            urd.build("cons", table=raw.withfile({name!r}))
    ''')
    return project


def test_dotdot_and_dot_are_refused_before_any_job(project: Project) -> None:
    for name in ("../secret", "a/../../x", ".", "a/.."):
        withfile_project(project, name)
        proc = project.acbuild("run", check=2)
        assert "build.py:3" in proc.stderr and "withfile" in proc.stderr, proc.stderr
        assert project.job_dirs() == [], name


def test_a_link_out_of_the_job_is_refused_when_read(project: Project) -> None:
    withfile_project(project, "out")
    proc = project.acbuild("run", check=1)
    assert "leaves the job directory" in proc.stdout + proc.stderr
    withfile_project(project, "./rows.txt").acbuild("run")  # inside: read
