"""Collecting a remote: manifests outside the keep-rules, then blobs nothing references.

Kept: every manifest pushed within ``keep_newer``, those the caller names (the jobs
of the project's result lists, ``remote gc --keep-lists``), and the jobs those were
built from (their inputs, transitively), so a kept job's inputs can still be
fetched. Manifests go first — a job disappears whole — then the blobs no kept
manifest names, but only those older than ``grace``: a push in flight uploads
its blobs before its manifest, and must not lose them in between. (A pusher
that found an old unreferenced blob present and relies on it can still lose
it to a gc running at that moment; a reader then finds the blob missing, says
so, and builds the job itself — never a half job.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from acbuild.errors import RemoteError
from acbuild.remote.bucket import BLOBS, JOBS, Bucket, Entry, blob_key, hash_of
from acbuild.remote.manifest import Manifest, decode

GRACE = 48 * 3600.0


@dataclass
class RemoteGcReport:
    dry_run: bool
    kept: list[str] = field(default_factory=list)  # job ids
    removed: list[str] = field(default_factory=list)  # job ids (or keys, when unreadable)
    blobs_removed: int = 0
    bytes_freed: int = 0
    blobs_young: int = 0  # unreferenced, but within the grace period


def collect(bucket: Bucket, keep_newer: float, grace: float = GRACE, dry_run: bool = False,
            now: float | None = None, keep: frozenset[str] = frozenset()) -> RemoteGcReport:
    """``keep``: job hashes kept whatever their age (``--keep-lists``: what lists name)."""
    now = time.time() if now is None else now
    report = RemoteGcReport(dry_run)
    entries = {h: e for page in bucket.pages(JOBS) for e in page
               if (h := hash_of(e.key)) is not None}
    kept = _kept(bucket, entries, now - keep_newer, keep)
    for job_hash, entry in sorted(entries.items()):
        if job_hash in kept:
            continue
        report.removed.append(_name(bucket, entry))
        if not dry_run:
            bucket.delete(entry.key)
    report.kept = sorted(m.id for m in kept.values())
    referenced = {blob_key(f.blake3) for m in kept.values() for f in m.files}
    for page in bucket.pages(BLOBS):
        for blob in page:
            if blob.key in referenced:
                continue
            if blob.modified > now - grace:
                report.blobs_young += 1
                continue
            report.blobs_removed += 1
            report.bytes_freed += blob.size
            if not dry_run:
                bucket.delete(blob.key)
    return report


def _kept(bucket: Bucket, entries: dict[str, Entry], cutoff: float,
          keep: frozenset[str] = frozenset()) -> dict[str, Manifest]:
    """The manifests to keep, read: the recent ones, those in ``keep``, and, transitively,
    their inputs."""
    todo = [h for h, e in entries.items() if e.modified >= cutoff or h in keep]
    kept: dict[str, Manifest] = {}
    while todo:
        job_hash = todo.pop()
        if job_hash in kept or job_hash not in entries:
            continue
        manifest = _read(bucket, entries[job_hash], job_hash)
        if manifest is None:
            continue  # unreadable: protects nothing, and goes if it is old
        kept[job_hash] = manifest
        todo.extend(manifest.input_hashes)
    return kept


def _read(bucket: Bucket, entry: Entry, job_hash: str) -> Manifest | None:
    data = bucket.get(entry.key)
    if data is None:
        return None
    try:
        return decode(data, job_hash, entry.key)[0]
    except RemoteError:
        return None


def _name(bucket: Bucket, entry: Entry) -> str:
    """A removed manifest's job id, read before it goes (its key when unreadable)."""
    job_hash = hash_of(entry.key) or ""
    data = bucket.get(entry.key)
    if data is None:
        return entry.key
    try:
        return decode(data, job_hash, entry.key)[0].id
    except RemoteError:
        return entry.key
