"""Remote gc: manifests outside the keep-rules go (a kept job's inputs stay), then the blobs
no kept manifest names, once past the grace period."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

pytest.importorskip("obstore")

from obstore.store import MemoryStore  # noqa: E402
from remote_jobs import make_job  # noqa: E402

from acbuild.remote import keys  # noqa: E402
from acbuild.remote.bucket import BLOBS, JOBS, Bucket, manifest_key  # noqa: E402
from acbuild.remote.cache import RemoteCache  # noqa: E402
from acbuild.remote.gc import collect  # noqa: E402


def _hash(job: Path) -> str:
    return str(json.loads((job / "setup.json").read_text())["hash"])


def _count(bucket: Bucket, prefix: str) -> int:
    return sum(len(page) for page in bucket.pages(prefix))


def test_gc_keeps_recent_jobs_and_their_inputs_and_young_blobs(tmp_path: Path) -> None:
    secret, public = keys.generate("ci", tmp_path / "keys")
    cache = RemoteCache(Bucket(MemoryStore(), "memory://gc"), keys.load_trust(
        [("ci", str(public))], tmp_path, False), secret)
    bucket = cache.bucket
    old_input = make_job(tmp_path / "w", "ingest", salt="in", payload=b"input data")
    old_alone = make_job(tmp_path / "w", "ingest", salt="alone", payload=b"alone data")
    cache.push([old_input, old_alone])
    time.sleep(0.05)
    cutoff = time.time()
    time.sleep(0.05)
    recent = make_job(tmp_path / "w", "clean", salt="new", inputs={"raw": _hash(old_input)},
                      payload=b"recent data")
    cache.push([recent])
    keep_newer = time.time() - cutoff

    dry = collect(bucket, keep_newer, grace=0, dry_run=True)
    assert dry.removed == [old_alone.name] and sorted(dry.kept) == sorted(
        [old_input.name, recent.name])
    # --keep-lists: a job a result list names is kept, whatever its age
    listed = collect(bucket, keep_newer, grace=0, dry_run=True,
                     keep=frozenset([_hash(old_alone)]))
    assert listed.removed == [] and old_alone.name in listed.kept
    assert _count(bucket, JOBS) == 3  # a dry run deletes nothing

    young = collect(bucket, keep_newer, grace=3600)
    assert young.removed == [old_alone.name] and young.blobs_removed == 0
    # alone's own files (its data, setup.json, post.json): unreferenced now, but young
    assert young.blobs_young == 3
    assert bucket.get(manifest_key(_hash(old_alone))) is None

    blobs_before = _count(bucket, BLOBS)
    report = collect(bucket, keep_newer, grace=0)
    assert report.removed == [] and report.blobs_removed == 3
    assert _count(bucket, BLOBS) == blobs_before - 3
    # What is kept is still whole: a fresh reader fetches it.
    from acbuild.store import JobStore

    store = JobStore(tmp_path / "reader")
    try:
        want = [type("W", (), {"hash": _hash(j), "id": j.name})() for j in (old_input, recent)]
        assert len(cache.fetch(want, store)) == 2 and cache.warnings == []
    finally:
        store.close()
