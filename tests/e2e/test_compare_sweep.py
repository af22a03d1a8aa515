"""`acbuild compare` on a parameter sweep: the table of differing options and metrics, as
text, CSV and JSON; labels; sorting; one method only; results as data in `show --json`."""

from __future__ import annotations

import csv
import io
import json

from conftest import Project

SWEEP = """
def main(urd):
    data = urd.build("prepare", rows=20)
    for alpha in (0.1, 0.5, 2.0):
        urd.build("train", alpha=alpha, source=data, name=f"alpha={alpha}")
"""


def sweep(project: Project) -> Project:
    project.method("prepare", '''
        """Make the data."""
        options = {"rows": 10}

        def synthesis(options):
            return list(range(options.rows))
    ''')
    project.method("train", '''
        """Fit; the score falls as alpha grows."""
        import json

        options = {"alpha": 1.0, "depth": 3}
        jobs = ("source",)

        def synthesis(job, options, jobs):
            n = len(jobs.source.load())
            score = round(1 / (1 + options.alpha), 4)
            with job.open("metrics.json", "w") as f:
                json.dump({"loss": round(options.alpha * 2, 4), "rows": n}, f)
            return {"roc_auc": {"test": score, "train": score + 0.01}, "rows": n,
                    "weights": [1, 2, 3]}
    ''')
    project.script(SWEEP)
    project.run_json()
    return project


def test_compare_method_prints_the_differing_options_and_the_metrics(project: Project) -> None:
    sweep(project)
    out = project.acbuild("compare", "train").stdout
    header = out.splitlines()[0].split()
    assert header[:4] == ["job", "name", "built", "alpha"]
    assert "depth" not in header  # the same in every job: not a difference
    assert "jobs.source" not in header  # one input, the same for all
    assert {"roc_auc.test", "roc_auc.train", "rows"} <= set(header)
    assert "weights" not in header  # a list is no scalar field
    for alpha, score in (("0.1", "0.9091"), ("0.5", "0.6667"), ("2.0", "0.3333")):
        line = next(x for x in out.splitlines() if f"alpha={alpha} " in x)
        assert score in line.split()
    assert "3 job(s) of train" in out


def test_compare_csv_parses_with_one_row_per_variant(project: Project) -> None:
    sweep(project)
    text = project.acbuild("compare", "train", "--csv", "--sort", "roc_auc.test").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows] == ["alpha=2.0", "alpha=0.5", "alpha=0.1"]
    assert [float(r["roc_auc.test"]) for r in rows] == [0.3333, 0.6667, 0.9091]
    assert [float(r["alpha"]) for r in rows] == [2.0, 0.5, 0.1]
    assert all(r["job"].startswith("train-") for r in rows)


def test_compare_json_parses_and_sorts_descending(project: Project) -> None:
    sweep(project)
    found = json.loads(project.acbuild("compare", "train", "--json", "--sort", "alpha",
                                       "-r").stdout)
    assert found["method"] == "train"
    assert found["options"] == ["alpha"]
    assert [r["alpha"] for r in found["rows"]] == [2.0, 0.5, 0.1]
    assert [r["roc_auc.test"] for r in found["rows"]] == [0.3333, 0.6667, 0.9091]
    assert found["rows"][0]["name"] == "alpha=2.0"
    assert found["problems"] == []


def test_compare_metrics_file_takes_its_fields(project: Project) -> None:
    sweep(project)
    found = json.loads(project.acbuild("compare", "train", "--json",
                                       "--metrics", "metrics.json").stdout)
    assert found["fields"] == ["loss", "rows"]
    assert sorted(r["loss"] for r in found["rows"]) == [0.2, 1.0, 4.0]


def test_compare_named_jobs_and_mixing_methods_is_refused(project: Project) -> None:
    sweep(project)
    ids = [r["job"] for r in json.loads(
        project.acbuild("compare", "train", "--json").stdout)["rows"]]
    two = json.loads(project.acbuild("compare", ids[0], ids[2], "--json").stdout)
    assert [r["job"] for r in two["rows"]] == [ids[0], ids[2]]
    mixed = project.acbuild("compare", ids[0], "prepare", check=2)
    assert "one method" in mixed.stderr and "prepare" in mixed.stderr
    assert "no column" in project.acbuild("compare", "train", "--sort", "nope",
                                          check=2).stderr
    assert "no finished jobs" in project.acbuild("compare", "nosuch", check=2).stderr \
        or "no job matches" in project.acbuild("compare", "nosuch", check=2).stderr


def test_show_json_gives_a_json_result_as_data_not_a_repr(project: Project) -> None:
    sweep(project)
    info = json.loads(project.acbuild("show", "train", "--json").stdout)
    assert info["result"]["roc_auc"]["test"] in (0.9091, 0.6667, 0.3333)
    assert info["result"]["weights"] == [1, 2, 3]
    assert info["result_format"] == "json"
    text = project.acbuild("show", "train").stdout
    assert "roc_auc" in text


def test_show_json_of_a_result_json_cannot_hold_is_its_repr(project: Project) -> None:
    project.method("odd", '''
        options = {}

        def synthesis():
            return {1, 2, 3}
    ''')
    project.script('def main(urd):\n    urd.build("odd")\n')
    project.run_json()
    info = json.loads(project.acbuild("show", "odd", "--json").stdout)
    assert info["result"] == "{1, 2, 3}" and info["result_format"] == "repr"


def test_compare_field_patterns_narrow_a_wide_result(project: Project) -> None:
    sweep(project)
    found = json.loads(project.acbuild("compare", "train", "--json", "--field", "roc_auc.*",
                                       "--sort", "alpha").stdout)
    assert found["fields"] == ["roc_auc.test", "roc_auc.train"]
    assert [r["roc_auc.train"] for r in found["rows"]] == [0.9191, 0.6767, 0.3433]


def test_compare_of_the_example_project_sweep_with_labels(project: Project) -> None:
    project.acbuild("init", ".", "--force")  # the example project
    project.script('''
def main(urd):
    text = urd.file("data/first.txt")
    for length in (3, 4, 5):
        urd.build("wordcount", text=text, min_length=length, name=f"min_length={length}")
''', "sweep.py")
    project.acbuild("run", "sweep.py")
    found = json.loads(project.acbuild("compare", "wordcount", "--json", "--field",
                                       "counts.built", "--sort", "min_length").stdout)
    assert found["options"] == ["min_length"]
    assert [r["name"] for r in found["rows"]] == [f"min_length={n}" for n in (3, 4, 5)]
    assert [r["counts.built"] for r in found["rows"]] == [1, 1, 1]
    text = project.acbuild("compare", "wordcount", "--field", "counts.built").stdout
    assert "min_length=4" in text and "counts.built" in text


def test_compare_shows_a_list_option_whole_and_as_json_in_csv(project: Project) -> None:
    project.method("pick", '''
        options = {"columns": [str]}

        def synthesis(options):
            return len(options.columns)
    ''')
    project.script('def main(urd):\n'
                   '    urd.build("pick", columns=["a"])\n'
                   '    urd.build("pick", columns=["a", "b"])\n')
    project.run_json()
    found = json.loads(project.acbuild("compare", "pick", "--json", "--sort", "result").stdout)
    assert [(r["columns"], r["result"]) for r in found["rows"]] == [(["a"], 1),
                                                                    (["a", "b"], 2)]
    rows = list(csv.DictReader(io.StringIO(project.acbuild("compare", "pick", "--csv").stdout)))
    assert sorted(json.loads(r["columns"]) for r in rows) == [["a"], ["a", "b"]]
