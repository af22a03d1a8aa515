"""The Accelerator's file API end to end: ``job.save`` / ``json_save`` (per slice, temp,
background) and ``load`` / ``json_load`` on the job, on input jobs and in the script."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

from conftest import Project

# The Accelerator's a_test_job_save.py, with the import-free parts unchanged. Its one edit:
# job.filename() is a Path here, so the file name is taken with os.path.basename.
JOB_SAVE = '''
description = """
Test using the returned object from job.save() and job.json_save()
"""

import os
from pathlib import Path


def save(job, name, sliceno):
\tp = job.save(f'contents of {name} {sliceno}', name + '.pickle', sliceno=sliceno)
\tj = job.json_save({name: sliceno}, name + '.json', sliceno=sliceno)
\tname += '_path'
\tp_path = job.save(f'contents of {name} {sliceno}', Path(name + '.pickle'), sliceno=sliceno)
\tj_path = job.json_save({name: sliceno}, Path(name + '.json'), sliceno=sliceno)
\treturn p, j, p_path, j_path

def check(job, name, sliceno, p, j, p_path, j_path):
\tassert p.load() == job.load(Path(p.filename)) == f'contents of {name} {sliceno}'
\tassert j.load() == job.json_load(Path(j.filename)) == {name: sliceno}
\tassert p_path.load() == job.load(Path(p_path.filename)) == f'contents of {name}_path {sliceno}'
\tassert j_path.load() == job.json_load(Path(j_path.filename)) == {name + '_path': sliceno}
\tfor obj, filename in [
\t\t# Use Path() for files saved with strings and strings for files saved with Path.
\t\t(p, Path(name + '.pickle')),
\t\t(j, Path(name + '.json')),
\t\t(p_path, name + '_path.pickle'),
\t\t(j_path, name + '_path.json'),
\t]:
\t\tpath = job.filename(filename, sliceno=sliceno)
\t\tassert obj.path == path
\t\tassert obj.filename == os.path.basename(path)

def prepare(job):
\tres = save(job, 'prepare', None)
\tcheck(job, 'prepare', None, *res)
\treturn res

def analysis(sliceno, job, prepare_res):
\tcheck(job, 'prepare', None, *prepare_res)
\tres = save(job, 'analysis', sliceno)
\tcheck(job, 'analysis', sliceno, *res)
\treturn res

def synthesis(job, prepare_res, analysis_res):
\tcheck(job, 'prepare', None, *prepare_res)
\tfor sliceno, res in enumerate(analysis_res):
\t\tcheck(job, 'analysis', sliceno, *res)
\tres = save(job, 'synthesis', None)
\tcheck(job, 'synthesis', None, *res)
'''


def only_job(project: Project, method: str):
    (path,) = [p for p in project.workdir.iterdir() if p.name.startswith(method + "-")]
    return path


def listed_files(job_dir: Path) -> dict[str, Any]:
    """The files post.json lists for the job, by name."""
    return json.loads((job_dir / "post.json").read_text())["files"]


def run_accelerator_method(project: Project, name: str, source: str) -> Path:
    """Build the Accelerator's test method ``name`` alone, with 3 slices; its directory."""
    project.write("acbuild.toml", 'methods = ["methods"]\nslices = 3\n')
    project.method(name, source)
    project.script(f'def main(urd):\n    urd.build("{name}")\n')
    project.run_json()
    return only_job(project, name)


def test_the_accelerators_job_save_method_runs_and_lists_every_file(project: Project) -> None:
    job_dir = run_accelerator_method(project, "test_job_save", JOB_SAVE)
    files = listed_files(job_dir)
    want = set()
    for part, slicenos in (("prepare", [None]), ("analysis", [0, 1, 2]), ("synthesis", [None])):
        for sliceno in slicenos:
            for name in (part, part + "_path"):
                for ext in ("pickle", "json"):
                    want.add(f"{name}.{ext}" + ("" if sliceno is None else f".{sliceno}"))
    assert want <= set(files)
    for name in want:  # every saved file is listed as every other file is: size and blake3
        assert files[name]["size"] == (job_dir / name).stat().st_size
        assert len(files[name]["blake3"]) == 64
    assert pickle.loads((job_dir / "analysis.pickle.2").read_bytes()) == "contents of analysis 2"
    # JSON as the Accelerator writes it: indented, sorted keys, a final newline
    assert (job_dir / "analysis.json.1").read_text() == '{\n    "analysis": 1\n}\n'


SAVER = '''
options = {"n": 100}

def prepare(job, options):
    job.save(list(range(options.n)), "big.pickle", background=True)
    job.save({"scratch": True}, "scratch.pickle", temp=True)
    with job.open("scratch.txt", "w", temp=True) as f:
        f.write("temporary")
    job.json_save({"n": options.n}, "meta.json")

def analysis(sliceno, job):
    job.save(sliceno * 10, "part.pickle", sliceno=sliceno, background=True)
    job.json_save([sliceno], "part.json", sliceno=sliceno, temp=True)
    return sliceno

def synthesis(job, slices):
    # temporary files live until the job finishes: synthesis reads them
    assert job.load("scratch.pickle") == {"scratch": True}
    assert [job.json_load("part.json", sliceno=s) for s in range(slices)] == [[0], [1]]
    # the background saves were waited for at the end of their phase
    assert job.load("big.pickle")[-1] == 99
    assert job.load("missing.pickle", default="absent") == "absent"
    job.register_file("meta.json")
    return "done"
'''

READER = '''
jobs = ("src",)

def synthesis(jobs):
    src = jobs.src
    return {
        "big": len(src.load("big.pickle")),
        "parts": [src.load("part.pickle", sliceno=s) for s in (0, 1)],
        "meta": src.json_load("meta.json"),
        "result": src.load(),
        "missing": src.json_load("nothing.json", default=None),
    }
'''


def test_temp_files_go_background_saves_land_and_inputs_and_scripts_load(
        project: Project) -> None:
    project.method("saver", SAVER)
    project.method("reader", READER)
    project.script('''
        def main(urd):
            src = urd.build("saver")
            got = urd.build("reader", src=src).load()
            assert got == {"big": 100, "parts": [0, 10], "meta": {"n": 100},
                           "result": "done", "missing": None}, got
            assert src.load("part.pickle", sliceno=1) == 10
            assert src.json_load("meta.json") == {"n": 100}
            assert src.load("nothing.pickle", default=7) == 7
            print("SCRIPT-OK")
    ''')
    proc = project.acbuild("run")
    assert "SCRIPT-OK" in proc.stdout
    job_dir = only_job(project, "saver")
    files = listed_files(job_dir)
    for temp in ("scratch.pickle", "scratch.txt", "part.json.0", "part.json.1"):
        assert not (job_dir / temp).exists()
        assert temp not in files
    for kept in ("big.pickle", "part.pickle.0", "part.pickle.1", "meta.json"):
        assert kept in files and (job_dir / kept).exists()
    # verify agrees: what post.json lists is what is there
    project.acbuild("verify")


def test_a_failed_background_save_fails_its_phase_naming_the_file(project: Project) -> None:
    project.method("badsave", '''
        def prepare(job):
            job.save(lambda: 1, "fn.pickle", background=True)  # a lambda cannot be pickled
            return 1
    ''')
    project.script('def main(urd):\n    urd.build("badsave")\n')
    proc = project.acbuild("run", check=1)
    assert "background save of 'fn.pickle' failed" in proc.stderr
    assert "in prepare" in proc.stderr


def test_saving_onto_acbuilds_records_is_refused(project: Project) -> None:
    project.method("clash", '''
        def synthesis(job):
            job.save(1, "result.pickle")
    ''')
    project.script('def main(urd):\n    urd.build("clash")\n')
    proc = project.acbuild("run", check=1)
    assert "'result.pickle' is acbuild's record of the job" in proc.stderr


def test_a_slice_that_fails_after_a_background_save_fails_its_job(project: Project) -> None:
    project.method("failsave", '''
        def analysis(sliceno, job):
            job.save(list(range(10000)), "part.pickle", sliceno=sliceno, background=True)
            if sliceno == 1:
                raise ValueError("boom after saving")
            return sliceno
    ''')
    project.script('def main(urd):\n    urd.build("failsave")\n')
    proc = project.acbuild("run", check=1)
    assert "in analysis slice 1: ValueError: boom after saving" in proc.stderr


# The Accelerator's a_test_job_save_background.py: slow-to-encode objects saved in the
# background, loaded and waited for in later phases. Its edits: job.filename() is a Path
# (os.path.basename), the jobwithfile check is left to the JobWithFile tests, and its
# upper bound on the time a save took (a flaky measure on a loaded machine) is replaced
# by a check that the slow encoding ran in another process than the method's.
JOB_SAVE_BACKGROUND = '''
description = """
Test job.save() and job.json_save() with background=True
using silly objects that sleep to make saving slow without a lot of IO.
"""

options = {'sleeptime': 0.2}

import os
import time
from time import monotonic

METHOD_PID = []

def not_here():
\tassert os.getpid() not in METHOD_PID, "encoded in the method's own process"

# This pickles as a string, but slowly.
class SlowToPickle(object):
\t__slots__ = ('text', 'sleeptime',)

\tdef __init__(self, text, sleeptime):
\t\tself.text = text
\t\tself.sleeptime = sleeptime

\tdef __reduce__(self):
\t\tnot_here()
\t\ttime.sleep(self.sleeptime)
\t\treturn str, (str(self.text),)

# This is a True boolean that takes a long time to evaluate.
class SlowTrue(object):
\t__slots__ = ('sleeptime',)

\tdef __init__(self, sleeptime):
\t\tself.sleeptime = sleeptime

\tdef __bool__(self):
\t\tnot_here()
\t\ttime.sleep(self.sleeptime)
\t\treturn True

def save(job, name, sliceno):
\tMETHOD_PID[:] = [os.getpid()]
\tp = job.save(f'contents of {name} {sliceno}', name + '.pickle', sliceno=sliceno)
\tj = job.json_save({name: sliceno}, name + '.json', sliceno=sliceno)
\tname = 'background ' + name
\tbp = job.save(SlowToPickle(f'contents of {name} {sliceno}', options.sleeptime), name + '.pickle', sliceno=sliceno, background=True)
\tbj = job.json_save({name: sliceno}, name + '.json', sliceno=sliceno, sort_keys=SlowTrue(options.sleeptime), background=True)
\treturn p, j, bp, bj

def check(job, name, sliceno, p, j, bp, bj, do_background=True, do_wait=False):
\ttodo = [(name, p, j)]
\tif do_background:
\t\ttodo.append(('background ' + name, bp, bj))
\tfor name, p, j in todo:
\t\tif do_wait:
\t\t\t# Do explicit waiting sometimes
\t\t\tp.wait()
\t\t\tj.wait()
\t\tassert p.load() == f'contents of {name} {sliceno}'
\t\tassert j.load() == {name: sliceno}
\t\tfor obj, filename in [(p, name + '.pickle'), (j, name + '.json')]:
\t\t\tpath = job.filename(filename, sliceno=sliceno)
\t\t\tassert obj.path == path
\t\t\tassert obj.filename == os.path.basename(path)

def prepare(job):
\tres = save(job, 'prepare', None)
\tcheck(job, 'prepare', None, *res, do_background=False)
\tchecktime = options.sleeptime / 2.5
\tbefore = monotonic()
\tp = job.save(SlowToPickle('', checktime), 'test.pickle', background=True)
\tp.wait()
\tpickle_time = monotonic() - before
\tassert pickle_time > checktime, f"Saving a slow pickle took {pickle_time} seconds, should have taken more than {checktime}"
\tbefore = monotonic()
\tj = job.json_save({}, 'test.json', sort_keys=SlowTrue(checktime), background=True)
\tj.wait()
\tjson_time = monotonic() - before
\tassert json_time > checktime, f"Saving a slow json took {json_time} seconds, should have taken more than {checktime}"
\treturn res

def analysis(sliceno, job, prepare_res):
\tcheck(job, 'prepare', None, *prepare_res, do_wait=(sliceno % 2 == 0))
\tres = save(job, 'analysis', sliceno)
\tcheck(job, 'analysis', sliceno, *res, do_background=False)
\treturn res

def synthesis(job, prepare_res, analysis_res):
\tcheck(job, 'prepare', None, *prepare_res, do_wait=True)
\tfor sliceno, res in enumerate(analysis_res):
\t\tcheck(job, 'analysis', sliceno, *res, do_wait=(sliceno % 3 == 0))
\tres = save(job, 'synthesis', None)
\tcheck(job, 'synthesis', None, *res, do_wait=True)
'''


def test_the_accelerators_background_save_method_runs(project: Project) -> None:
    job_dir = run_accelerator_method(project, "test_job_save_background", JOB_SAVE_BACKGROUND)
    files = listed_files(job_dir)
    # 10 + 4 x slices files, as the Accelerator's test counts them
    assert len([n for n in files if n.endswith((".json", ".pickle")) or n[-1].isdigit()]) \
        == 10 + 4 * 3
    assert json.loads((job_dir / "background analysis.json.2").read_text()) == \
        {"background analysis": 2}


# After the Accelerator's a_test_register_file_manual.py (without its datasets and
# subjobs): which files a job keeps and lists.
REGISTER_FILE_MANUAL = '''
import os

def analysis(sliceno, job):
\tif sliceno == 0:
\t\twith open('analysis slice 0.txt', 'w') as fh:
\t\t\tfh.write('written in analysis slice 0')
\tif sliceno == 1:
\t\twith job.open('temporary analysis slice 1.txt', 'w', temp=True) as fh:
\t\t\tfh.write('written as temporary in analysis slice 1')
\tif sliceno == 2:
\t\twith job.open('analysis slice 2.txt', 'w') as fh:
\t\t\tfh.write('written and registered in analysis slice 2')

def synthesis(job):
\twith open('synthesis file.txt', 'w') as fh:
\t\tfh.write('written in synthesis')
\twith job.open('temp file.txt', 'w', temp=True) as fh:
\t\tfh.write('temporary file, should not be registered by job.register_files()')
\twith job.open('registered temp file.txt', 'w', temp=True) as fh:
\t\tfh.write('temporary file, but manually registered after creation.')
\t# But register_file can register a temp file (and make it no longer temporary).
\tjob.register_file('registered temp file.txt')
\tos.mkdir('subdir')
\tos.mkdir('subdir/deep')
\twith open('subdir/deep/file.txt', 'w') as fh:
\t\tfh.write('written in a subdir, then registered with job.register_files() without a pattern.')
\tassert 'subdir/deep/file.txt' in job.register_files()
'''


def test_the_accelerators_register_file_manual_keeps_the_right_files(project: Project) -> None:
    job_dir = run_accelerator_method(project, "test_register_file_manual", REGISTER_FILE_MANUAL)
    files = set(listed_files(job_dir))
    assert files == {"analysis slice 0.txt", "analysis slice 2.txt",
                     "registered temp file.txt", "synthesis file.txt", "subdir/deep/file.txt"}
    assert not (job_dir / "temp file.txt").exists()
    assert not (job_dir / "temporary analysis slice 1.txt").exists()
