"""Sweeps that read their variants: `urd.load_all(handles)` builds them together (up to
-j at once) and returns the results in order; a loop of `load()` builds one after the other."""

from __future__ import annotations

import json

from conftest import Project

SWEEP = """
def main(urd):
    variants = [urd.build("train", alpha=a, name=f"alpha={a}") for a in (1, 2, 3)]
    for handle, result in zip(variants, urd.load_all(variants)):
        print("ROW", handle.spec.label, result["score"])
"""


def make(project: Project) -> None:
    project.method("train", '''
        import time

        options = {"alpha": 1}

        def synthesis(options):
            time.sleep(1.0)
            return {"score": options.alpha * 10}
    ''')
    project.script(SWEEP)


def spans(project: Project) -> list[tuple[float, float]]:
    found = []
    for path in project.workdir.iterdir():
        if path.name.startswith("train-"):
            post = json.loads((path / "post.json").read_text())
            found.append((post["start"], post["end"]))
    return sorted(found)


def test_load_all_builds_the_variants_in_parallel_and_returns_results_in_order(
        project: Project) -> None:
    make(project)
    status = project.status_json()  # builds nothing: stops where the script needs a result
    assert [j["state"] for j in status["jobs"]] == ["stale"] * 3 and status["stopped_at"]
    assert not project.job_dirs()
    proc = project.acbuild("run", "-j2", "--json")
    rows = [line.split() for line in proc.stderr.splitlines() if line.startswith("ROW")]
    assert rows == [["ROW", "alpha=1", "10"], ["ROW", "alpha=2", "20"],
                    ["ROW", "alpha=3", "30"]]
    (s1, e1), (s2, e2), (s3, e3) = spans(project)
    # Two at once (-j2): the first two overlap in time; the third starts after one ends.
    assert s2 < e1, (s1, e1, s2, e2)
    assert s3 >= min(e1, e2) - 0.05
    # Built again from cache: the same table, nothing built.
    again = project.acbuild("run", "-j2", "--json")
    assert [j["state"] for j in json.loads(again.stdout)["jobs"]] == ["reused"] * 3
    assert "ROW alpha=3 30" in again.stderr


def test_a_loop_of_load_builds_one_after_the_other(project: Project) -> None:
    make(project)
    project.script(SWEEP.replace("urd.load_all(variants)", "[v.load() for v in variants]"))
    project.acbuild("run", "-j2", "--json")
    (_, e1), (s2, e2), (s3, _) = spans(project)
    assert s2 >= e1 - 0.05 and s3 >= e2 - 0.05  # what load_all is for


def test_load_all_refuses_what_is_not_a_handle(project: Project) -> None:
    make(project)
    project.script("def main(urd):\n    urd.load_all(['train'])\n")
    proc = project.acbuild("run", check=2)
    assert "load_all takes the handles" in proc.stderr and "build.py:2" in proc.stderr
    assert not project.job_dirs()
