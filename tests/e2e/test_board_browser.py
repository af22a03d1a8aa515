"""`acbuild board` for real: the command serves on 127.0.0.1, headless Chromium (the
system's, driven by Playwright; never a downloaded browser) follows links from the runs
page to a job, its input, its source and a file, and takes a screenshot."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from board_helpers import WAIT

from conftest import stop

pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SRC = Path(__file__).resolve().parents[2] / "src"
MAKE = '''
"""Make numbers and write them to a file."""
options = {"n": 3}


def synthesis(job, options):
    with job.open("numbers.txt", "w") as f:
        f.write(" ".join(str(i) for i in range(options.n)))
    return list(range(options.n))
'''
TOTAL = '''
"""Sum what make made."""
jobs = ("source",)


def synthesis(jobs):
    return sum(jobs.source.load())
'''
SCRIPT = '''
def main(urd):
    urd.build("total", source=urd.build("make", n=4))
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(project: Any) -> Iterator[tuple[Any, str]]:
    """The project built, and `acbuild board` serving it; stopped after the test."""
    project.method("make", MAKE)
    project.method("total", TOTAL)
    project.script(SCRIPT)
    project.run_json()
    yield from serve(project)


def serve(project: Any) -> Iterator[tuple[Any, str]]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    server = subprocess.Popen([sys.executable, "-m", "acbuild", "board", "--port", str(port)],
                              cwd=project.root, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail(f"the board did not start: {server.communicate()[1]}")
                time.sleep(0.1)
        yield project, f"http://127.0.0.1:{port}"
    finally:
        stop(server, timeout=10)


NO_CHROMIUM = ("no system Chromium: install it (Debian: apt-get install chromium) to run "
               "the board's browser tests")


def launch(p: Any) -> Any:
    return p.chromium.launch(executable_path=CHROMIUM, headless=True,
                             args=["--no-sandbox", "--disable-gpu",
                                   "--disable-background-networking"])


@pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
def test_a_browser_follows_the_board_from_runs_to_a_file(served: tuple[Any, str],
                                                         tmp_path: Path) -> None:
    project, url = served
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 900})
            page.goto(url + "/")
            assert "Runs" in page.title()
            page.click("text=1 >> nth=0")  # the run
            page.wait_for_url("**/run/1")
            page.click("a:text-matches('^total-')")
            page.wait_for_url("**/job/total-*")
            page.screenshot(path=str(tmp_path / "job.png"), full_page=True)
            page.click("a:text-matches('^make-')")  # its input
            page.wait_for_url("**/job/make-*")
            make_url = page.url
            page.click("text=methods/make.py")  # its source
            page.wait_for_url("**/source/methods/make.py")
            assert page.locator("span.k", has_text="def").count() >= 1
            page.goto(make_url)
            page.click("text=numbers.txt")  # a file
            page.wait_for_url("**/file/numbers.txt")
            assert page.inner_text("body").strip() == "0 1 2 3"
        finally:
            browser.close()
    shot = (tmp_path / "job.png").read_bytes()
    assert shot.startswith(b"\x89PNG") and len(shot) > 5000


@pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
def test_the_runs_page_follows_a_run_live_in_a_browser(project: Any, tmp_path: Path) -> None:
    release = tmp_path / "release"
    project.method("wait", WAIT)
    project.script(f'def main(urd):\n    urd.build("wait", release={str(release)!r})\n')
    env = {**os.environ, "PYTHONPATH": str(SRC), "ACBUILD_PLAIN": "1"}
    run = subprocess.Popen([sys.executable, "-m", "acbuild", "run"], cwd=project.root,
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    board = serve(project)
    try:
        _, url = next(board)
        with sync_api.sync_playwright() as p:
            browser = launch(p)
            try:
                page = browser.new_page()
                deadline = time.monotonic() + 30
                while "wait-" not in page.goto(url + "/").text():
                    assert time.monotonic() < deadline, "the run never showed as going on"
                    time.sleep(0.2)
                first = page.inner_html("#live")
                # the box changes in place (the elapsed time), by the events, not a reload
                page.evaluate("window.stayed = true")
                page.wait_for_function("document.getElementById('live').innerHTML !== "
                                       + json.dumps(first), timeout=20000)
                assert page.evaluate("window.stayed") is True
                release.write_text("")
                page.wait_for_selector("#live", state="detached", timeout=30000)
                assert "ok" in page.inner_text("table")  # reloaded: the run is over
            finally:
                browser.close()
        assert run.wait(timeout=60) == 0
    finally:
        release.write_text("")
        if run.poll() is None:
            run.kill()
        run.wait()
        board.close()  # stops the server
