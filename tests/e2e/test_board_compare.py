"""The board's method page compares the method's jobs (`acbuild compare`): the options
and inputs that differ, and only after "load results" (behind the trust note) the
results' fields; its JSON twin is then `compare METHOD --json`."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from board_helpers import board_client, cli_json, replace_result  # noqa: E402

TRAIN = '''
"""Train with a rate."""
options = {"rate": 0.1, "seed": 1}


def synthesis(options):
    return {"auc": {"test": round(1 - options.rate, 3)}, "rate": options.rate}
'''
SWEEP = '''
def main(urd):
    for rate in (0.1, 0.2, 0.3):
        urd.build("train", rate=rate, name=f"rate {rate}")
'''


class _Marks:
    """A pickle that, when loaded, leaves a file: what loading an untrusted result does."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self) -> Any:
        return (open, (self.path, "w"))


@pytest.fixture
def swept(project: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    project.method("train", TRAIN)
    project.script(SWEEP)
    project.run_json()
    with board_client(project, monkeypatch) as client:
        yield project, client


def test_the_method_page_compares_its_jobs_once_results_are_loaded(swept: Any) -> None:
    project, client = swept
    compared = cli_json(project, "compare", "train")
    assert {r["auc.test"] for r in compared["rows"]} == {0.9, 0.8, 0.7}
    twin = client.get("/method/train?format=json&load=1").json()
    assert twin == compared
    by_auc = client.get("/method/train?format=json&load=1&sort=auc.test&desc=1").json()
    assert by_auc == cli_json(project, "compare", "train", "--sort", "auc.test", "-r")
    assert [r["auc.test"] for r in by_auc["rows"]] == [0.9, 0.8, 0.7]
    assert "no column 'nope'" in client.get("/method/train?format=json&load=1&sort=nope"
                                            ).json()["error"]
    # the twin without load stays `methods NAME --json` and the jobs' options
    plain = client.get("/method/train?format=json").json()
    assert plain["methods"] == cli_json(project, "methods", "train")["methods"]
    page = client.get("/method/train?load=1&sort=auc.test&desc=1").text
    assert "auc.test" in page and "0.9" in page and "rate 0.2" in page
    for row in compared["rows"]:
        assert f'href="/job/{row["job"]}"' in page
    assert page.index("0.9") < page.index("0.8") < page.index("0.7")  # sorted, largest first
    # a header sorts by its column; again, the other way
    assert 'href="/method/train?load=1&amp;sort=auc.test"' in page
    assert "load results" not in page


def test_without_the_click_no_result_is_unpickled(swept: Any, tmp_path: Path) -> None:
    project, client = swept
    compared = cli_json(project, "compare", "train")
    marker = tmp_path / "unpickled"
    one = compared["rows"][0]["job"]
    replace_result(project.workdir / one, pickle.dumps(_Marks(str(marker))))
    page = client.get("/method/train")
    assert page.status_code == 200 and not marker.exists()
    text = page.text
    assert "load results" in text and "runs code" in text  # the button, the trust note
    assert "rate" in text and "0.3" in text and "auc.test" not in text  # options only
    assert "seed" not in text.split("Its jobs compared")[1]  # the same in every job
    for row in compared["rows"]:
        assert f'href="/job/{row["job"]}"' in text
    assert client.get("/method/train?format=json").status_code == 200
    # a sort by a result's field waits for the results (and the button keeps it)
    waiting = client.get("/method/train?sort=auc.test&desc=1")
    assert waiting.status_code == 200 and "name='sort' value='auc.test'" in waiting.text
    assert not marker.exists()
    client.get("/method/train?load=1")
    assert marker.exists()


def test_a_method_without_jobs_says_so(project: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    project.method("train", TRAIN)
    with board_client(project, monkeypatch) as client:
        page = client.get("/method/train")
        assert page.status_code == 200 and "no finished job yet" in page.text
        assert client.get("/method/train?format=json&load=1").status_code == 404
