"""The remote cache through a real S3 API: moto's server on 127.0.0.1, started and stopped
here, and two checkouts of one project with work directories of their own.

What a user is promised: what one checkout pushed, the other fetches instead of building —
verified and loadable; a job signed by a key it does not trust, or whose content changed
on the remote, is built locally after one clear warning; an unreachable remote is one
warning; a push killed at any moment never leaves a job whose files are not all there.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("obstore")
pytest.importorskip("cryptography")
moto_server = pytest.importorskip("moto.server")

from conftest import SRC, Project  # noqa: E402

BUCKET = "acbuild-test"
AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
       "AWS_SESSION_TOKEN": "", "AWS_PROFILE": ""}


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    """An S3-compatible server on a free port of 127.0.0.1 with one bucket: its endpoint."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request, otherwise
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                request = urllib.request.Request(f"{endpoint}/{BUCKET}", method="PUT")
                urllib.request.urlopen(request, timeout=5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield endpoint
    finally:
        server.stop()


METHODS = {
    "ingest": '''
        options = {"n": 3, "files": 1}

        def synthesis(job, options):
            for i in range(options.files):
                with job.open(f"part-{i}.bin", "wb") as f:
                    f.write(bytes([i % 256]) * 65536 + str(options.n).encode())
            return list(range(options.n))
    ''',
    "total": '''
        jobs = ("rows",)

        def synthesis(job, jobs):
            with job.open("total.txt", "w") as f:
                f.write(str(sum(jobs.rows.load())))
            return sum(jobs.rows.load())
    ''',
    "report": '''
        jobs = ("total",)

        def synthesis(jobs):
            return f"total is {jobs.total.load()}"
    ''',
}

SCRIPT = '''
def main(urd):
    rows = urd.build("ingest", n=4)
    total = urd.build("total", rows=rows)
    report = urd.build("report", total=total)
    print("RESULT:", report.load())
'''


def checkout(root: Path, endpoint: str, keys: Path, prefix: str, *, sign: str | None = "ci-1",
             trust: tuple[str, ...] = ("ci-1",), push: str = "manual",
             script: str = SCRIPT) -> Project:
    """A checkout of the project at ``root``, with its own work directory."""
    project = Project(root)
    for name, text in METHODS.items():
        project.method(name, text)
    project.script(script)
    trusted = "\n".join(f'{k} = "{keys / k}.pub"' for k in trust)
    project.write("acbuild.toml", f'''
        methods = ["methods"]
        slices = 1
        [remote]
        url = "s3://{BUCKET}/{prefix}"
        endpoint = "{endpoint}"
        push = "{push}"
        {f'sign_key = "{keys / sign}.key"' if sign else ""}
        [remote.trusted_keys]
        {trusted}
    ''')
    return project


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    for name in ("ci-1", "stranger-1"):
        run_acbuild(directory, "remote", "keygen", name)
    return directory


def run_acbuild(cwd: Path, *args: str, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **AWS, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC)}
    proc = subprocess.run([sys.executable, "-m", "acbuild", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=180)
    if check is not None and proc.returncode != check:
        raise AssertionError(f"acbuild {' '.join(args)} exited {proc.returncode}\n"
                             f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
    return proc


def acbuild(project: Project, *args: str, check: int | None = 0
            ) -> subprocess.CompletedProcess[str]:
    return run_acbuild(project.root, *args, check=check)


def run_json(project: Project, *args: str) -> dict[str, Any]:
    return json.loads(acbuild(project, "run", "--json", *args).stdout)


def job_states(report: dict[str, Any]) -> dict[str, str]:
    return {j["method"]: j["state"] for j in report["jobs"]}


def test_a_second_checkout_fetches_every_job_and_builds_nothing(
        tmp_path: Path, s3: str, keys: Path) -> None:
    first = checkout(tmp_path / "first", s3, keys, "share", push="auto")
    built = run_json(first)
    assert set(job_states(built).values()) == {"built"}

    second = checkout(tmp_path / "second", s3, keys, "share", sign=None)
    status = json.loads(acbuild(second, "status", "--json").stdout)
    # The script needs report's result to go on: status stops there, and what it saw is
    # on the remote.
    assert {j["state"] for j in status["jobs"]} == {"cached (remote)"}

    run = acbuild(second, "run", "--json")
    report = json.loads(run.stdout)
    assert job_states(report) == {"ingest": "fetched", "total": "fetched", "report": "fetched"}
    assert report["counts"]["built"] == 0 and report["counts"]["fetched"] == 3
    assert "RESULT: total is 6" in run.stderr  # the script loaded the fetched result
    assert sorted(second.job_dirs()) == sorted(first.job_dirs())
    verify = json.loads(acbuild(second, "verify", "--json").stdout)
    assert verify["changed"] == 0 and len(verify["jobs"]) == 3
    again = run_json(second)
    assert set(job_states(again).values()) == {"reused"}


def test_pull_fetches_what_the_script_needs_in_parallel(tmp_path: Path, s3: str,
                                                        keys: Path) -> None:
    first = checkout(tmp_path / "first", s3, keys, "pull")
    run_json(first, "-j", "1")
    pushed = json.loads(acbuild(first, "push", "--json").stdout)
    assert pushed["counts"] == {"pushed": 3, "present": 0}
    assert json.loads(acbuild(first, "push", "--json").stdout)["counts"] == {
        "pushed": 0, "present": 3}

    second = checkout(tmp_path / "second", s3, keys, "pull", sign=None)
    remote = json.loads(acbuild(second, "remote", "status", "--json").stdout)
    assert remote["counts"]["remote"] >= 1 and remote["counts"]["local"] == 0
    pulled = json.loads(acbuild(second, "pull", "--json").stdout)
    assert len(pulled["fetched"]) == 3 and pulled["missing"] == []
    assert set(job_states(run_json(second)).values()) == {"reused"}
    remote = json.loads(acbuild(second, "remote", "status", "--json").stdout)
    assert remote["counts"] == {"local": 3, "remote": 0, "missing": 0}


def test_a_job_signed_by_an_unknown_key_is_refused_and_built_here(
        tmp_path: Path, s3: str, keys: Path) -> None:
    first = checkout(tmp_path / "first", s3, keys, "stranger", sign="stranger-1")
    run_json(first)
    acbuild(first, "push")
    second = checkout(tmp_path / "second", s3, keys, "stranger", sign=None)
    report = json.loads(acbuild(second, "run", "--json").stdout)
    assert set(job_states(report).values()) == {"built"}
    assert len(report["warnings"]) == 3
    assert all("'stranger-1'" in w for w in report["warnings"])
    # pull refuses too, and says so with its exit status
    third = checkout(tmp_path / "third", s3, keys, "stranger", sign=None)
    pulled = acbuild(third, "pull", check=1)
    assert "'stranger-1'" in pulled.stderr and third.job_dirs() == []


def bucket_of(s3: str, prefix: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The test's own client of the remote (its credentials: the test's environment)."""
    from acbuild.config import RemoteConfig
    from acbuild.remote.bucket import Bucket

    for name, value in AWS.items():
        monkeypatch.setenv(name, value)
    return Bucket.open(RemoteConfig(f"s3://{BUCKET}/{prefix}", s3, True, "manual", None, (),
                                    False))


def test_a_tampered_blob_is_detected_and_the_job_built_here(
        tmp_path: Path, s3: str, keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from acbuild.hashing import hash_file
    from acbuild.remote.bucket import blob_key

    first = checkout(tmp_path / "first", s3, keys, "tamper")
    run_json(first)
    acbuild(first, "push")
    [total] = [p for p in first.workdir.iterdir() if p.name.startswith("total-")]
    digest = hash_file(total / "total.txt")
    bucket_of(s3, "tamper", monkeypatch).put(blob_key(digest), b"999")

    second = checkout(tmp_path / "second", s3, keys, "tamper", sign=None)
    report = json.loads(acbuild(second, "run", "--json").stdout)
    assert job_states(report) == {"ingest": "fetched", "total": "built", "report": "fetched"}
    [warning] = report["warnings"]
    assert total.name in warning and "not what the manifest signed" in warning
    assert (second.workdir / total.name / "total.txt").read_text() == "6"
    assert json.loads(acbuild(second, "verify", "--json").stdout)["changed"] == 0
    assert not any((second.workdir / ".tmp").glob("total-*.*.*"))


def test_an_unreachable_remote_is_one_warning_and_the_run_goes_on(
        tmp_path: Path, keys: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    project = checkout(tmp_path / "alone", closed, keys, "x", push="auto")
    run = acbuild(project, "run")
    warnings = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "remote cache s3://" in warnings[0]
    assert "done: 3 built" in run.stdout
    assert "RESULT: total is 6" in run.stdout
    status = acbuild(project, "status")
    assert "3 jobs: 3 cached" in status.stdout
    assert acbuild(project, "push", check=1).stderr.count("remote cache s3://") == 1


def test_a_push_killed_at_any_moment_never_leaves_a_job_without_its_files(
        tmp_path: Path, s3: str, keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from acbuild.remote.bucket import BLOBS, JOBS, blob_key, hash_of
    from acbuild.remote.manifest import decode

    script = SCRIPT.replace('urd.build("ingest", n=4)',
                            'urd.build("ingest", n=4, files=24)') + "".join(
        f'    urd.build("ingest", n={n}, files=24)\n' for n in range(5, 9))
    first = checkout(tmp_path / "first", s3, keys, "whole", script=script)
    run_json(first)
    started = time.monotonic()
    acbuild(first, "push")
    whole = time.monotonic() - started  # kills land anywhere in a push this long
    rng = random.Random(1414)
    deadline = time.monotonic() + 120
    for attempt in range(10):
        if time.monotonic() > deadline:
            break
        prefix = f"cut{attempt}"
        config = (first.root / "acbuild.toml").read_text().replace("/whole", f"/{prefix}")
        (first.root / "acbuild.toml").write_text(config)
        proc = subprocess.Popen([sys.executable, "-m", "acbuild", "push"], cwd=first.root,
                                env={**os.environ, **AWS, "ACBUILD_PLAIN": "1",
                                     "PYTHONPATH": str(SRC)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.1, 1.0) * whole)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        bucket = bucket_of(s3, prefix, monkeypatch)
        blobs = {e.key for page in bucket.pages(BLOBS) for e in page}
        for page in bucket.pages(JOBS):
            for entry in page:
                job_hash = hash_of(entry.key)
                assert job_hash is not None
                manifest = decode(bucket.get(entry.key) or b"", job_hash, entry.key)[0]
                missing = {blob_key(f.blake3) for f in manifest.files} - blobs
                assert not missing, f"{manifest.id} is visible without {missing}"
        (first.root / "acbuild.toml").write_text(config.replace(f"/{prefix}", "/whole"))
    # The last cut push, finished by a whole one, is fetched whole by another checkout.
    (first.root / "acbuild.toml").write_text(config)
    acbuild(first, "push")
    second = checkout(tmp_path / "second", s3, keys, prefix, sign=None, script=script)
    assert set(job_states(run_json(second)).values()) == {"fetched"}
    assert json.loads(acbuild(second, "verify", "--json").stdout)["changed"] == 0


def test_a_file_remote_and_its_gc(tmp_path: Path, keys: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    first = checkout(tmp_path / "first", "unused", keys, "unused")
    config = (first.root / "acbuild.toml").read_text()
    config = config.replace('url = "s3://acbuild-test/unused"', f'url = "file://{shared}"')
    config = "\n".join(line for line in config.splitlines() if "endpoint" not in line)
    (first.root / "acbuild.toml").write_text(config)
    run_json(first)
    assert json.loads(acbuild(first, "push", "--json").stdout)["counts"]["pushed"] == 3
    kept = json.loads(acbuild(first, "remote", "gc", "--keep-newer", "1d", "--json").stdout)
    assert kept["removed"] == [] and len(kept["kept"]) == 3
    time.sleep(1.1)  # every job and blob is now older than 1s
    dry = json.loads(acbuild(first, "remote", "gc", "--keep-newer", "1s", "--grace", "1s",
                             "--dry-run", "--json").stdout)
    assert len(dry["removed"]) == 3 and (shared / "jobs").is_dir()
    assert len(list((shared / "jobs").iterdir())) == 3
    gone = json.loads(acbuild(first, "remote", "gc", "--keep-newer", "1s", "--grace", "1s",
                              "--json").stdout)
    assert len(gone["removed"]) == 3 and gone["blobs_removed"] > 0
    assert not any(p.is_file() for p in shared.rglob("*"))


def test_remote_commands_without_a_remote_say_how_to_add_one(project: Project) -> None:
    proc = project.acbuild("push", check=2)
    assert "no remote cache is configured" in proc.stderr and "[remote]" in proc.stderr
