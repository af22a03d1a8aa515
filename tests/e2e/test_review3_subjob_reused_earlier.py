"""A job reused earlier in the run, stale once an ancestor is forced anew, asked for as a
subjob: the parent must get it built again, not its old directory."""

from __future__ import annotations

from conftest import Project


def test_a_subjob_reused_earlier_in_the_run_and_stale_now_is_built_again(
        project: Project) -> None:
    project.write("ext.txt", "v1")
    project.method("src", '''
        import os

        def synthesis():
            return open(os.path.join(os.environ["PROJECT"], "ext.txt")).read()
    ''')
    project.method("mid", '''
        jobs = ("src",)

        def synthesis(jobs):
            return jobs.src.load() + "+mid"
    ''')
    project.method("asker", '''
        from acbuild import subjobs

        jobs = ("src",)

        def synthesis(jobs):
            return subjobs.build("mid", src=jobs.src).load()
    ''')
    project.script('''
        def main(urd):
            src = urd.build("src")
            mid = urd.build("mid", src=src)
            seen = [mid.load()]  # reused in the second run
            again = urd.build("src", force=True)  # ext.txt is no part of its identity
            ask = urd.build("asker", src=again)
            seen.append(ask.load())
            open("seen.txt", "w").write(repr(seen))
    ''')
    env = {"PROJECT": str(project.root)}
    project.acbuild("run", "-q", env=env)
    assert eval((project.root / "seen.txt").read_text()) == ["v1+mid", "v1+mid"]

    project.write("ext.txt", "v2")
    project.acbuild("run", "-q", env=env)
    assert eval((project.root / "seen.txt").read_text()) == ["v1+mid", "v2+mid"]
