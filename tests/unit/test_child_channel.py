"""child.channel through the real launcher: a job's subjobs.build reaches the parent as a
request, and the parent's reply reaches the job (acbuild.runner's side of it too)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from test_runner import ENV, make_job, wait_for

from acbuild.runner import Launcher

ASKER = """
from acbuild import subjobs
def synthesis(job):
    handle = subjobs.build("leaf", x=3, name="three")
    try:
        subjobs.build("leaf", x=4)
    except Exception as e:
        refused = f"{type(e).__name__}: {e}"
    return {"id": handle.id, "path": str(handle.path), "refused": refused}
"""


def test_a_request_comes_out_and_the_reply_goes_in(tmp_path: Path) -> None:
    job_dir = make_job(tmp_path, "asker", ASKER)
    with Launcher(ENV) as launcher:
        launcher.start(3, job_dir, 1)
        requests = []
        deadline = time.monotonic() + 30
        while not requests and time.monotonic() < deadline:
            assert launcher.wait(deadline - time.monotonic()) == []
            requests = launcher.requests()
        [first] = requests
        assert first.token == 3
        assert first.request["method"] == "leaf" and first.request["name"] == "three"
        assert first.request["params"] == {"x": {"value": 3}}
        launcher.reply(3, {"ok": True, "id": "leaf-1", "path": "/somewhere/leaf-1",
                           "state": "built"})
        while not (second := launcher.requests()):
            assert launcher.wait(30) == []
        launcher.reply(3, {"ok": False, "message": "no, thank you"})
        [exited] = wait_for(launcher, 1)
    assert exited.status == 0
    post = json.loads((job_dir / "post.json").read_text())
    assert post["subjobs"] == {"leaf-1": "built"}
    assert second[0].request["params"] == {"x": {"value": 4}}
    import pickle
    result = pickle.loads((job_dir / "result.pickle").read_bytes())
    assert result == {"id": "leaf-1", "path": "/somewhere/leaf-1",
                      "refused": "SubjobError: no, thank you"}
