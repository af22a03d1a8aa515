"""The board's result-list pages: /urd, /urd/LIST (newest first, ghosts only with
?ghosts=1, marked), /urd/LIST/TS (its jobs and the entries it read as links); each
?format=json is the document `acbuild urd ... --json` prints."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from board_helpers import board_client  # noqa: E402

DAILY = """
import datetime

def main(urd):
    for day in (1, 2, 3):
        ts = datetime.date(2024, 1, day)
        urd.begin("sales/daily", ts, caption=f"day {day}")
        data = urd.build("ingest", day=str(ts), bonus=BONUS)
        urd.build("report", data=data)
        urd.finish("sales/daily", update=True)
"""
SUMMARY = """
def main(urd):
    urd.begin("sales/summary", 1)
    latest = urd.latest("sales/daily")
    urd.build("report", data=latest.joblist.ingest, name="summary")
    urd.finish("sales/summary")
"""


@pytest.fixture
def listed(project: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    project.method("ingest", '''
        options = {"day": "", "bonus": 0}

        def synthesis(options):
            return {"sales": int(options.day[-2:]) * 10 + options.bonus}
    ''')
    project.method("report", '''
        jobs = ("data",)

        def synthesis(jobs):
            return jobs.data.load()["sales"]
    ''')
    project.script(DAILY.replace("BONUS", "0"))
    project.script(SUMMARY, name="build_summary.py")
    project.acbuild("run")
    project.acbuild("run", "build_summary.py")
    with board_client(project, monkeypatch) as client:
        yield project, client


def cli_json(project: Any, *args: str) -> Any:
    return json.loads(project.acbuild("urd", *args, "--json").stdout)


def test_each_list_page_and_its_twin(listed: Any) -> None:
    project, client = listed
    twins = {"/urd": (), "/urd/sales/daily": ("sales/daily",),
             "/urd/sales/daily/2024-01-02": ("sales/daily/2024-01-02",),
             "/urd/sales/summary/1": ("sales/summary/1",),
             "/urd/sales/daily?ghosts=1": ("sales/daily", "--ghosts")}
    for url, args in twins.items():
        page = client.get(url)
        assert page.status_code == 200, url
        assert page.headers["content-type"].startswith("text/html")
        sep = "&" if "?" in url else "?"
        assert client.get(url + sep + "format=json").json() == cli_json(project, *args), url
    lists = client.get("/urd").text
    assert 'href="/urd/sales/daily"' in lists and 'href="/urd/sales/summary"' in lists
    assert 'href="/urd"' in client.get("/").text  # in the navigation
    daily = client.get("/urd/sales/daily").text
    stamps = [f'href="/urd/sales/daily/2024-01-0{d}"' for d in (3, 2, 1)]
    assert all(s in daily for s in stamps)
    assert [daily.index(s) for s in stamps] == sorted(daily.index(s) for s in stamps)  # newest first
    entry = cli_json(project, "sales/daily/2024-01-02")["entry"]
    page = client.get("/urd/sales/daily/2024-01-02").text
    for job in entry["jobs"]:
        assert f'href="/job/{job["id"]}"' in page and f"<td>{job['name']}</td>" in page
    assert client.get(f"/job/{entry['jobs'][0]['id']}").status_code == 200
    summary = client.get("/urd/sales/summary/1").text
    assert 'href="/urd/sales/daily/2024-01-03"' in summary  # the entry it read
    assert client.get("/urd/sales/nothing").status_code == 404
    assert client.get("/urd/sales/daily/2031-01-01?format=json").json()["error"]


def test_ghosts_are_hidden_unless_asked_and_marked(listed: Any) -> None:
    project, client = listed
    project.script(DAILY.replace("BONUS", "1"))  # every entry updated: the old ones ghosts
    project.acbuild("run")
    shown = client.get("/urd/sales/daily?format=json").json()
    assert len(shown["entries"]) == 3 and not any(e["ghost"] for e in shown["entries"])
    assert "ghost:" not in client.get("/urd/sales/daily").text
    with_ghosts = client.get("/urd/sales/daily?ghosts=1&format=json").json()
    assert with_ghosts == cli_json(project, "sales/daily", "--ghosts")
    ghosts = [e for e in with_ghosts["entries"] if e["ghost"]]
    assert len(ghosts) == 3
    page = client.get("/urd/sales/daily?ghosts=1").text
    assert page.count("ghost: replaced") == 3
    for ghost in ghosts:  # a ghost's jobs are still links
        assert f'href="/job/{ghost["jobs"][0]["id"]}"' in page
    # the summary read the replaced 2024-01-03: a ghost too, shown only when asked
    assert client.get("/urd/sales/summary?format=json").json()["entries"] == []
    assert "ghost: read an entry" in client.get("/urd/sales/summary?ghosts=1").text
    assert client.get("/urd?format=json").json() == cli_json(project)
    assert 'href="/urd/sales/summary"' not in client.get("/urd").text  # ghosts only
    assert 'href="/urd/sales/summary"' in client.get("/urd?ghosts=1").text
    assert client.get("/urd?ghosts=1&format=json").json() == cli_json(project, "--ghosts")


def test_timestamps_with_a_tie_breaker_and_a_time_are_links(
        project: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    project.method("one", 'options = {"n": 0}\n\ndef synthesis(options):\n    return options.n\n')
    project.script('''
    def main(urd):
        for n, ts in enumerate(("2024-01-01T06:30:00", "2024-01-01T06:30:00+1")):
            urd.begin("runs", ts)
            urd.build("one", n=n)
            urd.finish("runs")
    ''')
    project.acbuild("run")
    with board_client(project, monkeypatch) as client:
        page = client.get("/urd/runs").text
        for ts in ("2024-01-01T06:30:00", "2024-01-01T06:30:00+1"):
            href = f"/urd/runs/{quote(ts, safe='')}"
            assert f'href="{href}"' in page, ts
            assert client.get(href + "?format=json").json() == cli_json(project, f"runs/{ts}")
