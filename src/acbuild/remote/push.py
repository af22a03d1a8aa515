"""Sending one finished job to a remote: its blobs first, its signed manifest last.

The manifest is the commit point. It is written only if absent
(``If-None-Match: *``) and only after every blob it names is there, so a push
cut off at any moment leaves at most blobs no manifest names (remote gc's
business), and two machines pushing the same job never overwrite each other:
the second finds it there. Every object is written whole or not at all.
"""

from __future__ import annotations

from collections.abc import MutableSet
from dataclasses import dataclass
from pathlib import Path

from acbuild.remote import manifest as mf
from acbuild.remote.bucket import Bucket, blob_key, manifest_key
from acbuild.remote.keys import SigningKey


@dataclass(frozen=True)
class Pushed:
    """One job pushed: ``state`` is pushed, or present (the remote had it already)."""

    id: str
    hash: str
    state: str
    blobs: int  # blobs sent
    size: int  # bytes sent


def push_job(bucket: Bucket, job_dir: Path, key: SigningKey,
             known_blobs: MutableSet[str] | None = None) -> Pushed:
    """Push the finished job in ``job_dir``. ``known_blobs``: digests known to be on the
    remote (shared by the jobs of one push: a file many jobs hold is looked up once)."""
    manifest = mf.of_job(job_dir)
    if bucket.exists(manifest_key(manifest.hash)):
        return Pushed(manifest.id, manifest.hash, "present", 0, 0)
    known = known_blobs if known_blobs is not None else set()
    sent = size = 0
    for entry in manifest.files:
        if entry.blake3 in known:
            continue
        key_of_blob = blob_key(entry.blake3)
        if not bucket.exists(key_of_blob):
            # The file as hashed a moment ago: a published job's files do not change, and a
            # reader checks every digest anyway.
            bucket.put(key_of_blob, job_dir / entry.path)
            sent, size = sent + 1, size + entry.size
        known.add(entry.blake3)
    signature = key.sign(mf.signed_bytes(manifest.body()))
    created = bucket.create(manifest_key(manifest.hash), mf.encode(manifest, [signature]))
    return Pushed(manifest.id, manifest.hash, "pushed" if created else "present", sent, size)
