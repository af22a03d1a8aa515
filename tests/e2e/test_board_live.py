"""A run going on, as the board shows it: the runs page names the run and the job running
now, and polls until the run ends (nothing from the run but what it writes anyway)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from board_helpers import WAIT, board_client  # noqa: E402

SRC = Path(__file__).resolve().parents[2] / "src"
FIRST = '''
"""Done at once."""


def synthesis():
    return 1
'''


def until(check: Callable[[], Any], seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds}s")


def test_the_runs_page_follows_a_run_going_on(project: Any, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    release = tmp_path / "release"
    project.method("wait", WAIT)
    project.method("first", FIRST)
    project.script(f'def main(urd):\n    urd.build("first")\n'
                   f'    urd.build("wait", release={str(release)!r})\n')
    env = {**os.environ, "PYTHONPATH": str(SRC), "ACBUILD_PLAIN": "1"}
    run = subprocess.Popen([sys.executable, "-m", "acbuild", "run", "-j", "1"],
                           cwd=project.root, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        with board_client(project, monkeypatch) as client:
            def running() -> list[str]:
                live = client.get("/live").json()["live"] or {"running": []}
                return [j["id"].split("-")[0] for j in live["running"]]

            assert until(lambda: running() == ["wait"])  # "first" finished, "wait" waits
            # A finished job's index row is written in a batch, within a quarter second.
            assert until(lambda: "first-" in client.get("/").text)
            page = client.get("/").text
            assert "is going on" in page and 'http-equiv="refresh"' in page
            assert "wait-" in page and "first-" in page  # running, and finished so far
            runs = client.get("/?format=json").json()["runs"]
            assert runs[0]["status"] == "running"
            release.write_text("")
            assert run.wait(timeout=60) == 0
            assert client.get("/live").json() == {"live": None}
            page = client.get("/").text
            assert "is going on" not in page and 'http-equiv="refresh"' not in page
    finally:
        release.write_text("")
        if run.poll() is None:
            run.kill()
        run.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def events(url: str) -> Iterator[dict[str, Any]]:
    """The server-sent events of ``url``, each decoded, until the stream ends."""
    with urllib.request.urlopen(url, timeout=30) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream:
            if line.startswith(b"data: "):
                yield json.loads(line[6:])


def test_server_sent_events_follow_a_run_until_it_ends(project: Any, tmp_path: Path) -> None:
    release = tmp_path / "release"
    project.method("wait", WAIT)
    project.script(f'def main(urd):\n    urd.build("wait", release={str(release)!r})\n')
    env = {**os.environ, "PYTHONPATH": str(SRC), "ACBUILD_PLAIN": "1"}
    port = free_port()
    board = subprocess.Popen([sys.executable, "-m", "acbuild", "board", "--port", str(port)],
                             cwd=project.root, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    run = subprocess.Popen([sys.executable, "-m", "acbuild", "run"], cwd=project.root,
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"

        def going() -> bool:
            try:
                with urllib.request.urlopen(base + "/live", timeout=5) as answer:
                    live = json.loads(answer.read())["live"]
            except OSError:
                return False
            return bool(live and live["running"])

        until(going)
        seen = []
        for event in events(base + "/events"):  # one a second at most, while it runs
            seen.append(event)
            if len(seen) == 2:
                release.write_text("")
            assert len(seen) < 100
        assert seen[0]["live"]["running"][0]["id"].startswith("wait-")
        assert "wait-" in seen[0]["html"] and "is going on" in seen[0]["html"]
        assert seen[-1] == {"live": None}  # the run ended, and so did the stream
        assert run.wait(timeout=60) == 0
    finally:
        release.write_text("")
        for process in (run, board):
            if process.poll() is None:
                process.terminate()
            process.wait(timeout=30)
