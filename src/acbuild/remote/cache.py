"""The remote cache as a command uses it: which jobs it has, fetching them into the target
work directory in parallel, pushing finished jobs in parallel.

A fetched job is published exactly as a job built here: under its lock, after
a fresh look that it is still missing, by one rename of a complete staging
directory, then its index row. What cannot be fetched (an untrusted or bad
manifest, a missing or changed blob, a full disk) is a warning naming the job,
which is then built here. A remote that cannot be reached is one warning, and
nothing more is asked of it in this command: the run goes on locally. The
commands that exist to talk to it (``push``, ``pull``, ``remote …``) call
``check`` first and fail instead.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from acbuild.config import RemoteConfig
from acbuild.db import JobRow
from acbuild.errors import ConfigError, RemoteError, StorageError
from acbuild.joblocks import JobLock
from acbuild.jobrecords import read_setup
from acbuild.jobrow import row_from_directory, subjob_rows
from acbuild.remote import keys
from acbuild.remote.bucket import JOBS, PAGE, Bucket, hash_of, manifest_key
from acbuild.remote.fetch import FetchProblem, download, read_manifest
from acbuild.remote.manifest import BadManifest, Manifest
from acbuild.remote.push import Pushed, push_job
from acbuild.store import JobStore
from acbuild.workdir import Workdir

THREADS = 8  # requests in flight: a remote's latency, not our CPU, is what they wait on


class Wanted(Protocol):
    """A job to fetch: a ``JobSpec``, or anything with its hash and id."""

    @property
    def hash(self) -> str: ...
    @property
    def id(self) -> str: ...


class Fetched(NamedTuple):
    hash: str
    id: str
    path: Path
    seconds: float
    size: int
    pusher: dict[str, str]


class RemoteCache:
    """One remote, for one command. ``warnings``: what went wrong, for the command to say."""

    def __init__(self, bucket: Bucket, trust: keys.Trust, sign_key: Path | None = None,
                 threads: int = THREADS):
        self.bucket = bucket
        self.trust = trust
        self.sign_key_path = sign_key
        self.threads = threads
        self.warnings: list[str] = []
        self.refused: list[str] = []  # ids of jobs the remote has but could not be fetched
        self.down: str | None = None  # why the remote is not used any more in this command
        self._probed = False
        self._lock = threading.Lock()
        self._key: keys.SigningKey | None = None
        self._known_blobs: set[str] = set()
        self._pool: ThreadPoolExecutor | None = None
        self._pushes: list[Future[Pushed | None]] = []
        self._said = 0

    @classmethod
    def open(cls, config: RemoteConfig, root: Path) -> RemoteCache:
        """Opens nothing on the network: the first question asked of the remote does."""
        trust = keys.load_trust(config.trusted_keys, root, config.trust_unsigned)
        return cls(Bucket.open(config), trust, config.sign_key)

    def news(self) -> list[str]:
        """The warnings not returned by an earlier call: for a command to say each once."""
        said, self._said = self._said, len(self.warnings)
        return self.warnings[said:self._said]

    # -- reachability ----------------------------------------------------------------------
    def check(self) -> None:
        """Raise ``RemoteError`` unless the remote answers (for the commands that need it)."""
        self._probed = True
        self.bucket.probe()

    def _usable(self) -> bool:
        with self._lock:
            if self.down is not None:
                return False
            if self._probed:
                return True
            self._probed = True
        try:
            self.bucket.probe()
        except RemoteError as e:
            self._went_down(e)
            return False
        return True

    def _went_down(self, error: RemoteError) -> None:
        with self._lock:
            if self.down is None:
                self.down = error.message
                self.warnings.append(f"{error.message}; going on without the remote cache")

    # -- what it has -----------------------------------------------------------------------
    def available(self, hashes: Collection[str]) -> set[str]:
        """Which of these jobs the remote has: one listing of its manifests, or a lookup per
        job, whichever takes fewer requests (a listing page names 1,000 manifests)."""
        wanted = set(hashes)
        if not wanted or not self._usable():
            return set()
        try:
            found = self._listed(wanted)
            return found if found is not None else self._looked_up(wanted)
        except RemoteError as e:
            self._went_down(e)
            return set()

    def _listed(self, wanted: set[str]) -> set[str] | None:
        """None when listing would cost as many requests as looking each job up."""
        budget = len(wanted) - 1  # pages we may read: fewer requests than the lookups
        found: set[str] = set()
        for pages, page in enumerate(self.bucket.pages(JOBS) if budget else (), start=1):
            found.update(h for e in page if (h := hash_of(e.key)) in wanted)
            if len(page) < PAGE:
                return found  # the last page
            if pages >= budget:
                return None
        return found if budget else None

    def _looked_up(self, wanted: set[str]) -> set[str]:
        ordered = sorted(wanted)
        with ThreadPoolExecutor(self.threads) as pool:
            there = list(pool.map(lambda h: self.bucket.exists(manifest_key(h)), ordered))
        return {h for h, yes in zip(ordered, there) if yes}

    def manifest(self, job_hash: str) -> Manifest | None:
        return read_manifest(self.bucket, job_hash, self.trust)

    # -- fetching --------------------------------------------------------------------------
    def fetch(self, wanted: Sequence[Wanted], store: JobStore,
              on_fetched: Callable[[Fetched], None] | None = None) -> dict[str, Path]:
        """Fetch into the store's target those of ``wanted`` the remote has (and the target
        lacks): hash -> the published job directory. Jobs another process is building are
        left to it."""
        if not wanted or not self._usable():
            return {}
        if len(wanted) > 1:
            # Most of a run's new jobs are new everywhere: one listing says so, where a
            # manifest request per job would each answer "absent".
            have = self.available([w.hash for w in wanted])
            wanted = [w for w in wanted if w.hash in have]
        store.target_db()  # the target exists (and is held) before a job of it is locked
        locks = self._locked(wanted, store)
        fetched: dict[str, Path] = {}
        pool = ThreadPoolExecutor(self.threads)
        try:
            futures = {pool.submit(self._download, item, store.target): item
                       for item, _ in locks.values()}
            # Published in the order wanted (inputs first), however the downloads finish: the
            # database numbers jobs in the order it records them, and a job recorded before
            # its input would look built from an earlier build of it (store.built_after).
            for future in list(futures):
                item = futures[future]
                done = self._fetched(item, future, store)
                locks.pop(item.hash)[1].release()
                if done is not None:
                    fetched[item.hash] = done.path
                    if on_fetched is not None:
                        on_fetched(done)
        finally:
            # Ctrl-C: what has not begun never does (a download under way ends by itself, in
            # a staging directory the next run removes).
            pool.shutdown(wait=False, cancel_futures=True)
            for _, lock in locks.values():
                lock.release()
        return fetched

    def _locked(self, wanted: Sequence[Wanted], store: JobStore
                ) -> dict[str, tuple[Wanted, JobLock]]:
        """Each wanted job's lock, where it is free and the target still lacks the job."""
        locks: dict[str, tuple[Wanted, JobLock]] = {}
        for item in wanted:
            if item.hash in locks:
                continue
            lock = store.target.lock(item.id)
            if lock is None:
                continue  # another run is building it: the engine waits for that
            if store.recheck(item.hash, item.id).found is not None:
                lock.release()
                continue
            locks[item.hash] = (item, lock)
        return locks

    def _download(self, item: Wanted, target: Workdir) -> tuple[Manifest, Path, float] | None:
        """In a worker thread: the job's manifest, checked, and its files in a new staging
        directory, checked; None when the remote does not have it."""
        if self.down is not None:
            return None
        started = time.monotonic()
        manifest = read_manifest(self.bucket, item.hash, self.trust)
        if manifest is None:
            return None
        staging = target.stage_empty(item.id)
        try:
            download(self.bucket, manifest, staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return manifest, staging, time.monotonic() - started

    def _fetched(self, item: Wanted, future: Future[Any], store: JobStore) -> Fetched | None:
        """Publish a downloaded job (in the main thread: the index is this thread's), or say
        why it was not fetched."""
        try:
            result = future.result()
        except (keys.UntrustedManifest, BadManifest, FetchProblem) as e:
            self.refused.append(item.id)
            self.warnings.append(f"{item.id} is not fetched: {e.message}; it is built here")
            return None
        except RemoteError as e:
            self._went_down(e)
            return None
        except OSError as e:
            self.warnings.append(f"{item.id} is not fetched: cannot write it "
                                 f"({e.strerror or e}); it is built here")
            return None
        if result is None:
            return None
        manifest, staging, seconds = result
        subjobs, missing = subjob_rows(item.hash, staging, [w.path for w in store.workdirs])
        if missing:
            # Its result may name them, and only their record makes an edit to their
            # method re-run it: without them it would be current forever.
            shutil.rmtree(staging, ignore_errors=True)
            self.refused.append(item.id)
            self.warnings.append(f"{item.id} is not fetched: its subjobs {', '.join(missing)} "
                                 "are not here; it is built here")
            return None
        path = store.target.publish(staging, item.id)
        row = row_from_directory(path)
        if row is None or row.hash != item.hash:  # a signer's bug: never index it
            store.target.remove_job(item.id)
            self.refused.append(item.id)
            self.warnings.append(f"{item.id} is not fetched: its files are not a finished "
                                 "job; it is built here")
            return None
        store.record(JobRow(row.hash, row.id, row.method, row.code_hash, time.time()))
        if subjobs:
            store.record_subjobs(subjobs)
        return Fetched(item.hash, item.id, path, seconds, manifest.size, manifest.pusher)

    # -- pushing ---------------------------------------------------------------------------
    def signing_key(self) -> keys.SigningKey:
        if self._key is None:
            if self.sign_key_path is None:
                raise ConfigError("no 'remote.sign_key' in the config: this machine cannot "
                                  "sign what it pushes",
                                  hint="acbuild remote keygen NAME, then sign_key = "
                                       "\"path/NAME.key\" under [remote]")
            self._key = keys.load_signing_key(self.sign_key_path)
        return self._key

    def push(self, job_dirs: Sequence[Path],
             on_pushed: Callable[[Pushed], None] | None = None) -> list[Pushed]:
        """Push finished jobs, in parallel; raises on the first that fails."""
        key = self.signing_key()
        results = []
        hashes = {d: str(read_setup(d).get("hash")) for d in job_dirs}
        # A push of jobs the remote mostly has (CI pushing after every run) asks once.
        present = self.available(hashes.values()) if len(hashes) > 1 else set()
        for job_dir in job_dirs:
            if hashes[job_dir] in present:
                results.append(Pushed(job_dir.name, hashes[job_dir], "present", 0, 0))
                if on_pushed is not None:
                    on_pushed(results[-1])
        with ThreadPoolExecutor(self.threads) as pool:
            futures = [pool.submit(push_job, self.bucket, d, key, self._known_blobs)
                       for d in job_dirs if hashes[d] not in present]
            for future in as_completed(futures):
                pushed = future.result()
                results.append(pushed)
                if on_pushed is not None:
                    on_pushed(pushed)
        return results

    def push_later(self, job_dir: Path) -> None:
        """Push a job in the background (``push = "auto"``); ``wait`` says how it went."""
        if self.down is not None:
            return
        try:
            key = self.signing_key()
        except ConfigError as e:
            self.down = e.message
            self.warnings.append(f"{e.message}; nothing is pushed")
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads)
        self._pushes.append(self._pool.submit(self._push_quietly, job_dir, key))

    def _push_quietly(self, job_dir: Path, key: keys.SigningKey) -> Pushed | None:
        if not self._usable():
            return None
        try:
            return push_job(self.bucket, job_dir, key, self._known_blobs)
        except RemoteError as e:
            self._went_down(e)
        except OSError as e:
            self.warnings.append(f"{job_dir.name} is not pushed: {e.strerror or e}")
        except StorageError as e:  # not a job to share (a link out of it, say): built here
            self.warnings.append(f"{job_dir.name} is not pushed: {e.message}")
        return None

    def wait(self) -> list[Pushed]:
        """Wait for the background pushes; what they pushed."""
        if self._pool is None:
            return []
        self._pool.shutdown(wait=True)
        self._pool = None
        pushes, self._pushes = self._pushes, []
        return [p for f in pushes if (p := f.result()) is not None]
