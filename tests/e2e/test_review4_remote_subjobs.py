"""A parent fetched from the remote cache stays current only while its subjobs would be the
same jobs — as a parent built here does.

Here, a parent is stale once a subjob it recorded would be a different job (its method's
code changed) or its directory is gone: the database keeps each parent's subjobs. A
parent fetched from the remote came without its subjobs and without that record, so it
was current forever: after an edit to the subjobs' method, the checkout that fetched it
went on reusing the parent's old result (the best fit of the old code), where the
checkout that built it rebuilt it. The promise: a fetched parent is recorded with its
subjobs when they are here, and is otherwise not fetched (built here, warning), so that
an edit to a subjob's method re-runs the parent in every checkout.

The real command against moto's S3 server (the fixtures of test_remote.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("obstore")
pytest.importorskip("cryptography")
pytest.importorskip("moto.server")

from sweep_project import FIT, SCRIPT, SWEEP, best  # noqa: E402
from test_remote import (  # noqa: E402,F401  (s3 and keys are fixtures)
    acbuild,
    checkout,
    keys,
    s3,
)


def test_a_fetched_parent_goes_stale_when_its_subjobs_method_changes(
        tmp_path: Path, s3: str, keys: Path) -> None:  # noqa: F811
    first = checkout(tmp_path / "first", s3, keys, "subjobs", script=SCRIPT)
    first.method("fit", FIT % "0.3")
    first.method("sweep", SWEEP)
    assert best(acbuild(first, "run")) == 0.0
    acbuild(first, "push")  # the script's job: the parent

    second = checkout(tmp_path / "second", s3, keys, "subjobs", sign=None, script=SCRIPT)
    second.method("fit", FIT % "0.3")
    second.method("sweep", SWEEP)
    assert best(acbuild(second, "run")) == 0.0
    # An edit to the subjobs' method: the best fit is another one now (loss 0.04).
    second.method("fit", FIT % "0.7")
    run = acbuild(second, "run", "--json")
    states = {j["method"]: j["state"] for j in json.loads(run.stdout)["jobs"]}
    assert states["sweep"] == "built", run.stdout
    assert best(run) == pytest.approx(0.04)
    again = acbuild(second, "run")
    assert best(again) == pytest.approx(0.04)
