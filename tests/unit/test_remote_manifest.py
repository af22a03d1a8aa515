"""Manifests: every file of a job, a canonical encoding to sign, and what a reader refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("obstore")

from remote_jobs import make_job  # noqa: E402

from acbuild.hashing import hash_file  # noqa: E402
from acbuild.remote import manifest as mf  # noqa: E402


def test_a_manifest_lists_every_file_with_digest_size_and_mode(tmp_path: Path) -> None:
    job = make_job(tmp_path)
    manifest = mf.of_job(job)
    paths = [f.path for f in manifest.files]
    assert paths == sorted(["out/data.bin", "post.json", "result.pickle", "setup.json",
                            "source/methods/clean.py", "stderr.log", "stdout.log"])
    data = next(f for f in manifest.files if f.path == "out/data.bin")
    assert (data.blake3, data.size, data.mode) == (
        hash_file(job / "out/data.bin"), (job / "out/data.bin").stat().st_size, 0o640)
    assert manifest.id == job.name and manifest.setup["hash"] == manifest.hash
    assert set(manifest.pusher) == {"host", "user", "acbuild"}


def test_decode_gives_back_the_manifest_and_the_bytes_signed(tmp_path: Path) -> None:
    manifest = mf.of_job(make_job(tmp_path))
    signature = {"key": "k", "ed25519": "AAAA"}
    decoded, signatures, signed = mf.decode(mf.encode(manifest, [signature]), manifest.hash, "x")
    assert decoded == manifest
    assert signatures == [signature]
    assert signed == mf.signed_bytes(manifest.body())


def _edited(manifest: mf.Manifest, **changes: object) -> bytes:
    body = manifest.body()
    body.update(changes)
    return json.dumps({"manifest": body, "signatures": []}).encode()


def test_a_reader_refuses_what_it_cannot_use(tmp_path: Path) -> None:
    manifest = mf.of_job(make_job(tmp_path))
    files = manifest.body()["files"]
    cases = {
        b"{not json": "not JSON",
        b'{"manifest": 1}': "not a manifest",
        _edited(manifest, format=2): "format 2",
        _edited(manifest, hash="0" * 64): "another job",
        _edited(manifest, files=[*files, {**files[0], "path": "../../etc/x"}]):
            "leaves the job directory",
        _edited(manifest, files=[*files, {**files[0], "path": "/etc/x"}]):
            "leaves the job directory",
        _edited(manifest, files=[f for f in files if f["path"] != "post.json"]): "post.json",
        _edited(manifest, files=[{**files[0], "blake3": "x"}, *files[1:]]): "not a blake3",
    }
    for data, needle in cases.items():
        with pytest.raises(mf.BadManifest, match=needle):
            mf.decode(data, manifest.hash, "jobs/x.json")


@pytest.mark.parametrize(("path", "safe"), [
    ("a", True), ("a/b.txt", True), ("..", False), ("a/../b", False), ("/a", False),
    ("a//b", False), ("./a", False), ("", False), ("a\\b", False)])
def test_safe_path(path: str, safe: bool) -> None:
    assert mf.safe_path(path) is safe


def test_a_link_out_of_the_job_is_never_pushed_but_one_inside_is_its_file(tmp_path: Path
                                                                          ) -> None:
    from acbuild.errors import StorageError

    secret = tmp_path / "secret.txt"
    secret.write_text("this machine's, not the job's")
    job = make_job(tmp_path / "wd")
    (job / "out" / "alias.bin").symlink_to("data.bin")  # inside: the job's own file
    assert "out/alias.bin" in {f.path for f in mf.of_job(job).files}
    (job / "out" / "leak.txt").symlink_to(secret)
    with pytest.raises(StorageError, match="out/leak.txt is a link out of the job"):
        mf.of_job(job)
