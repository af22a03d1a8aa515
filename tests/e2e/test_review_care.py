"""Review (care): what a careless method does to the files acbuild writes for it must not
reach another job's files."""

from __future__ import annotations

from conftest import Project


def by_method(report: dict) -> dict[str, dict]:
    return {job["method"]: job for job in report["jobs"]}


def test_the_status_file_is_never_written_through_a_hard_link(project: Project) -> None:
    # job.open refuses a hard link (another job's file under a second name); the
    # ``.acbuild-status`` file a ``status`` block writes must be as careful, and not
    # truncate the input's file that the method linked there.
    project.method("src", '''
        def synthesis(job):
            with job.open("data.txt", "w") as f:
                f.write("the input's data")
    ''')
    project.method("careless", '''
        import os
        from acbuild import status

        jobs = ("src",)

        def synthesis(jobs):
            os.link(jobs.src.filename("data.txt"), ".acbuild-status")
            with status("working"):
                pass
            return "done"
    ''')
    project.script('''
        def main(urd):
            urd.build("careless", src=urd.build("src"))
    ''')
    report = by_method(project.run_json())
    src_dir = project.workdir / report["src"]["id"]
    assert (src_dir / "data.txt").read_text() == "the input's data"


def test_a_slice_status_file_stays_in_the_job_directory(project: Project) -> None:
    # A slice that moves ``slice-logs`` away and leaves a link to another directory under
    # its name: the slice's ``status`` file is written in the slice-logs directory acbuild
    # made (or nowhere), never through the link, as job.open never writes through one.
    outside = project.root / "outside"
    outside.mkdir(parents=True)
    (outside / "0.status").write_text("someone else's")
    project.method("careless", f'''
        import os
        from acbuild import status

        def analysis(sliceno):
            if sliceno == 0:
                os.rename("slice-logs", "moved-logs")
                os.symlink({str(outside)!r}, "slice-logs")
                with status("working"):
                    pass
            return sliceno
    ''')
    project.script('''
        def main(urd):
            urd.build("careless")
    ''')
    report = by_method(project.run_json())
    assert report["careless"]["state"] == "built", report
    assert [p.name for p in outside.iterdir()] == ["0.status"]
    assert (outside / "0.status").read_text() == "someone else's"


def test_a_temporary_file_a_slice_registers_is_kept(project: Project) -> None:
    # register_file keeps a temporary file after all (jobapi's promise); a slice that
    # registers the temporary file prepare saved is heard too, not only its own copy of
    # the list, which dies with it.
    project.method("keeper", '''
        def prepare(job):
            job.save("prepared", "t.pickle", temp=True)

        def analysis(sliceno, job):
            if sliceno == 0:
                job.register_file("t.pickle")
    ''')
    project.script('''
        def main(urd):
            urd.build("keeper")
    ''')
    report = by_method(project.run_json())
    job_dir = project.workdir / report["keeper"]["id"]
    assert (job_dir / "t.pickle").exists()


def test_a_fifo_at_the_status_file_does_not_hang_the_job(project: Project) -> None:
    # ``.acbuild-status`` is replaced, never opened as the method left it: a FIFO there
    # (no reader) would block the job's first ``status`` block for ever.
    project.method("careless", '''
        import os
        from acbuild import status

        def synthesis():
            os.mkfifo(".acbuild-status")
            with status("working"):
                pass
            return "done"
    ''')
    project.script('''
        def main(urd):
            urd.build("careless")
    ''')
    report = by_method(project.run_json())
    assert report["careless"]["state"] == "built"
