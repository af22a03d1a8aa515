"""A job's manifest: what a remote holds of one finished job, and what its signature covers.

```
{"manifest": {"format": 1, "hash": …, "id": …, "method": …,
              "setup": {setup.json}, "post": {post.json},
              "files": [{"path", "blake3", "size", "mode"}, …],   every file of the directory
              "pusher": {"host", "user", "acbuild"}, "created": …},
 "signatures": [{"key": "team-ci-1", "ed25519": BASE64}, …]}
```
A signature is over the canonical encoding of ``manifest`` (JSON, keys
sorted, no spaces, ASCII), which lists every file's digest: it covers every
byte of the job. A reader checks the format, that the manifest is the job it
asked for, and that no path leaves the job directory — before anything is
written. Reads job directories; never talks to a remote.
"""

from __future__ import annotations

import getpass
import json
import os
import platform
import re
import stat
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acbuild import __version__, hashing
from acbuild.errors import RemoteError, StorageError
from acbuild.jobrecords import POST_FILE, SETUP_FILE, read_post, read_setup

FORMAT = 1
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class BadManifest(RemoteError):
    """A manifest that is not one this acbuild can use: corrupt, newer, or another job's."""


@dataclass(frozen=True)
class FileEntry:
    path: str  # relative to the job directory, with '/'
    blake3: str
    size: int
    mode: int  # permission bits


@dataclass(frozen=True)
class Manifest:
    hash: str
    id: str
    method: str
    setup: dict[str, Any]
    post: dict[str, Any]
    files: tuple[FileEntry, ...]
    pusher: dict[str, str]
    created: float

    def body(self) -> dict[str, Any]:
        return {"format": FORMAT, "hash": self.hash, "id": self.id, "method": self.method,
                "setup": self.setup, "post": self.post,
                "files": [{"path": f.path, "blake3": f.blake3, "size": f.size, "mode": f.mode}
                          for f in self.files],
                "pusher": self.pusher, "created": self.created}

    @property
    def input_hashes(self) -> list[str]:
        """The hashes of the jobs this one was built from (for remote gc)."""
        inputs = (self.setup.get("identity") or {}).get("input_hashes") or {}
        listed = [h for v in inputs.values() for h in (v if isinstance(v, list) else [v])]
        return [h for h in listed if isinstance(h, str)]  # a list input's jobs too

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def of_job(job_dir: Path) -> Manifest:
    """The manifest of a finished job directory: every file hashed now (what is sent is
    what was hashed)."""
    setup = read_setup(job_dir)
    post = read_post(job_dir)
    job_hash, method = setup.get("hash"), setup.get("method")
    if post.get("status") != "ok" or not isinstance(job_hash, str) or not isinstance(method, str):
        raise StorageError("not a finished job", where=str(job_dir))
    files = tuple(FileEntry(rel, hashing.hash_file(full), st.st_size, stat.S_IMODE(st.st_mode))
                  for rel, full, st in _files(job_dir))
    changed = disagreements(files, setup, post)
    if changed:
        # Signed as it is now, the edit would reach every machine that trusts this key.
        raise StorageError(f"its files changed since it was built: {', '.join(changed)}; "
                           "it is not pushed", where=str(job_dir),
                           hint=f"acbuild verify {job_dir.name}; acbuild run builds it again")
    pusher = {"host": platform.node(), "user": _user(), "acbuild": __version__}
    return Manifest(job_hash, hashing.job_id(method, job_hash), method, setup, post, files,
                    pusher, time.time())


def disagreements(files: Sequence[FileEntry], setup: dict[str, Any],
                  post: dict[str, Any]) -> list[str]:
    """The files whose content is not what the job's own records say: post.json's digest
    of each file the job wrote, setup.json's of each file in source/ (missing ones too)."""
    have = {f.path: f for f in files}
    code, written = setup.get("code"), post.get("files")
    if written is None:
        written = {}
    elif not isinstance(written, dict):
        return ["post.json"]  # what it says the job wrote cannot be read: nothing is vouched
    recorded = [(name, meta.get("blake3"), meta.get("size"))
                for name, meta in written.items() if isinstance(meta, dict)]
    if isinstance(code, dict) and isinstance(code.get("files"), dict):
        recorded += [(f"source/{rel}", digest, None) for rel, digest in code["files"].items()]
    wrong = []
    for name, digest, size in recorded:
        entry = have.get(name)
        if entry is None or (digest is not None and entry.blake3 != digest) \
                or (size is not None and entry.size != size):
            wrong.append(name)
    return sorted(wrong)


def signed_bytes(body: dict[str, Any]) -> bytes:
    """The canonical encoding a signature is made over."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode()


def encode(manifest: Manifest, signatures: Sequence[dict[str, str]]) -> bytes:
    return json.dumps({"manifest": manifest.body(), "signatures": list(signatures)},
                      sort_keys=True, indent=1, ensure_ascii=True).encode() + b"\n"


def decode(data: bytes, job_hash: str, where: str) -> tuple[Manifest, list[Any], bytes]:
    """(manifest, its signatures, the bytes they sign), or BadManifest saying what is wrong."""
    try:
        outer = json.loads(data)
    except ValueError as e:
        raise BadManifest(f"{where} is not JSON: {e}") from None
    body = outer.get("manifest") if isinstance(outer, dict) else None
    signatures = outer.get("signatures") if isinstance(outer, dict) else None
    if not isinstance(body, dict) or not isinstance(signatures, list):
        raise BadManifest(f"{where} is not a manifest")
    fmt = body.get("format")
    if not isinstance(fmt, int) or fmt > FORMAT:
        raise BadManifest(f"{where} has format {fmt!r}; this acbuild reads format {FORMAT}",
                          hint="upgrade acbuild")
    try:
        manifest = _manifest(body)
    except (KeyError, TypeError, ValueError) as e:
        raise BadManifest(f"{where} is malformed: {e}") from None
    if manifest.hash != job_hash or manifest.setup.get("hash") != job_hash \
            or manifest.id != hashing.job_id(manifest.method, job_hash):
        raise BadManifest(f"{where} describes another job ({manifest.id})")
    return manifest, signatures, signed_bytes(body)


def _manifest(body: dict[str, Any]) -> Manifest:
    files = tuple(_entry(f) for f in body["files"])
    paths = {f.path for f in files}
    if len(paths) != len(files) or not {SETUP_FILE, POST_FILE} <= paths:
        raise ValueError("its file list repeats a path or lacks setup.json or post.json")
    setup, post, pusher = body["setup"], body["post"], body.get("pusher") or {}
    if not isinstance(setup, dict) or not isinstance(post, dict) or not isinstance(pusher, dict):
        raise TypeError("setup, post and pusher must be objects")
    if post.get("status") != "ok":
        raise ValueError("its post.json does not say the job finished")
    return Manifest(str(body["hash"]), str(body["id"]), str(body["method"]), setup, post, files,
                    {str(k): str(v) for k, v in pusher.items()}, float(body.get("created", 0)))


def _entry(item: Any) -> FileEntry:
    path, digest, size, mode = item["path"], item["blake3"], item["size"], item["mode"]
    if not isinstance(path, str) or not safe_path(path):
        raise ValueError(f"file path {path!r} leaves the job directory")
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise ValueError(f"file {path}: {digest!r} is not a blake3 digest")
    if not isinstance(size, int) or size < 0 or not isinstance(mode, int) \
            or not 0 <= mode <= 0o7777:
        raise ValueError(f"file {path}: bad size or mode")
    return FileEntry(path, digest, size, mode & 0o777)  # no setuid from a remote


def safe_path(path: str) -> bool:
    """A relative path that stays inside the directory it is joined to."""
    parts = path.split("/")
    return (bool(path) and not path.startswith("/") and "\\" not in path and "\0" not in path
            and all(p not in ("", ".", "..") for p in parts))


def _files(root: Path) -> Iterator[tuple[str, str, os.stat_result]]:
    """(relative path, full path, stat) of every file under ``root`` (links followed to
    files, as post.json lists them), in name order. A link that leads out of the job
    directory is refused: pushing it would publish a file of this machine's that the job
    never wrote (``/etc/hostname``, a key)."""
    stack = [(str(root), "")]
    found = []
    inside = os.path.realpath(root) + os.sep
    while stack:
        directory, prefix = stack.pop()
        with os.scandir(directory) as scan:
            for entry in scan:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, f"{prefix}{entry.name}/"))
                elif entry.is_file():
                    target = os.path.realpath(entry.path)
                    if entry.is_symlink() and not target.startswith(inside):
                        raise StorageError(f"{prefix}{entry.name} is a link out of the job "
                                           f"directory (to {target}): a job holding one is "
                                           "not pushed", where=str(root))
                    found.append((prefix + entry.name, entry.path, os.stat(entry.path)))
    yield from sorted(found)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container, say)
        return str(os.getuid())
