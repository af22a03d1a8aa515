"""finish_early and analysis_res.merge_auto end to end, with methods written as the
Accelerator's tests write them (module-level options, the globals ``options``)."""

from __future__ import annotations

from conftest import Project

# The Accelerator's a_test_finish_early.py, without its dataset writer (acbuild has no
# datasets): each phase saves a marker file instead, and the build script drives it.
FINISH_EARLY = '''
description = r\'\'\'
Test that job.finish_early() works in all three stages.
\'\'\'

options = dict(
\twhen = str,
)

def prepare(job):
\tjob.save('prepare', 'prepare.pickle')
\tif options.when == 'prepare':
\t\tjob.finish_early('foo')
\treturn 'prepared'

def analysis(sliceno, prepare_res, job):
\tjob.save(sliceno, 'analysis.pickle', sliceno=sliceno)
\tif options.when == 'analysis':
\t\tjob.finish_early()
\tjob.save('bar', 'after.pickle', sliceno=sliceno)

def synthesis(job):
\tjob.save('synthesis', 'synthesis.pickle')
\tif options.when == 'synthesis':
\t\tjob.finish_early('baz')
\treturn 'finished'
'''


def test_finish_early_in_every_phase(project: Project) -> None:
    project.method("test_finish_early", FINISH_EARLY)
    project.script('''
        import json

        def main(urd):
            for when in ('prepare', 'analysis', 'synthesis', 'finish'):
                sj = urd.build('test_finish_early', when=when)
                files = sorted(json.loads(sj.filename('post.json').read_text())['files'])
                print('FILES', when, sj.load(), ' '.join(files))
    ''')
    out = project.acbuild("run").stdout
    lines = {line.split()[1]: line.split()[2:] for line in out.splitlines()
             if line.startswith("FILES")}
    analysis = ["analysis.pickle.0", "analysis.pickle.1"]
    after = ["after.pickle.0", "after.pickle.1"]
    assert lines["prepare"] == ["foo", "prepare.pickle", "result.pickle"]
    assert lines["analysis"] == ["None", *analysis, "prepare.pickle"]
    assert lines["synthesis"] == ["baz", *after, *analysis, "prepare.pickle", "result.pickle",
                                  "synthesis.pickle"]
    assert lines["finish"] == ["finished", *after, *analysis, "prepare.pickle",
                               "result.pickle", "synthesis.pickle"]


def test_finish_early_in_only_some_slices_fails_the_job_clearly(project: Project) -> None:
    project.method("partial", '''
        def analysis(sliceno, job):
            if sliceno == 0:
                job.finish_early()
            return sliceno
    ''')
    project.script('def main(urd):\n    urd.build("partial")\n')
    proc = project.acbuild("run", check=1)
    assert ("slice(s) 0 called job.finish_early() and slice(s) 1 did not: in analysis every "
            "slice must call it, or none") in proc.stderr
    assert project.job_dirs() == []  # a failed job is kept aside, never published


def test_finish_early_with_a_result_in_analysis_is_refused(project: Project) -> None:
    project.method("early_result", '''
        def analysis(job):
            job.finish_early("no")
    ''')
    project.script('def main(urd):\n    urd.build("early_result")\n')
    proc = project.acbuild("run", check=1)
    assert "job.finish_early(result) in analysis" in proc.stderr


MERGER = '''
from collections import Counter, defaultdict

options = {"clash": False}

def analysis(sliceno):
\twords = Counter({"a": 1, "s%d" % sliceno: 2})
\tnested = defaultdict(lambda: defaultdict(int))
\tnested["x"]["y"] += sliceno + 1
\tif options.clash and sliceno == 1:
\t\treturn 1, words, {"x": {"y": "one"}}, [sliceno], {sliceno}
\treturn 1, words, nested, [sliceno], {sliceno}

def synthesis(analysis_res):
\tcount, words, nested, order, seen = analysis_res.merge_auto()
\treturn {"count": count, "words": dict(words), "kind": type(words).__name__,
\t        "nested": nested, "order": order, "seen": sorted(seen)}
'''


def test_merge_auto_merges_the_slices_as_the_accelerator_does(project: Project) -> None:
    project.write("acbuild.toml", 'methods = ["methods"]\nslices = 3\n')
    project.method("merger", MERGER)
    project.script('''
        def main(urd):
            print("RESULT", repr(urd.build("merger").load()))
    ''')
    out = project.acbuild("run").stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))
    result = eval(line[len("RESULT "):])
    assert result == {"count": 3, "words": {"a": 3, "s0": 2, "s1": 2, "s2": 2},
                      "kind": "Counter", "nested": {"x": {"y": 6}}, "order": [0, 1, 2],
                      "seen": [0, 1, 2]}


def test_merge_auto_names_the_key_of_a_clash(project: Project) -> None:
    project.method("merger", MERGER)
    project.script('def main(urd):\n    urd.build("merger", clash=True)\n')
    proc = project.acbuild("run", check=1)
    assert "merge_auto: the value at key ['x']['y'] is an int in one slice and a str" \
        in proc.stderr
    assert "in synthesis" in proc.stderr


def test_analysis_res_is_read_once_in_slice_order(project: Project) -> None:
    project.write("acbuild.toml", 'methods = ["methods"]\nslices = 4\n')
    project.method("twice", '''
        options = {"again": False}

        def analysis(sliceno):
            return sliceno

        def synthesis(analysis_res):
            first = list(analysis_res)
            if options.again:
                list(analysis_res)
            return first
    ''')
    project.script('''
        def main(urd):
            assert urd.build("twice").load() == [0, 1, 2, 3]
            urd.build("twice", again=True)
    ''')
    proc = project.acbuild("run", check=1)
    assert "analysis_res is read once, and it was read already" in proc.stderr


def test_an_accelerator_description_is_the_methods_description(project: Project) -> None:
    project.method("described", '''
        description = r"""
        Count the words.
        More words here.
        """

        def synthesis():
            return 1
    ''')
    out = project.acbuild("methods").stdout
    assert "described  Count the words." in out
