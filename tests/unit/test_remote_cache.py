"""Push and fetch through obstore's memory store: no server, no network.

A fetched job is published whole and indexed; a push cut off at any point leaves no
manifest whose blobs are not all there; what a reader cannot trust or verify is a
warning, and nothing of it is published."""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any, NamedTuple

import pytest

pytest.importorskip("obstore")

from obstore.store import LocalStore, MemoryStore  # noqa: E402
from remote_jobs import make_job  # noqa: E402

from acbuild.config import RemoteConfig  # noqa: E402
from acbuild.errors import RemoteError  # noqa: E402
from acbuild.remote import keys  # noqa: E402
from acbuild.remote.bucket import BLOBS, JOBS, Bucket, blob_key, hash_of, manifest_key  # noqa: E402
from acbuild.remote.cache import RemoteCache  # noqa: E402
from acbuild.remote.manifest import decode  # noqa: E402
from acbuild.store import JobStore  # noqa: E402
from acbuild.verify import verify_job  # noqa: E402


class Want(NamedTuple):
    hash: str
    id: str


@pytest.fixture
def signer(tmp_path: Path) -> tuple[Path, keys.Trust]:
    secret, public = keys.generate("ci-1", tmp_path / "keys")
    return secret, keys.load_trust([("ci-1", str(public))], tmp_path, unsigned=False)


@pytest.fixture
def bucket() -> Bucket:
    return Bucket(MemoryStore(), "memory://test")


def cache_for(bucket: Bucket, signer: tuple[Path, keys.Trust]) -> RemoteCache:
    return RemoteCache(bucket, signer[1], signer[0], threads=4)


def pushed_job(tmp_path: Path, bucket: Bucket, signer: tuple[Path, keys.Trust],
               salt: str = "") -> Path:
    job = make_job(tmp_path / "pusher", salt=salt)
    [result] = cache_for(bucket, signer).push([job])
    assert result.state == "pushed"
    return job


def test_a_pushed_job_is_fetched_whole_verified_and_indexed(
        tmp_path: Path, bucket: Bucket, signer: tuple[Path, keys.Trust]) -> None:
    job = pushed_job(tmp_path, bucket, signer)
    store = JobStore(tmp_path / "reader")
    try:
        cache = cache_for(bucket, signer)
        want = Want(decode(bucket.get(manifest_key(_hash(job))) or b"", _hash(job), "x")[0].hash,
                    job.name)
        fetched = cache.fetch([want], store)
        assert fetched == {want.hash: store.target.job_dir(job.name)}
        assert cache.warnings == []
        path = fetched[want.hash]
        assert _tree(path) == _tree(job)
        assert (path / "out" / "data.bin").stat().st_mode & 0o777 == 0o640
        assert verify_job(path).intact
        assert store.find([want.hash])[want.hash].id == job.name
        assert not list((store.target.path / ".tmp").glob(f"{job.name}*"))
        # Asked again: the target has it, nothing is fetched.
        assert cache.fetch([want], store) == {}
    finally:
        store.close()


def test_pushing_again_or_from_a_second_machine_leaves_the_manifest_as_it_was(
        tmp_path: Path, bucket: Bucket, signer: tuple[Path, keys.Trust]) -> None:
    job = pushed_job(tmp_path, bucket, signer)
    before = bucket.get(manifest_key(_hash(job)))
    assert [p.state for p in cache_for(bucket, signer).push([job])] == ["present"]
    results: list[Any] = []
    twins = [make_job(tmp_path / f"twin{i}") for i in range(4)]  # the same job, elsewhere
    threads = [threading.Thread(target=lambda j=j: results.extend(
        cache_for(bucket, signer).push([j]))) for j in twins]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [r.state for r in results] == ["present"] * 4
    assert bucket.get(manifest_key(_hash(job))) == before


class Flaky(Bucket):
    """A bucket whose writes stop working after ``budget`` of them (a push cut off)."""

    def __init__(self, inner: Bucket, budget: int):
        super().__init__(inner.store, inner.where)
        self.budget = budget

    def _spend(self) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise RemoteError("connection lost")

    def put(self, key: str, content: Any) -> None:
        self._spend()
        super().put(key, content)

    def create(self, key: str, content: bytes) -> bool:
        self._spend()
        return super().create(key, content)


def test_a_push_cut_off_anywhere_never_shows_a_manifest_without_its_blobs(
        tmp_path: Path, bucket: Bucket, signer: tuple[Path, keys.Trust]) -> None:
    rng = random.Random(14)
    jobs = [make_job(tmp_path / "pusher", salt=str(i), payload=bytes([i]) * 50)
            for i in range(5)]
    whole = Flaky(Bucket(MemoryStore(), "memory://whole"), 10_000)
    RemoteCache(whole, signer[1], signer[0], threads=1).push(jobs)
    writes = 10_000 - whole.budget  # what a whole push writes: blobs, then manifests
    for budget in [*range(8), *(rng.randrange(writes) for _ in range(12))]:
        store = Bucket(MemoryStore(), "memory://cut")
        with pytest.raises(RemoteError):
            RemoteCache(Flaky(store, budget), signer[1], signer[0], threads=1).push(jobs)
        _assert_complete(store)
        # The next push, uncut, completes what the first began.
        cache_for(store, signer).push(jobs)
        _assert_complete(store)
        assert len(_keys(store, JOBS)) == len(jobs)


def _assert_complete(bucket: Bucket) -> None:
    blobs = set(_keys(bucket, BLOBS))
    for key in _keys(bucket, JOBS):
        job_hash = hash_of(key)
        assert job_hash is not None
        manifest = decode(bucket.get(key) or b"", job_hash, key)[0]
        assert {blob_key(f.blake3) for f in manifest.files} <= blobs


def test_a_tampered_or_missing_blob_is_a_warning_and_nothing_is_published(
        tmp_path: Path, bucket: Bucket, signer: tuple[Path, keys.Trust]) -> None:
    changed = pushed_job(tmp_path, bucket, signer, salt="a")
    missing = pushed_job(tmp_path, bucket, signer, salt="b")
    data = (changed / "out" / "data.bin").read_bytes()
    from acbuild.hashing import hash_file

    bucket.put(blob_key(hash_file(changed / "out" / "data.bin")), data.replace(b"rows", b"ROWS"))
    bucket.delete(blob_key(hash_file(missing / "out" / "data.bin")))
    store = JobStore(tmp_path / "reader")
    try:
        cache = cache_for(bucket, signer)
        fetched = cache.fetch([Want(_hash(changed), changed.name),
                               Want(_hash(missing), missing.name)], store)
        assert fetched == {}
        assert sorted(w.split(" ")[0] for w in cache.warnings) == sorted(
            [changed.name, missing.name])
        assert any("not what the manifest signed" in w for w in cache.warnings)
        assert any("is missing" in w for w in cache.warnings)
        assert store.find([_hash(changed), _hash(missing)]) == {}
        assert [p.name for p in (store.target.path / ".tmp").iterdir() if p.is_dir()] == []
        assert not store.target.job_dir(changed.name).exists()
    finally:
        store.close()


def test_a_manifest_signed_by_an_unknown_key_is_refused_naming_it(
        tmp_path: Path, bucket: Bucket, signer: tuple[Path, keys.Trust]) -> None:
    stranger, _ = keys.generate("stranger-7", tmp_path / "other")
    job = make_job(tmp_path / "pusher")
    RemoteCache(bucket, signer[1], stranger).push([job])
    store = JobStore(tmp_path / "reader")
    try:
        cache = cache_for(bucket, signer)
        assert cache.fetch([Want(_hash(job), job.name)], store) == {}
        [warning] = cache.warnings
        assert "'stranger-7'" in warning and job.name in warning
        assert not store.target.job_dir(job.name).exists()
        # With trust_unsigned (unsafe), the same job is fetched.
        unsafe = RemoteCache(bucket, keys.Trust(signer[1].keys, unsigned=True), None)
        assert list(unsafe.fetch([Want(_hash(job), job.name)], store)) == [_hash(job)]
    finally:
        store.close()


def _vanished_directory(tmp_path: Path) -> Bucket:
    gone = tmp_path / "gone"
    gone.mkdir()
    bucket = Bucket(LocalStore(gone), f"file://{gone}")
    gone.rmdir()
    return bucket


def _refused_port(tmp_path: Path) -> Bucket:
    config = RemoteConfig("s3://acbuild-test/x", "http://127.0.0.1:9", True, "manual", None, (),
                          False)
    return Bucket.open(config)


@pytest.mark.parametrize("make", [_vanished_directory, _refused_port])
def test_an_unreachable_remote_is_one_warning(tmp_path: Path, signer: tuple[Path, keys.Trust],
                                              make: Any) -> None:
    bucket = make(tmp_path)
    store = JobStore(tmp_path / "reader")
    try:
        cache = cache_for(bucket, signer)
        wants = [Want(f"{i:064x}", f"m-{i:012x}") for i in range(3)]
        assert cache.fetch(wants, store) == {}
        assert cache.available([w.hash for w in wants]) == set()
        assert len(cache.warnings) == 1 and "without the remote cache" in cache.warnings[0]
        with pytest.raises(RemoteError):
            cache.check()
    finally:
        store.close()


class Counting(Bucket):
    def __init__(self, inner: Bucket):
        super().__init__(inner.store, inner.where)
        self.requests = 0

    def exists(self, key: str) -> bool:
        self.requests += 1
        return super().exists(key)

    def pages(self, prefix: str) -> Any:
        for page in super().pages(prefix):
            self.requests += 1
            yield page


def test_what_the_remote_has_takes_one_listing_or_a_lookup_each(
        tmp_path: Path, bucket: Bucket, signer: tuple[Path, keys.Trust]) -> None:
    jobs = [pushed_job(tmp_path, bucket, signer, salt=str(i)) for i in range(3)]
    hashes = [_hash(j) for j in jobs] + ["f" * 64]
    counting = Counting(bucket)
    cache = RemoteCache(counting, signer[1])
    cache.check()
    assert cache.available(hashes) == set(hashes[:3])
    assert counting.requests == 1  # one page lists every manifest
    counting.requests = 0
    assert cache.available(hashes[:1]) == set(hashes[:1])
    assert counting.requests == 1  # one lookup


def _hash(job: Path) -> str:
    import json

    return str(json.loads((job / "setup.json").read_text())["hash"])


def _keys(bucket: Bucket, prefix: str) -> list[str]:
    return [e.key for page in bucket.pages(prefix) for e in page]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}
