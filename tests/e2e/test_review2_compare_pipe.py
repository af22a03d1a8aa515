"""``acbuild compare`` in a pipe prints every cell whole: the table (with this session's
"built" column) was fitted into the pipe's 80 columns and each cell cut to "wordcou…"."""

from __future__ import annotations

import re

from conftest import Project

METHOD = '''
options = {"n": 0}


def synthesis(options):
    return {f"field_number_{i}": options.n * i for i in range(12)}
'''


def test_a_wide_compare_in_a_pipe_keeps_ids_dates_and_fields_whole(project: Project) -> None:
    project.method("wide", METHOD)
    project.script("def main(urd):\n" + "".join(
        f"    urd.build('wide', n={n})\n" for n in (1, 2)))
    report = project.run_json()
    ids = sorted(j["id"] for j in report["jobs"])
    out = project.acbuild("compare", "wide", env={"COLUMNS": "80"}).stdout
    assert "…" not in out
    header, *rows, total = out.splitlines()
    assert header.split() == ["job", "name", "built", "n",
                              *(f"field_number_{i}" for i in range(12))]
    assert sorted(row.split()[0] for row in rows) == ids
    for row in rows:
        cells = row.split()
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", cells[2]) and re.fullmatch(r"[\d:]{8}", cells[3])
        n = int(cells[4])
        assert [int(c) for c in cells[5:]] == [n * i for i in range(12)]
        # a field is right-aligned under its header, as on a terminal
        assert len(row) == len(header)
    assert total == "2 job(s) of wide"
