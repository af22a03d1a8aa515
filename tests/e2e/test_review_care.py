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
