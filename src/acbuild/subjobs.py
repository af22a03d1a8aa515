"""Subjobs: a running job asks the ``acbuild run`` that started it to build (or reuse) a
job, and waits for it (``from acbuild import subjobs; subjobs.build(method, **kw)``).

This is the job process's side only: the request goes, as one JSON line, over the
channel the launcher gave the job (``acbuild.child.channel``); the run's engine answers
with the job's id and directory, or why it could not. Standard library and layer-0 only:
every job process may import this.
"""

from __future__ import annotations

import _thread
import json
import os
from collections.abc import Mapping
from typing import Any

from acbuild import canonical
from acbuild.errors import SubjobError
from acbuild.job import Job, JobWithFile

# In a job process: the job's end of its channel to the launcher, and the job's pid (a
# slice, forked from the job, has the fd too, but is not the job: it is refused).
_CHANNEL: tuple[int, int] | None = None
# What this job's subjobs.build calls got: id -> "built" or "reused" (post.json's "subjobs").
_RECORDED: dict[str, str] = {}
# One request at a time on the channel: threads of a job that build subjobs at once take
# turns (a reply is read by the thread that asked). _thread: built in, costs no import.
_TURN = _thread.allocate_lock()


def connect(fd: int) -> None:
    """In a freshly forked job process: ``fd`` is its channel."""
    global _CHANNEL
    _CHANNEL = (fd, os.getpid())
    _RECORDED.clear()


def recorded() -> dict[str, str]:
    return dict(_RECORDED)


def build(method: str, options: Mapping[str, Any] | None = None,
          jobs: Mapping[str, Any] | None = None, name: str | None = None,
          force: bool = False, **params: Any) -> Job:
    """Build (or reuse) a job of ``method``, as ``urd.build`` takes it, and wait until it is
    finished; returns its handle (``.load()``, ``.path``, ``.open()``, ``.id``). Only in a
    job's ``prepare`` or ``synthesis``."""
    fd = _channel()
    if not isinstance(method, str):
        raise SubjobError(f"subjobs.build takes a method name (a str) first, got "
                          f"{type(method).__name__}")
    if name is not None and not isinstance(name, str):
        raise SubjobError(f"subjobs.build(name=...) takes a str, got {type(name).__name__}")
    request = {"op": "build", "method": method, "name": name, "force": bool(force),
               "options": None if options is None else _encode(dict(options), "options"),
               "jobs": None if jobs is None else _encode(dict(jobs), "jobs"),
               "params": _encode(params, "params")}
    with _TURN:
        reply = _ask(fd, request)
    if not reply.get("ok"):
        raise SubjobError(str(reply.get("message", "the subjob was refused")))
    job_id, state = str(reply["id"]), str(reply["state"])
    if _RECORDED.get(job_id) != "built":
        _RECORDED[job_id] = state
    return Job(reply["path"], job_id)


def _channel() -> int:
    if _CHANNEL is None:
        raise SubjobError("subjobs.build works only inside a job that `acbuild run` runs "
                          "on this machine (in its prepare or synthesis); a job on a Dask "
                          "worker cannot build subjobs")
    fd, pid = _CHANNEL
    if os.getpid() != pid:
        raise SubjobError("subjobs.build is refused in analysis (and in any process the "
                          "job forked): a slice runs beside its siblings, and one "
                          "waiting for a job would hold the run's slots; build subjobs "
                          "in prepare or synthesis")
    return fd


def _encode(values: dict[str, Any], what: str) -> dict[str, Any]:
    """Each value as JSON: a job handle by its id (an input job), else the canonical form
    (an option: dates, paths and the rest round-trip)."""
    encoded: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Job):
            encoded[key] = {"job": str(value.id)}
        elif (isinstance(value, (list, tuple)) and any(isinstance(v, Job) for v in value)
              and all(v is None or isinstance(v, Job) for v in value)):
            # a list input: its jobs by id, None where none is given, in order
            encoded[key] = {"jobs": [None if v is None else str(v.id) for v in value]}
        else:
            encoded[key] = {"value": canonical.to_json(_job_files(value),
                                                       where=f"subjobs.build {what} {key!r}")}
    return encoded


def _job_files(value: Any) -> Any:
    """A withfile option (``jobs.x.withfile(name)``) at any depth as the ``JobFile`` a
    script gives, its job by id only: the run knows the job's hash."""
    if isinstance(value, JobWithFile):
        return canonical.JobFile("", str(value.job.id), value.name, value.sliced)
    if isinstance(value, (list, tuple)):
        return type(value)(_job_files(item) for item in value)
    if isinstance(value, dict):  # an OrderedDict stays one
        return type(value)((key, _job_files(item)) for key, item in value.items())
    return value


def _ask(fd: int, request: dict[str, Any]) -> dict[str, Any]:
    data = (json.dumps(request) + "\n").encode()
    try:
        while data:
            data = data[os.write(fd, data):]
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise SubjobError("the run that started this job stopped answering "
                                  "(it was interrupted or ended)")
            reply += chunk
    except OSError as e:
        raise SubjobError(f"cannot reach the run that started this job: {e}") from None
    answer: dict[str, Any] = json.loads(reply)
    return answer
