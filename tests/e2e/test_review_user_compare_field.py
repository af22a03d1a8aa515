"""`compare --field PATTERN` that matches no field says so among the problems (naming the
fields there are) instead of silently showing no field column (review-user)."""

from __future__ import annotations

import json

from conftest import Project


def test_field_pattern_matching_nothing_is_a_problem(project: Project) -> None:
    project.method("train", 'options = {"a": 1}\n\ndef synthesis(options):\n'
                            '    return {"auc": {"test": options.a / 10}, "rows": 5}\n')
    project.script('def main(urd):\n    for a in (1, 2):\n        urd.build("train", a=a)\n')
    project.acbuild("run", "-j", "1")  # one at a time: the rows come in the order built
    doc = json.loads(project.acbuild("compare", "train", "--field", "zz*", "--field", "auc.*",
                                     "--json").stdout)
    assert doc["fields"] == ["auc.test"]
    assert doc["problems"] == ["--field 'zz*' matches no field (the fields: auc.test, rows)"]
    assert [r["auc.test"] for r in doc["rows"]] == [0.1, 0.2]
    text = project.acbuild("compare", "train", "--field", "zz*").stdout
    assert "--field 'zz*' matches no field" in text
