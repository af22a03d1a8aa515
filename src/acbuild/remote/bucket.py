"""The object store under the remote cache, and where things are in it.

```
<prefix>/blobs/<b3[:2]>/<b3>   every file of every job, named by the blake3 of its content
<prefix>/jobs/<job hash>.json  one signed manifest per job (the full hash, not the id)
```
The only module that imports ``obstore``. Turns obstore's exceptions into
answers (absent, present) or a ``RemoteError`` naming the remote; knows
nothing of jobs, manifests or keys.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import obstore
from obstore.exceptions import AlreadyExistsError, NotFoundError

from acbuild.config import RemoteConfig
from acbuild.errors import RemoteError

BLOBS = "blobs/"
JOBS = "jobs/"
MANIFEST_SUFFIX = ".json"
PAGE = 1000  # objects a listing request returns (S3's most)
# A remote that does not answer is a warning, and the run goes on: fail fast rather than
# retry for minutes (obstore's default is 10 retries within 3 minutes).
_CLIENT: Any = {"connect_timeout": "5s", "timeout": "120s"}
_RETRY: Any = {"max_retries": 2, "retry_timeout": datetime.timedelta(seconds=15)}
# "No such object": obstore raises the builtin FileNotFoundError, or its own NotFoundError.
_ABSENT = (NotFoundError, FileNotFoundError)


def blob_key(digest: str) -> str:
    return f"{BLOBS}{digest[:2]}/{digest}"


def manifest_key(job_hash: str) -> str:
    return f"{JOBS}{job_hash}{MANIFEST_SUFFIX}"


def hash_of(key: str) -> str | None:
    """The job hash a manifest's key names; None for any other key."""
    if key.startswith(JOBS) and key.endswith(MANIFEST_SUFFIX):
        return key[len(JOBS):-len(MANIFEST_SUFFIX)]
    return None


@dataclass(frozen=True)
class Entry:
    """An object as a listing shows it."""

    key: str
    size: int
    modified: float  # epoch seconds


class Bucket:
    """One remote: ``where`` is how messages name it (its url)."""

    def __init__(self, store: Any, where: str):
        self.store = store
        self.where = where

    @classmethod
    def open(cls, config: RemoteConfig) -> Bucket:
        return cls(_store(config), config.url)

    def get(self, key: str) -> bytes | None:
        """The object's content; None when there is none."""
        try:
            return bytes(obstore.get(self.store, key).bytes())
        except _ABSENT:
            return None
        except Exception as e:
            raise self._error("read", key, e) from None

    def chunks(self, key: str) -> Iterator[bytes] | None:
        """The object's content in pieces (a large file is never all in memory); None when
        there is none."""
        try:
            result = obstore.get(self.store, key)
        except _ABSENT:
            return None
        except Exception as e:
            raise self._error("read", key, e) from None
        return self._stream(iter(result.stream(min_chunk_size=1 << 20)), key)

    def _stream(self, stream: Iterator[Any], key: str) -> Iterator[bytes]:
        while True:
            try:
                chunk = next(stream)
            except StopIteration:
                return
            except Exception as e:  # the connection broke mid-way
                raise self._error("read", key, e) from None
            yield bytes(chunk)

    def exists(self, key: str) -> bool:
        try:
            obstore.head(self.store, key)
        except _ABSENT:
            return False
        except Exception as e:
            raise self._error("look up", key, e) from None
        return True

    def put(self, key: str, content: bytes | Path) -> None:
        """Write an object whole (a reader sees all of it or nothing), replacing any."""
        try:
            obstore.put(self.store, key, content)
        except Exception as e:
            raise self._error("write", key, e) from None

    def create(self, key: str, content: bytes) -> bool:
        """Write an object only if there is none (``If-None-Match: *``); False when there
        was one, which is left as it was."""
        try:
            obstore.put(self.store, key, content, mode="create")
        except AlreadyExistsError:
            return False
        except Exception as e:
            raise self._error("write", key, e) from None
        return True

    def delete(self, key: str) -> None:
        try:
            obstore.delete(self.store, key)
        except _ABSENT:
            return
        except Exception as e:
            raise self._error("delete", key, e) from None

    def pages(self, prefix: str) -> Iterator[list[Entry]]:
        """The objects under ``prefix``, a page (one request, up to 1,000) at a time."""
        try:
            for batch in obstore.list(self.store, prefix, chunk_size=PAGE):
                yield [Entry(m["path"], int(m["size"]), m["last_modified"].timestamp())
                       for m in batch]
        except _ABSENT:
            return
        except Exception as e:
            raise self._error("list", prefix, e) from None

    def probe(self) -> None:
        """One request that fails when the remote is unreachable or misnamed (a bucket that
        does not exist answers a lookup with "absent", which would look like a cold cache)."""
        from obstore.store import LocalStore

        if isinstance(self.store, LocalStore) and not Path(self.store.prefix or "/").is_dir():
            # A vanished directory (an unmounted share) lists as empty: a cold cache, silently.
            raise RemoteError(f"remote cache {self.where}: the directory does not exist")
        try:
            obstore.list_with_delimiter(self.store, JOBS)
        except Exception as e:
            raise self._error("list", JOBS, e) from None

    def _error(self, doing: str, key: str, error: Exception) -> RemoteError:
        # obstore's messages end in a page of debug detail: the first line says it.
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return RemoteError(f"remote cache {self.where}: cannot {doing} {key}: {first}")


def _store(config: RemoteConfig) -> Any:
    from obstore.store import LocalStore, S3Store, from_url

    try:
        if config.scheme == "file":
            path = config.url[len("file://"):]
            return LocalStore(path)
        if config.scheme == "s3":
            bucket, _, prefix = config.url[len("s3://"):].partition("/")
            options: dict[str, Any] = {}
            if config.endpoint:
                options["endpoint"] = config.endpoint
                options["allow_http"] = config.endpoint.startswith("http://")
            return S3Store(bucket, prefix=prefix.strip("/") or None, client_options=_CLIENT,
                           retry_config=_RETRY, **options)
        return from_url(config.url, client_options=_CLIENT, retry_config=_RETRY)
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RemoteError(f"remote cache {config.url} cannot be opened: {first}",
                          hint="for file://, the directory must exist") from None
