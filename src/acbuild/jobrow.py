"""The index row (``db.JobRow``) a published job directory stands for, read from its
``setup.json`` and ``post.json``: what a job found on disk without its row is recorded as
(``JobStore.recheck``, ``doctor``, a job fetched from the remote cache), with the record
of its subjobs.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from acbuild import hashing
from acbuild.db import JobRow, SubjobRow
from acbuild.errors import StorageError
from acbuild.intact import post_stat, read_finished
from acbuild.jobrecords import read_post, read_setup


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


def subjob_rows(parent: str, job_dir: Path, workdirs: Iterable[Path]
                ) -> tuple[list[SubjobRow], list[str]]:
    """The record of each subjob the finished job in ``job_dir`` (of hash ``parent``) names
    in its post.json, read from the subjob's directory in one of ``workdirs`` (as ``doctor
    --rebuild`` makes it); and the ids of those in none (the parent's result may name them:
    without them it is no current job)."""
    try:
        named = read_post(job_dir).get("subjobs") or {}
    except StorageError:
        return [], []
    roots = list(workdirs)
    rows, missing = [], []
    for sub_id in sorted(str(n) for n in named) if isinstance(named, dict) else ():
        for root in roots:
            sub_dir = root / sub_id
            if row_from_directory(sub_dir) is None:
                continue
            try:
                setup = read_setup(sub_dir)
                rows.append(SubjobRow(parent, setup["hash"], setup["id"], setup["method"],
                                      setup["identity"]["code"]))
                break
            except (StorageError, KeyError, TypeError):
                continue
        else:
            missing.append(sub_id)
    return rows, missing
