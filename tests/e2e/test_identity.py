"""Identity end to end: a change re-runs exactly what it affects, and nothing else does.

Input files by content (touch and copying the project re-run nothing), helper modules
followed through imports, cosmetic edits ignored, depend_extra, equivalent_hashes with
`acbuild methods NAME`, and forcing.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sqlite3
import sys
import textwrap
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from conftest import Project, built, states

PIPELINE = """
def main(urd):
    raw = urd.build("ingest", src=urd.file("data/raw.csv"))
    urd.build("count", data=raw)
    urd.build("side", src=urd.file("data/other.csv"))
"""


def pipeline(project: Project) -> Project:
    project.method("ingest", '''
        """Read the raw table."""
        options = {"src": None}

        def synthesis(options):
            return (str(options.src), options.src.read_text().split())
    ''')
    project.method("count", '''
        jobs = ("data",)

        def synthesis(jobs):
            return len(jobs.data.load()[1])
    ''')
    project.method("side", '''
        options = {"src": None}

        def synthesis(options):
            return options.src.read_text()
    ''')
    project.write("data/raw.csv", "a\nb\n")
    project.write("data/other.csv", "x\n")
    age(project.root / "data")
    project.script(PIPELINE)
    return project


def age(path: Path, seconds: float = 60) -> None:
    """Make files look written a while ago, so the stat cache trusts them at once."""
    then = time.time() - seconds
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(p, (then, then))


def result(project: Project, report: dict[str, Any], method: str) -> Any:
    job = next(j for j in report["jobs"] if j["method"] == method)
    return pickle.loads((Path(job["path"]) / "result.pickle").read_bytes())


def setup_of(project: Project, report: dict[str, Any], method: str) -> dict[str, Any]:
    job = next(j for j in report["jobs"] if j["method"] == method)
    return json.loads((Path(job["path"]) / "setup.json").read_text())


# -- input files --------------------------------------------------------------------------
def test_input_file_change_reruns_exactly_its_readers_and_dependents(project: Project) -> None:
    pipeline(project)
    first = project.run_json()
    assert built(first) == ["count", "ingest", "side"]
    path, rows = result(project, first, "ingest")
    assert path == str(project.root / "data/raw.csv") and rows == ["a", "b"]  # absolute path
    os.utime(project.root / "data/raw.csv")  # touched, not changed
    assert built(project.run_json()) == []
    project.write("data/raw.csv", "a\nb\nc\n")
    status = project.status_json()
    assert states(status) == {"ingest": "stale", "count": "stale", "side": "cached"}
    assert "input file data/raw.csv changed" in status["jobs"][0]["reason"]
    again = project.run_json()
    assert built(again) == ["count", "ingest"] and result(project, again, "count") == 3
    project.write("data/raw.csv", "a\nb\n")  # back to the first content: the first jobs
    assert built(project.run_json()) == []


def test_copying_the_project_elsewhere_reruns_nothing(project: Project, tmp_path: Path) -> None:
    pipeline(project)
    project.run_json()
    copy = Project(tmp_path / "elsewhere" / "copy")
    shutil.copytree(project.root, copy.root, dirs_exist_ok=True)  # data, methods, work dir
    report = copy.run_json()
    assert set(states(report).values()) == {"reused"}
    assert all(j["path"].startswith(str(copy.root)) for j in report["jobs"])


def test_stat_cache_answers_for_an_unchanged_file(project: Project) -> None:
    pipeline(project)
    first = project.run_json()
    db = sqlite3.connect(project.workdir / "acbuild.db")
    key = str(project.root / "data/raw.csv")
    assert db.execute("SELECT count(*) FROM file_stats WHERE path = ?", (key,)).fetchone()[0] == 1
    # Falsify the cached digest: a run that believes it has not read the file.
    db.execute("UPDATE file_stats SET digest = ? WHERE path = ?", ("0" * 64, key))
    db.commit()
    assert states(project.status_json())["ingest"] == "stale"
    age(project.root / "data/raw.csv", 30)  # a new stat: the file is read again
    assert states(project.status_json())["ingest"] == "cached"
    assert db.execute("SELECT digest FROM file_stats WHERE path = ?", (key,)).fetchone()[0] == (
        setup_of(project, first, "ingest")["options"]["src"]["blake3"])


def test_a_directory_is_an_input_by_its_files(project: Project) -> None:
    project.method("listing", '''
        options = {"src": None}

        def synthesis(options):
            return sorted(p.name for p in options.src.rglob("*"))
    ''')
    project.write("data/set/a.txt", "1")
    project.write("data/set/sub/b.txt", "2")
    age(project.root / "data")
    project.script('def main(urd):\n    urd.build("listing", src=urd.file("data/set"))\n')
    assert built(project.run_json()) == ["listing"]
    db = sqlite3.connect(project.workdir / "acbuild.db")
    assert db.execute("SELECT count(*) FROM file_stats").fetchone()[0] == 2  # its files
    os.utime(project.root / "data/set/sub/b.txt")
    assert built(project.run_json()) == []
    (project.root / "data/set/sub/b.txt").write_text("3")
    assert built(project.run_json()) == ["listing"]
    project.write("data/set/c.txt", "")
    assert result(project, project.run_json(), "listing") == ["a.txt", "b.txt", "c.txt", "sub"]


def test_missing_input_file_names_the_file_and_the_script_line(project: Project) -> None:
    pipeline(project)
    project.script("""
        def raw(urd):
            return urd.file("data/nope.csv")

        def main(urd):
            urd.build("ingest", src=raw(urd))
    """)
    proc = project.acbuild("run", check=2)
    assert "data/nope.csv" in proc.stderr and "does not exist" in proc.stderr
    assert "build.py:2" in proc.stderr and "Traceback" not in proc.stderr
    assert project.job_dirs() == []


# -- helper modules ------------------------------------------------------------------------
def helpers(project: Project) -> Project:
    project.method("uses", '''
        import json

        import click
        import _direct

        def synthesis():
            return _direct.value() + len(json.dumps(click.__name__))
    ''')
    project.write("methods/_direct.py", "import _deep\n\ndef value():\n    return _deep.K\n")
    project.write("methods/_deep.py", "K = 1\n")
    project.write("mylib/__init__.py", "")
    project.write("mylib/scale.py", "FACTOR = 2\n")
    project.method("scaled", '''
        from mylib import scale
        jobs = ("pred",)

        def synthesis(jobs):
            return jobs.pred.load() * scale.FACTOR
    ''')
    project.method("alone", "def synthesis():\n    return 0\n")
    project.script("""
        def main(urd):
            u = urd.build("uses")
            urd.build("scaled", pred=u)
            urd.build("alone")
    """)
    return project


def test_editing_a_helper_reruns_exactly_the_methods_that_import_it(project: Project) -> None:
    helpers(project)
    assert built(project.run_json()) == ["alone", "scaled", "uses"]
    project.write("methods/_deep.py", "K = 10\n")  # imported through _direct
    status = project.status_json()
    assert states(status) == {"uses": "stale", "scaled": "stale", "alone": "cached"}
    assert built(project.run_json()) == ["scaled", "uses"]
    project.write("mylib/scale.py", "FACTOR = 3\n")  # a package at the project root
    assert built(project.run_json()) == ["scaled"]
    project.write("methods/_deep.py", "# the answer\n\nK = 10  # ten\n")
    assert built(project.run_json()) == []


def test_third_party_modules_are_recorded_not_hashed(project: Project) -> None:
    helpers(project)
    report = project.run_json()
    setup = setup_of(project, report, "uses")
    assert setup["versions"]["packages"] == {"click": metadata.version("click")}
    assert setup["versions"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert setup["code"]["sources"] == ["methods/_deep.py", "methods/_direct.py",
                                        "methods/uses.py"]
    source = Path(report["jobs"][0]["path"]) / "source"
    assert (source / "methods/_deep.py").read_text() == "K = 1\n"


def test_two_methods_directories_each_see_their_own_helper(project: Project) -> None:
    project.write("acbuild.toml", 'methods = ["one", "two"]\n')
    for directory in ("one", "two"):
        project.write(f"{directory}/_h.py", f"NAME = {directory!r}\nOPTIONS = {{NAME: 1}}\n")
        project.write(f"{directory}/m_{directory}.py",
                      "import _h\noptions = _h.OPTIONS\n\n"
                      "def synthesis():\n    import _h as again\n    return _h.NAME, again.NAME\n")
    project.script('def main(urd):\n    urd.build("m_one", one=2)\n    urd.build("m_two", two=2)\n')
    report = project.run_json("-j", "1")  # one launcher process imports both methods
    assert result(project, report, "m_one") == ("one", "one")
    assert result(project, report, "m_two") == ("two", "two")
    project.write("two/_h.py", "NAME = 'changed'\nOPTIONS = {'two': 1}\n")
    report = project.run_json("-j", "1")
    assert built(report) == ["m_two"] and result(project, report, "m_two") == ("changed",) * 2


# -- cosmetic edits ------------------------------------------------------------------------
ORIGINAL = '''
"""Scale numbers."""
options = {"n": 3}

def synthesis(options):
    return [x * 2 for x in range(options.n)]
'''

COSMETIC = '''
"""Scale numbers: now with a longer description.

And a second paragraph."""
# a comment

options = {
    "n": 3,  # how many
}


def synthesis(options):
    """Double them."""

    return [x*2
            for x in range(options.n)]   # formatting
'''


def test_comments_blank_lines_and_docstrings_rerun_nothing_but_a_constant_does(
        project: Project) -> None:
    project.method("scale", ORIGINAL)
    project.script('def main(urd):\n    urd.build("scale")\n')
    first = project.run_json()
    project.method("scale", COSMETIC)
    assert built(project.run_json()) == []
    kept = Path(first["jobs"][0]["path"]) / "source/methods/scale.py"
    assert kept.read_text() == ORIGINAL.lstrip("\n")  # the exact source that ran
    project.method("scale", COSMETIC.replace("x*2", "x*3"))
    status = project.status_json()
    assert "code of scale changed" in status["jobs"][0]["reason"]
    again = project.run_json()
    assert built(again) == ["scale"] and result(project, again, "scale") == [0, 3, 6]
    new_source = Path(again["jobs"][0]["path"]) / "source/methods/scale.py"
    assert "x*3" in new_source.read_text()


# -- depend_extra --------------------------------------------------------------------------
def test_depend_extra_files_and_modules(project: Project) -> None:
    project.method("reader", '''
        import importlib
        import _loaded  # noqa: F401  (also what depend_extra names)
        depend_extra = ("reader.sql", _loaded)

        def synthesis():
            return importlib.import_module("_loaded").Q
    ''')
    project.write("methods/reader.sql", "select 1\n")
    project.write("methods/_loaded.py", "import _inner\nQ = _inner.Q\n")
    project.write("methods/_inner.py", "Q = 1\n")
    project.method("other", "def synthesis():\n    return 0\n")
    project.script('def main(urd):\n    urd.build("reader")\n    urd.build("other")\n')
    report = project.run_json()
    assert "methods/reader.sql" in setup_of(project, report, "reader")["code"]["sources"]
    project.write("methods/reader.sql", "select 2\n")
    assert built(project.run_json()) == ["reader"]
    project.write("methods/_inner.py", "Q = 2\n")
    assert built(project.run_json()) == ["reader"]
    project.method("reader", "depend_extra = ('missing.sql',)\ndef synthesis():\n    return 0\n")
    proc = project.acbuild("run", check=2)
    assert "missing.sql" in proc.stderr and "methods/reader.py" in proc.stderr


# -- equivalent_hashes and acbuild methods --------------------------------------------------
def methods_json(project: Project, *names: str) -> list[dict[str, Any]]:
    return json.loads(project.acbuild("methods", "--json", *names).stdout)["methods"]


def test_equivalent_hashes_keep_the_jobs_of_a_refactor(project: Project) -> None:
    project.method("total", '''
        """Add them up."""
        options = {"n": 4, "label": ""}

        def synthesis(options):
            total = 0
            for x in range(options.n):
                total += x
            return total
    ''')
    project.script('def main(urd):\n    t = urd.build("total")\n    urd.build("after", t=t)\n')
    project.method("after", 'jobs = ("t",)\ndef synthesis(jobs):\n    return jobs.t.load()\n')
    first = project.run_json()
    before = methods_json(project, "total")[0]
    assert before["built_from"][0]["current"] and before["built_from"][0]["jobs"] == 1
    refactor = textwrap.dedent('''
        """Add them up."""
        options = {"n": 4, "label": ""}

        def synthesis(options):
            return sum(range(options.n))
    ''')
    project.method("total", refactor)
    info = methods_json(project, "total")[0]
    assert info["code"]["hash"] != before["code"]["hash"]
    assert [v["code_hash"] for v in info["built_from"]] == [before["code"]["hash"]]
    assert not info["built_from"][0]["current"]
    text = project.acbuild("methods", "total").stdout
    assert info["code"]["hash"] in text and before["code"]["hash"] in text
    project.method("total", refactor + info["suggestion"] + "\n")  # what methods suggests
    report = project.run_json()
    assert set(states(report).values()) == {"reused"}
    assert [j["id"] for j in report["jobs"]] == [j["id"] for j in first["jobs"]]
    now = methods_json(project, "total")[0]
    assert now["code"]["identity_hash"] == before["code"]["hash"] and now["suggestion"] is None
    # Changed again: the declaration no longer names the current code, and says so.
    project.method("total", refactor.replace("sum(range(options.n))", "sum(range(options.n)) + 1")
                   + info["suggestion"] + "\n")
    proc = project.acbuild("run")
    assert "equivalent_hashes is ignored" in proc.stdout + proc.stderr
    project.method("total", refactor + "equivalent_hashes = {'abc': 'def'}\n")
    assert "64-digit hex" in project.acbuild("run", check=2).stderr


def test_methods_lists_descriptions_options_and_inputs(project: Project) -> None:
    pipeline(project)
    project.method("broken", "def synthesis(:\n")
    infos = {m["name"]: m for m in methods_json(project)}
    assert infos["ingest"]["description"] == "Read the raw table."
    assert infos["count"]["inputs"] == ["data"]
    assert infos["ingest"]["options"]["src"]["text"] == "any JSON value"
    assert "syntax error" in infos["broken"]["error"]
    text = project.acbuild("methods").stdout
    assert "Read the raw table." in text and "inputs: data" in text
    assert project.acbuild("methods", "nosuch", check=2).stderr.count("unknown method") == 1


# -- forcing -------------------------------------------------------------------------------
def test_force_rebuilds_in_place_and_its_readers_with_it(project: Project) -> None:
    pipeline(project)
    first = project.run_json()
    ingest = next(j for j in first["jobs"] if j["method"] == "ingest")
    post_before = json.loads((Path(ingest["path"]) / "post.json").read_text())
    forced = project.run_json("--force", "ingest")
    # count read the old build of ingest: a result of it is no result of the new one
    # (test_trust_rebuilt_inputs.py: and so in a later run, if this one is interrupted)
    assert states(forced) == {"ingest": "built", "count": "built", "side": "reused"}
    assert next(j for j in forced["jobs"] if j["method"] == "ingest")["reason"] == "forced"
    assert sorted(project.job_dirs()) == sorted(j["id"] for j in first["jobs"])  # replaced
    post_after = json.loads((Path(ingest["path"]) / "post.json").read_text())
    assert post_after["start"] > post_before["start"]
    assert built(project.run_json()) == []  # --force is for one run
    assert "unknown method 'nosuch'" in project.acbuild("run", "--force", "nosuch",
                                                         check=2).stderr


def test_force_in_the_script_rebuilds_on_every_run(project: Project) -> None:
    pipeline(project)
    project.script(PIPELINE.replace('urd.file("data/raw.csv"))',
                                    'urd.file("data/raw.csv"), force=True)'))
    assert built(project.run_json()) == ["count", "ingest", "side"]
    assert states(project.run_json()) == {"ingest": "built", "count": "built", "side": "reused"}
    assert states(project.run_json())["ingest"] == "built"
    assert len(project.job_dirs()) == 3
