"""`acbuild board`'s pages through Starlette's test client, on a project the real `acbuild`
built: every page answers as HTML and, with ?format=json, as exactly the document the
matching `--json` command prints; files stay inside their job directory; a result is
unpickled only when asked."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from board_helpers import board_client, cli_json, replace_result  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from acbuild.config import load_project  # noqa: E402

MAKE = '''
"""Make numbers and write them to a file."""
options = {"n": 3}


def synthesis(job, options):
    # numbers, one file
    with job.open("numbers.txt", "w") as f:
        f.write(" ".join(str(i) for i in range(options.n)))
    print("made", options.n)
    return list(range(options.n))
'''
TOTAL = '''
"""Sum what make made."""
jobs = ("source",)


def analysis(sliceno):
    print("slice", sliceno)


def synthesis(jobs):
    return sum(jobs.source.load())
'''
SCRIPT = '''
def main(urd):
    a = urd.build("make", n=N)
    urd.build("total", source=a)
'''


@pytest.fixture
def board(project: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, TestClient]:
    project.method("make", MAKE)
    project.method("total", TOTAL)
    project.script(SCRIPT.replace("N", "4"))
    project.run_json()
    project.script(SCRIPT.replace("N", "5"))  # a second run: explain has something to say
    project.run_json()
    with board_client(project, monkeypatch) as client:
        yield project, client


def job_ids(project: Any) -> dict[str, str]:
    """method -> its newest job id."""
    return {j["method"]: j["id"] for j in project.run_json()["jobs"]}


def test_each_page_is_html_and_its_json_twin_is_the_commands(board: Any) -> None:
    project, client = board
    ids = job_ids(project)  # a no-op run: a third run in the history
    twins = {
        "/": ("log",),
        "/run/2": ("log", "2"),
        f"/job/{ids['total']}/explain": ("explain", ids["total"]),
        "/methods": ("methods",),
        "/graph": ("graph",),
    }
    for url, command in twins.items():
        page = client.get(url)
        assert page.status_code == 200, url
        assert page.headers["content-type"].startswith("text/html")
        twin = client.get(url + "?format=json")
        assert twin.status_code == 200, url
        assert twin.json() == cli_json(project, *command), url
    # show --json: the same document, but the result (a pickle) is left unloaded
    shown = cli_json(project, "show", ids["make"])
    board_job = client.get(f"/job/{ids['make']}?format=json").json()
    assert "result" not in board_job
    unloaded = ("result", "result_format")
    assert board_job == {k: v for k, v in shown.items() if k not in unloaded}
    loaded = client.get(f"/job/{ids['make']}?format=json&load=1").json()
    assert loaded["result"] == shown["result"] == [0, 1, 2, 3, 4]  # JSON data, not a repr
    # methods NAME --json, and the method's jobs with their options
    method = client.get("/method/make?format=json").json()
    assert method["methods"] == cli_json(project, "methods", "make")["methods"]
    assert [j["options"] for j in method["jobs"]] == [{"n": 5}, {"n": 4}]
    assert client.get("/method/make").status_code == 200


def test_the_job_page_links_inputs_dependents_source_files_and_log(board: Any) -> None:
    project, client = board
    ids = job_ids(project)
    total, make = ids["total"], ids["make"]
    page = client.get(f"/job/{total}").text
    assert f'href="/job/{make}"' in page  # its input
    assert f'href="/job/{total}/source/methods/total.py"' in page
    assert f'href="/job/{total}/log"' in page and f'href="/job/{total}/explain"' in page
    make_page = client.get(f"/job/{make}").text
    assert f'href="/job/{total}"' in make_page  # its dependent
    assert f'href="/job/{make}/file/numbers.txt"' in make_page
    assert "load result" in make_page and "runs code" in make_page  # the trust note
    source = client.get(f"/job/{make}/source/methods/make.py")
    assert '<span class="k">def</span> synthesis' in source.text
    assert '<span class="c"># numbers, one file</span>' in source.text
    twin = client.get(f"/job/{make}/source/methods/make.py?format=json").json()
    assert twin["source"] == (project.root / "methods" / "make.py").read_text()
    data = client.get(f"/job/{make}/file/numbers.txt")
    assert data.status_code == 200 and data.text == "0 1 2 3 4"
    assert data.headers["content-disposition"].startswith("inline")
    log = client.get(f"/job/{total}/log?format=json").json()
    parts = {p["part"]: p["stdout"] for p in log["parts"]}
    assert parts == {"analysis slice 0": "slice 0\n", "analysis slice 1": "slice 1\n"}
    assert "slice 1" in client.get(f"/job/{total}/log").text
    why = client.get(f"/job/{make}/explain").text
    assert "n" in why and "class=\"add\"" not in why  # options changed, the source did not
    run_page = client.get("/run/2").text
    assert f'href="/job/{make}"' in run_page and "option n" in run_page  # the reason


def test_files_outside_the_job_directory_are_refused(board: Any, tmp_path: Path) -> None:
    project, client = board
    make = job_ids(project)["make"]
    job_dir = project.workdir / make
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    (job_dir / "out").symlink_to(secret)
    (job_dir / "up").symlink_to(project.root)
    for name in ("%2e%2e/%2e%2e/acbuild.toml", "..%2f..%2facbuild.toml", "out",
                 "up/acbuild.toml", "%2Fetc%2Fpasswd", "sub/%2e%2e/%2e%2e/x", "nothing"):
        answer = client.get(f"/job/{make}/file/{name}")
        assert answer.status_code in (403, 404), name
        assert "private" not in answer.text and "methods =" not in answer.text
    for job in ("%2Ftmp", "%2e%2e", f"..%2F{make}", ".hidden"):
        assert client.get(f"/job/{job}").status_code == 404, job
    assert client.get("/job/nosuchjob?format=json").json()["error"]
    # a build script outside the project is never evaluated
    evil = tmp_path / "evil.py"
    evil.write_text(f"open({str(tmp_path / 'ran')!r}, 'w')\ndef main(urd): pass\n")
    for script in (str(evil), "../evil.py", "acbuild.toml"):
        assert client.get("/graph", params={"script": script}).status_code == 404
    assert not (tmp_path / "ran").exists()


class _Marks:
    """A pickle that, when loaded, leaves a file: what loading an untrusted result does."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self) -> Any:
        return (open, (self.path, "w"))


def test_a_result_is_unpickled_only_when_asked(board: Any, tmp_path: Path) -> None:
    project, client = board
    make = job_ids(project)["make"]
    marker = tmp_path / "unpickled"
    replace_result(project.workdir / make, pickle.dumps(_Marks(str(marker))))
    for url in ("/", f"/job/{make}", f"/job/{make}?format=json", "/run/1", "/graph",
                "/method/make", f"/job/{make}/explain", f"/job/{make}/log"):
        assert client.get(url).status_code == 200, url
        assert not marker.exists(), url
    client.get(f"/job/{make}?load=1")
    assert marker.exists()


def test_runs_are_paged_newest_first(project: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    project.method("make", MAKE)
    project.script(SCRIPT.replace("N", "1").replace('    urd.build("total", source=a)\n', ""))
    for _ in range(3):
        project.run_json()
    monkeypatch.chdir(project.root)
    from acbuild.board import app

    monkeypatch.setattr(app, "PER_PAGE", 2)
    with TestClient(app.create_app(load_project())) as client:
        first = client.get("/?format=json").json()["runs"]
        second = client.get("/?page=1&format=json").json()["runs"]
        assert [r["run"] for r in first] == [3, 2] and [r["run"] for r in second] == [1]
        assert 'href="/?page=1"' in client.get("/").text
        assert 'href="/?page=0"' in client.get("/?page=1").text
    assert os.path.isdir(project.workdir)


def test_a_failed_job_is_shown_with_its_error(project: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    project.method("boom", '''
    """Fails."""


    def synthesis():
        print("about to fail")
        raise ValueError("no good <b>")
    ''')
    project.script('def main(urd):\n    urd.build("boom")\n')
    report = project.run_json(check=1)
    failed = report["jobs"][0]
    with board_client(project, monkeypatch) as client:
        run = client.get("/run/1?format=json").json()
        assert run == cli_json(project, "log", "1")
        assert run["jobs"][0]["state"] == "failed" and run["jobs"][0]["path"]
        assert f'href="/job/{failed["id"]}"' in client.get("/run/1").text
        page = client.get(f"/job/{failed['id']}")
        assert page.status_code == 200
        assert "failed" in page.text and "no good &lt;b&gt;" in page.text
        assert "<b>\"" not in page.text
        twin = client.get(f"/job/{failed['id']}?format=json").json()
        assert twin["state"] == "failed" and "no good" in json.dumps(twin["error"])
        log = client.get(f"/job/{failed['id']}/log?format=json").json()
        assert {p["part"]: p["stdout"] for p in log["parts"]} == {"synthesis": "about to fail\n"}


def test_a_long_run_is_paged(board: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _, client = board
    from acbuild.board import app

    monkeypatch.setattr(app, "RUN_PAGE", 1)
    whole = client.get("/run/2?format=json").json()["jobs"]
    assert len(whole) == 2  # the JSON twin is the whole run, as `log 2 --json`
    first, second = client.get("/run/2").text, client.get("/run/2?page=1").text
    assert f'href="/job/{whole[0]["id"]}"' in first and whole[1]["id"] not in first
    assert f'href="/job/{whole[1]["id"]}"' in second and whole[0]["id"] not in second
    assert 'href="/run/2?page=1"' in first and 'href="/run/2?page=0"' in second


def test_why_a_job_was_built_shows_the_source_diff(project: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    project.method("make", MAKE)
    project.script(SCRIPT.replace("N", "2").replace('    urd.build("total", source=a)\n', ""))
    project.run_json()
    project.method("make", MAKE.replace("return list(range(options.n))",
                                        "return list(range(options.n + 1))  # one more"))
    new = project.run_json()["jobs"][0]["id"]
    with board_client(project, monkeypatch) as client:
        page = client.get(f"/job/{new}/explain").text
        assert '<span class="add">+    return list(range(options.n + 1))  # one more</span>' \
            in page
        assert '<span class="del">-    return list(range(options.n))</span>' in page
        assert "changed source files: methods/make.py" in page
        job_page = client.get(f"/job/{new}").text
        assert "code of make changed" in job_page  # why it was built, with the diff
        assert "Why it was built" in job_page and "+    return list(range(options.n + 1))" \
            in job_page
        assert client.get(f"/job/{new}/explain?format=json").json() == \
            cli_json(project, "explain", new)
