"""subjob_requests: the depth and cycle limits, the failure said once through parents;
db and store: the recorded subjobs and a parent's staleness from them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from acbuild import db as dbmod
from acbuild import subjobs
from acbuild.db import Database, JobRow, SubjobRow
from acbuild.errors import SubjobError
from acbuild.graph import make_spec
from acbuild.store import Found, JobStore
from acbuild.subjob_requests import MAX_DEPTH, Waiting, Waits


def spec(n: int):  # type: ignore[no-untyped-def]
    return make_spec("m", "0" * 64, {"n": n}, {}, None)


def test_five_levels_are_allowed_and_the_sixth_is_refused_naming_the_chain() -> None:
    waits = Waits()
    parent = spec(0)
    for level in range(1, MAX_DEPTH + 1):
        child = spec(level)
        assert waits.refusal(parent, child) is None
        waits.wait(child, Waiting(level, parent, 1))
        parent = child
    refused = waits.refusal(parent, spec(99))
    assert refused is not None and "at most 5 deep" in refused
    assert " > ".join(spec(i).id for i in range(MAX_DEPTH + 1)) in refused


def test_a_job_may_not_be_its_own_subjob() -> None:
    waits = Waits()
    top, child = spec(0), spec(1)
    waits.wait(child, Waiting(1, top, 1))
    refused = waits.refusal(child, top)
    assert refused is not None and "subjob of itself" in refused


def test_a_failure_through_several_parents_says_the_root_once() -> None:
    waits = Waits()
    a, b, c = spec(0), spec(1), spec(2)
    first = waits.failure(b, c, "ValueError: boom", "/kept/c")
    assert first == f"subjob {c.id} (method m) failed; its directory is kept at /kept/c: " \
                   "ValueError: boom"
    second = waits.failure(a, b, f"SubjobError: {first}", "/kept/b")
    assert second.endswith(": ValueError: boom") and second.count("failed") == 1


def test_build_outside_a_job_is_a_clear_error() -> None:
    with pytest.raises(SubjobError, match="only inside a job"):
        subjobs.build("m")


def test_the_database_records_subjobs_and_forgets_them_with_their_parent(tmp_path: Path
                                                                          ) -> None:
    rows = [SubjobRow("p" * 64, "s" * 64, "s-ssssssssssss", "s", "1" * 64)]
    with Database.open(tmp_path) as db:
        db.record_job(JobRow("p" * 64, "p-pppppppppppp", "p", "0" * 64, 1.0))
        db.record_subjobs(rows)
        assert db.subjobs() == {"p" * 64: rows}
        db.forget_jobs(["p" * 64])
        assert db.subjobs() == {}


def test_version_5_gains_the_subjobs_table(tmp_path: Path) -> None:
    with Database.open(tmp_path):
        pass
    conn = sqlite3.connect(tmp_path / dbmod.DB_NAME)
    conn.executescript("DROP TABLE subjobs; PRAGMA user_version = 5;")
    conn.close()
    with Database.open(tmp_path) as db:
        assert db.subjobs() == {}
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == 7


def test_the_store_says_which_parents_a_changed_subjob_makes_stale(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "wd")
    store.record_subjobs([SubjobRow("p1", "s1", "a-1", "a", "code-a"),
                          SubjobRow("p2", "s2", "b-2", "b", "code-b"),
                          SubjobRow("s2", "s3", "a-3", "a", "code-a")])
    today = {"a": "code-a", "b": "code-b"}
    parents = {h: Found(h, f"m-{h}", "m", f"{tmp_path}/wd/m-{h}", 1.0, 1) for h in ("p1", "p2")}
    assert store.changed_subjobs(parents, today.get) == {
        "p1": "subjob a-1 was removed (its directory is gone)",
        "p2": "subjob b-2 was removed (its directory is gone)"}
    store.close()
    store = JobStore(tmp_path / "wd")  # a new listing: the subjobs' directories are there
    for job_id in ("a-1", "b-2", "a-3"):
        (tmp_path / "wd" / job_id).mkdir()
    assert store.changed_subjobs(parents, today.get) == {}
    # a subjob published after its parent (rebuilt in place since): the parent is stale
    store.target_db().record_job(JobRow("s1", "a-1", "a", "code-a", 0.5, built_seq=2))
    assert store.changed_subjobs(parents, today.get) == {
        "p1": "subjob a-1 was rebuilt after this job was built"}
    today["a"] = "new"
    changed = store.changed_subjobs(
        {**parents, "x": Found("x", "m-x", "m", f"{tmp_path}/wd/m-x", 1.0, 1)}, today.get)
    assert set(changed) == {"p1", "p2"}
    assert changed["p1"] == ("subjob a-1 would be a different job: the code of its method "
                             "'a' changed")
    assert changed["p2"].startswith("subjob b-2 would be built again (subjob a-3")
    del today["b"]
    assert "no longer exists" in store.changed_subjobs({"p2": parents["p2"]}, today.get)["p2"]
    store.close()
