"""The index row (``db.JobRow``) a published job directory stands for, read from its
``setup.json`` and ``post.json``: what a job found on disk without its row is recorded as
(``JobStore.recheck``, ``doctor``, a job fetched from the remote cache).
"""

from __future__ import annotations

from pathlib import Path

from acbuild import hashing
from acbuild.db import JobRow
from acbuild.errors import StorageError
from acbuild.intact import post_stat, read_finished


def row_from_directory(job_dir: Path) -> JobRow | None:
    """The index row a published job directory stands for, from its setup.json and post.json;
    None unless it is a finished job whose name is its id (such a directory is never indexed).
    """
    try:
        setup, post = read_finished(job_dir)
    except StorageError:
        return None
    code = setup.get("code") or {}
    job_hash, job_id, method = setup.get("hash"), setup.get("id"), setup.get("method")
    code_hash = code.get("identity_hash") or (setup.get("identity") or {}).get("code")
    # (read_finished saw that post.json says "ok" and that setup.json's id is the name)
    if (not isinstance(job_hash, str) or not isinstance(method, str)
            or not isinstance(code_hash, str) or job_id != hashing.job_id(method, job_hash)):
        return None
    created = post.get("end", setup.get("created"))
    size, mtime_ns, ctime_ns = post_stat(str(job_dir)) or (None, None, None)
    return JobRow(job_hash, job_id, method, code_hash,
                  float(created) if isinstance(created, (int, float)) else 0.0,
                  size, mtime_ns, post_ctime_ns=ctime_ns)
