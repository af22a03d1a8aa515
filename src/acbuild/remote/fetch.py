"""Reading one job from a remote: its manifest, checked, then its files, checked.

The manifest's signature is checked before anything else of it is used; then
each file is streamed into a staging directory and its size and blake3
compared with the manifest's. Whatever is wrong — a missing blob, a changed
byte — is a ``FetchProblem``, and the caller drops the staging directory: a
job is fetched whole and intact, or not at all. Publishing (lock, rename,
index row) is the caller's, as for a job built here.
"""

from __future__ import annotations

import os
from pathlib import Path

from acbuild import hashing
from acbuild.errors import RemoteError, StorageError
from acbuild.jobrecords import read_post, read_setup
from acbuild.remote import manifest as mf
from acbuild.remote.bucket import Bucket, blob_key, manifest_key
from acbuild.remote.keys import Trust


class FetchProblem(RemoteError):
    """A job's manifest is fine but its files are not all there, or not as signed."""


def read_manifest(bucket: Bucket, job_hash: str, trust: Trust) -> mf.Manifest | None:
    """The job's manifest if the remote has one, signed by a key ``trust`` trusts; None when
    it has none. ``UntrustedManifest`` or ``BadManifest`` when it cannot be used."""
    key = manifest_key(job_hash)
    data = bucket.get(key)
    if data is None:
        return None
    manifest, signatures, signed = mf.decode(data, job_hash, f"{bucket.where}/{key}")
    trust.check(signatures, signed, f"the manifest of {manifest.id} on {bucket.where}")
    return manifest


def download(bucket: Bucket, manifest: mf.Manifest, staging: Path) -> None:
    """Every file of the job into the (empty) ``staging`` directory, each checked."""
    made = {str(staging)}
    for entry in manifest.files:
        target = os.path.join(staging, entry.path)
        parent = os.path.dirname(target)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        _download_file(bucket, manifest, entry, target)
    try:
        changed = mf.disagreements(manifest.files, read_setup(staging), read_post(staging))
    except StorageError as e:
        raise FetchProblem(f"{manifest.id}: {e.message}") from None
    if changed:
        # Signed, but not the job its records describe: it was edited before it was pushed.
        raise FetchProblem(f"{manifest.id}: its files on the remote are not what its own "
                           f"records say the job wrote ({', '.join(changed)}): it was "
                           "changed before it was pushed")


def _download_file(bucket: Bucket, manifest: mf.Manifest, entry: mf.FileEntry,
                   target: str) -> None:
    chunks = bucket.chunks(blob_key(entry.blake3))
    if chunks is None:
        raise FetchProblem(f"{manifest.id}: the remote has no content for its file "
                           f"{entry.path} (blob {entry.blake3[:16]}… is missing)")
    with open(target, "wb") as f:
        written = 0
        for chunk in chunks:
            written += len(chunk)
            if written > entry.size:
                break  # more than the manifest says: no need to read the rest
            f.write(chunk)
    if written != entry.size or hashing.hash_file(target) != entry.blake3:
        raise FetchProblem(f"{manifest.id}: its file {entry.path} on the remote is not what "
                           f"the manifest signed (blob {entry.blake3[:16]}… was changed)")
    os.chmod(target, entry.mode)
