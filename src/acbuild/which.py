"""Which jobs wrote a file: ``acbuild which FILE`` finds, by content (blake3), the files of
finished jobs that are the same as a file given, from each job's ``post.json`` listing, in
every work directory. A copy of a job's output, taken anywhere, leads back to its job.

Returns records; never prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from acbuild.errors import StorageError
from acbuild.hashing import hash_file
from acbuild.jobrecords import read_post
from acbuild.session import Session


def jobs_with_file(session: Session, file: Path) -> list[dict[str, Any]]:
    """Each finished job, oldest first, with each name under which it wrote a file with the
    content of ``file``: ``{"id", "method", "name", "path"}``."""
    digest = hash_file(file)
    size = file.stat().st_size
    found = []
    for job in session.store.jobs():
        try:
            files = read_post(job.path).get("files", {})
        except StorageError:
            continue  # unreadable: `acbuild verify` says so
        for name, meta in files.items():
            # The size first: most files differ in it, and it is in the same record.
            if meta.get("size") == size and meta.get("blake3") == digest:
                found.append({"id": job.id, "method": job.method, "name": name,
                              "path": str(job.path / name)})
    return found
