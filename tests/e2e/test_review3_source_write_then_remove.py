"""A method that writes through its shared source/ link and then removes its source/ (a
careless cleanup): the store file it wrote must still get its bytes back and the job fail,
or every finished job sharing that file has its source record changed, silently."""

from __future__ import annotations

import json

from conftest import Project

METHOD = '''
import os
import shutil
options = {"n": 0}

def synthesis(options, job):
    if options.n == 99:
        source = os.path.join(str(job.path), "source")
        path = os.path.join(source, "methods", "scale.py")
        os.chmod(path, 0o644)  # (root needs no chmod; an owner does)
        with open(path, "a") as f:
            f.write("# written by the job\\n")
        shutil.rmtree(source)
    return options.n
'''


def two_built_then_bad(project: Project) -> tuple[bytes, list[str]]:
    """Two jobs of scale built (they share its source file in the store); then the script
    asks for the one (n=99) whose method writes through its link. The method's source as
    written and the finished jobs' ids."""
    source = (project.root / "methods" / "scale.py").read_bytes()
    project.script("import os\n\ndef main(urd):\n"
                   "    for n in range(2):\n        urd.build('scale', n=n)\n"
                   "    if os.path.exists('bad'):\n        urd.build('scale', n=99)\n")
    finished = sorted(j["id"] for j in project.run_json()["jobs"])
    project.write("bad", "")
    return source, finished


def assert_sources_unchanged(project: Project, finished: list[str], source: bytes) -> None:
    for job_id in finished:
        assert (project.workdir / job_id / "source" / "methods" / "scale.py"
                ).read_bytes() == source


def test_a_job_that_writes_its_shared_source_and_removes_it_changes_no_other_job(
        project: Project) -> None:
    project.method("scale", METHOD)
    source, finished = two_built_then_bad(project)
    report = project.run_json(check=1)
    failed = [j for j in report["jobs"] if j["state"] == "failed"]
    assert len(failed) == 1, report
    assert "methods/scale.py" in json.dumps(failed[0])
    assert_sources_unchanged(project, finished, source)


def test_a_job_that_writes_its_shared_source_and_removes_its_directory_changes_no_other_job(
        project: Project) -> None:
    project.method("scale", METHOD.replace("shutil.rmtree(source)",
                                           "shutil.rmtree(str(job.path))"))
    source, finished = two_built_then_bad(project)
    project.run_json(check=1)  # its directory is gone: it failed
    assert_sources_unchanged(project, finished, source)


def test_a_run_stopped_while_a_job_that_wrote_its_shared_source_runs_changes_no_other_job(
        project: Project) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import SRC

    project.method("scale", METHOD.replace(
        "shutil.rmtree(source)",
        "open(os.path.join(os.environ['PROJECT'], 'wrote'), 'w').close()\n"
        "        import time\n        time.sleep(60)"))
    source, finished = two_built_then_bad(project)
    env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC),
           "PROJECT": str(project.root)}
    proc = subprocess.Popen([sys.executable, "-m", "acbuild", "run"], cwd=project.root,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (project.root / "wrote").exists():
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert_sources_unchanged(project, finished, source)


def test_a_launcher_killed_after_a_job_wrote_its_shared_source_changes_no_other_job(
        project: Project) -> None:
    project.method("scale", METHOD.replace(
        "shutil.rmtree(source)",
        "import signal\n        os.kill(os.getppid(), signal.SIGKILL)\n"
        "        import time\n        time.sleep(60)"))
    source, finished = two_built_then_bad(project)
    project.run_json(check=1)  # the launcher died while it ran: it failed
    assert_sources_unchanged(project, finished, source)
