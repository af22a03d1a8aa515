"""A job whose files no longer match its own records never travels through the remote cache.

A finished job's output edited afterwards (same size: a pickle of another list) is a job
acbuild itself no longer reuses ("its files changed since it was built"). Pushed, it was
signed as it now is — the signature covered the edited bytes — and every checkout that
fetched it loaded the edited result, and, when its own copy was found damaged, fetched the
same damage again instead of building it. The promise: push refuses such a job, and a
fetch refuses a manifest whose files disagree with the job's own post.json (as an earlier
acbuild pushed them), so the job is built here, right.

The real command against moto's S3 server (the fixtures of test_remote.py).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

pytest.importorskip("obstore")
pytest.importorskip("cryptography")
pytest.importorskip("moto.server")

from test_remote import (  # noqa: E402,F401  (s3 and keys are fixtures)
    acbuild,
    bucket_of,
    checkout,
    job_states,
    keys,
    s3,
)


def ingest_dir(workdir: Path) -> Path:
    [job] = [p for p in workdir.iterdir() if p.name.startswith("ingest-")]
    return job


def tamper(job: Path) -> None:
    """Replace the result by another of the same size, as an editor or a stray script might."""
    good = (job / "result.pickle").read_bytes()
    assert pickle.loads(good) == [0, 1, 2, 3]
    [bad] = [b for protocol in (5, 4, 3, 2) if len(b := pickle.dumps([9, 9, 9, 9],
                                                                 protocol)) == len(good)][:1]
    (job / "result.pickle").write_bytes(bad)


def assert_right(project_root: Path, workdir: Path, run_stderr: str) -> None:
    job = ingest_dir(workdir)
    assert pickle.loads((job / "result.pickle").read_bytes()) == [0, 1, 2, 3]
    assert "[9, 9, 9, 9]" not in run_stderr


SCRIPT = '''
def main(urd):
    rows = urd.build("ingest", n=4)
    total = urd.build("total", rows=rows)
    report = urd.build("report", total=total)
    print("ROWS:", rows.load())
    print("RESULT:", report.load())
'''


def test_push_refuses_a_job_whose_files_changed_since_it_was_built(
        tmp_path: Path, s3: str, keys: Path) -> None:  # noqa: F811
    first = checkout(tmp_path / "first", s3, keys, "damaged-push", script=SCRIPT)
    acbuild(first, "run")
    tamper(ingest_dir(first.workdir))
    pushed = acbuild(first, "push", check=None)
    assert pushed.returncode != 0
    assert ingest_dir(first.workdir).name in pushed.stderr

    second = checkout(tmp_path / "second", s3, keys, "damaged-push", sign=None, script=SCRIPT)
    run = acbuild(second, "run", "--json")
    assert job_states(json.loads(run.stdout))["ingest"] == "built"
    assert "ROWS: [0, 1, 2, 3]" in run.stderr
    assert_right(second.root, second.workdir, run.stderr)
    assert json.loads(acbuild(second, "verify", "--json").stdout)["changed"] == 0


def test_a_fetched_job_must_agree_with_its_own_post_json(
        tmp_path: Path, s3: str, keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """A remote holding a signed manifest of a damaged job (pushed by an earlier acbuild)."""
    from acbuild.hashing import hash_file
    from acbuild.remote import keys as keymod
    from acbuild.remote import manifest as mf
    from acbuild.remote.bucket import blob_key, manifest_key

    first = checkout(tmp_path / "first", s3, keys, "damaged-fetch", script=SCRIPT)
    acbuild(first, "run")
    acbuild(first, "push")  # every job, intact
    job = ingest_dir(first.workdir)
    bucket = bucket_of(s3, "damaged-fetch", monkeypatch)
    good = mf.of_job(job)
    tamper(job)
    # What an acbuild that signed whatever was on disk pushed for it:
    bad_digest = hash_file(job / "result.pickle")
    bucket.put(blob_key(bad_digest), job / "result.pickle")
    files = tuple(mf.FileEntry(f.path, bad_digest, f.size, f.mode)
                  if f.path == "result.pickle" else f for f in good.files)
    bad = mf.Manifest(good.hash, good.id, good.method, good.setup, good.post, files,
                      good.pusher, good.created)
    key = keymod.load_signing_key(keys / "ci-1.key")
    bucket.delete(manifest_key(good.hash))
    assert bucket.create(manifest_key(good.hash),
                         mf.encode(bad, [key.sign(mf.signed_bytes(bad.body()))]))

    second = checkout(tmp_path / "second", s3, keys, "damaged-fetch", sign=None, script=SCRIPT)
    run = acbuild(second, "run", "--json")
    report = json.loads(run.stdout)
    assert job_states(report)["ingest"] == "built"
    assert any(job.name in w for w in report["warnings"])
    assert "ROWS: [0, 1, 2, 3]" in run.stderr
    assert_right(second.root, second.workdir, run.stderr)
    again = acbuild(second, "run", "--json")
    assert "ROWS: [0, 1, 2, 3]" in again.stderr
    assert json.loads(acbuild(second, "verify", "--json").stdout)["changed"] == 0
    pulled = acbuild(checkout(tmp_path / "third", s3, keys, "damaged-fetch", sign=None,
                              script=SCRIPT), "pull", check=None)
    assert job.name in pulled.stderr
    assert not (tmp_path / "third" / "workdirs" / "dev" / job.name).exists()
