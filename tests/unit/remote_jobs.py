"""Finished job directories made by hand, for the remote cache's unit tests."""

from __future__ import annotations

import json
from pathlib import Path

from acbuild.hashing import hash_bytes, hash_file, job_id


def make_job(workdir: Path, method: str = "clean", salt: str = "", inputs: dict[str, str] | None
             = None, payload: bytes = b"rows\n" * 100) -> Path:
    """A published-looking finished job in ``workdir``: setup.json, post.json, source/, logs,
    a result and an output file in a subdirectory."""
    job_hash = hash_bytes(f"{method}:{salt}".encode())
    job = workdir / job_id(method, job_hash)
    (job / "source" / "methods").mkdir(parents=True)
    (job / "out").mkdir()
    (job / "source" / "methods" / f"{method}.py").write_text("def synthesis():\n    return 1\n")
    (job / "stdout.log").write_text("--- acbuild: synthesis ---\nhello\n")
    (job / "stderr.log").write_text("")
    (job / "result.pickle").write_bytes(b"\x80\x04K\x01.")  # pickle of 1
    (job / "out" / "data.bin").write_bytes(payload + salt.encode())
    (job / "out" / "data.bin").chmod(0o640)
    setup = {"format": 1, "id": job.name, "hash": job_hash, "method": method,
             "code": {"hash": "c" * 64, "identity_hash": "c" * 64, "sources": []},
             "identity": {"method": method, "code": "c" * 64, "options": {"salt": salt},
                          "inputs": {}, "input_hashes": dict(inputs or {}), "slices": None},
             "options": {"salt": salt}, "inputs": {}, "created": 1.0}
    (job / "setup.json").write_text(json.dumps(setup, sort_keys=True))
    files = {name: {"size": (job / name).stat().st_size, "blake3": hash_file(job / name)}
             for name in ("result.pickle", "out/data.bin")}
    (job / "post.json").write_text(json.dumps({"status": "ok", "end": 2.0, "files": files}))
    return job
