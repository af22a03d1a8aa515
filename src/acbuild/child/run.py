"""One job, in its own process: read ``setup.json``, run prepare, the analysis slices and
synthesis, and write ``result.pickle``, the logs and ``post.json``."""

from __future__ import annotations

import contextlib
import io
import json
import json.encoder
import os
import sys
import time
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

from acbuild import jobfiles, results, statusmsg, subjobs
from acbuild.canonical import InputFile, JobFile, from_json
from acbuild.child import process
from acbuild.child.phases import JobFailure, Phase, Phases, _method_phases
from acbuild.child.process import (
    _cpu,
    _leave_unless,
    _marker,
    _method_frames,
    _open_logs,
    _since,
    _usage_so_far,
)
from acbuild.child.slices import _run_analysis
from acbuild.early import FinishEarly
from acbuild.errors import StorageError
from acbuild.hashing import hash_file
from acbuild.job import (
    RESULT_FILE,
    WITHFILE,
    Job,
    JobDir,
    JobList,
    JobWithFile,
    Namespace,
    namespaces,
)
from acbuild.joblog import LOGS, SLICE_LOGS
from acbuild.merge import AnalysisResults

SETUP_FORMAT = 1
POST_FORMAT = 1
SETUP_FILE = "setup.json"
POST_FILE = "post.json"


def _post_encoder() -> Any:
    """json's C encoder as json.dumps makes it, or None (then json.dumps is used): where
    there is none, or where this Python's takes other arguments or writes other bytes
    (``c_make_encoder`` is json's own, not a public call)."""
    make: Any = getattr(json.encoder, "c_make_encoder", None)
    sample = {"a": [1, 2.5, None, True], "é": "\u2028\n", "b": {}}
    try:
        encode = make(None, json.JSONEncoder().default, json.encoder.encode_basestring_ascii,
                      None, ": ", ", ", False, False, True)
        if "".join(encode(sample, 0)) == json.dumps(sample):
            return encode
    except Exception:  # any failure: json.dumps it is
        pass
    return None


# post.json's encoder, made once in the launcher: json.dumps makes an encoder object, a
# closure and its C encoder each call, which cost a job process ~40 copied memory pages.
# The same bytes as json.dumps (ASCII, its separators; no check for cycles: it is ours).
_ENCODE = _post_encoder()
# acbuild's own bookkeeping at the top of a job directory, which post.json's "files" omits.
UNLISTED = frozenset({SETUP_FILE, POST_FILE, *LOGS, SLICE_LOGS, "source",
                      statusmsg.STATUS_FILE})


def read_setup(job_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The job's setup.json; one of a newer format than this acbuild knows is refused."""
    path = os.path.join(job_dir, SETUP_FILE)
    with open(path, "rb") as f:
        setup: dict[str, Any] = json.load(f)
    if not isinstance(setup.get("format"), int) or setup["format"] > SETUP_FORMAT:
        raise StorageError(f"format {setup.get('format')!r}, but this acbuild reads format "
                           f"{SETUP_FORMAT} or older", where=path, hint="upgrade acbuild")
    return setup


# ---- one job, in its own process --------------------------------------------

def run_job(job_dir: str, concurrency: int, module: ModuleType | BaseException,
            setup: dict[str, Any] | None = None) -> int:
    """Run one job in this process; returns its exit status, 0 (ok) or 1 (failed).

    ``module`` is the method, or the exception that stopped its import (the job then
    fails in phase "load"); ``setup`` is read from the job directory when not given.
    """
    job_dir = os.path.abspath(job_dir)
    # The job's records are written through this fd, never by a name a method could have
    # moved (os.chdir, a renamed directory): they land in this directory or nowhere.
    process._JOB_DIR, process._JOB_PID = JobDir(job_dir), os.getpid()
    dir_fd = process._job_dir_fd()
    os.fchdir(dir_fd)  # job.path is the staging directory: relative names work
    statusmsg.publish_to(process._job_dir_fd)
    _open_logs(dir_fd)
    line_buffered()
    start, began = time.time(), time.monotonic()
    phases: dict[str, Any] = {}
    if process._LOAD is not None:  # the launcher imported the method for this job: its time
        phases["load"] = process._LOAD  # is the job's (started when the import did)
        start, began = start - process._LOAD["wall"], began - process._LOAD["wall"]
    error = None
    try:
        if isinstance(module, BaseException):
            raise JobFailure.of("load", None, module, _past_acbuild(module.__traceback__))
        functions = _method_phases(module)
        wanted = {name for _, names in functions.values() for name in names}
        _run_phases(functions, _arguments(job_dir, setup, wanted, module), concurrency, phases)
        _remove_temps(job_dir)
    except JobFailure as failure:
        error = failure.record
        _say(str(error["traceback"]))
    try:
        _write_post(start, began, phases, error)
    except OSError as exc:  # its directory removed, say: the engine sees it is gone
        _say(f"acbuild: the job's post.json cannot be written: {exc}\n")
        return 1
    return 0 if error is None else 1


def _say(text: str) -> None:
    """To the job's stderr.log, if the method left it open."""
    with contextlib.suppress(Exception):
        print(text, file=sys.stderr, end="", flush=True)


def line_buffered() -> None:
    """Line-buffered stdout and stderr: a crash loses at most a partial line. Done once in
    the launcher, so that the jobs forked from it find it done."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and not stream.line_buffering:
            stream.reconfigure(line_buffering=True)


def _arguments(job_dir: str, setup: dict[str, Any] | None, wanted: set[str],
               module: ModuleType) -> dict[str, Any]:
    """The arguments the phase functions name (``wanted``), and the slice count. Only those
    are made, and ``options`` and ``jobs``, which also become the method module's globals
    of those names, as in the Accelerator (the slices, forked later, have them too): every
    object a job process touches costs it copied memory pages."""
    try:
        setup = setup if setup is not None else read_setup(job_dir)
        args: dict[str, Any] = {"slices": setup["slices"], "prepare_res": None,
                                "analysis_res": None}
        if "job" in wanted:
            args["job"] = Job(job_dir, setup["id"], writable=True)
        if "params" in wanted:
            args["params"] = namespaces(setup)
        # In setup.json's (sorted) order, the one the job's identity was computed from.
        inputs = setup["inputs"]
        args["options"] = namespaces(_resolve_files(from_json(setup["options"]),
                                                    setup["project_root"], inputs))
        # A withfile option's job is an input ("withfile:..."), reached through the option.
        args["jobs"] = Namespace({name: _input_job(info) for name, info in inputs.items()
                                  if not name.startswith(WITHFILE)})
        vars(module).update(options=args["options"], jobs=args["jobs"])
        return args
    except Exception as exc:
        raise JobFailure.of("load", None, exc) from None


def _past_acbuild(tb: TracebackType | None) -> TracebackType | None:
    """A failed import's traceback from the method's first frame on: the frames before it
    are the launcher's and the source importer's (None when all are: acbuild's own error
    is then shown whole)."""
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_ACBUILD_DIR):
        tb = tb.tb_next
    return tb


_ACBUILD_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _input_job(info: Any) -> Any:
    """An input's handle (None when absent); a list input's, a list of them, in order."""
    if type(info) is list:
        return JobList(_input_job(item) for item in info)
    return Job(info["path"], info["id"]) if info else None


def _resolve_files(value: Any, root: str, inputs: dict[str, Any]) -> Any:
    """Input files become absolute paths, and files of other jobs (withfile) JobWithFiles,
    also inside lists and dicts."""
    if isinstance(value, InputFile):
        return Path(root, value.relpath)
    if isinstance(value, JobFile):
        return JobWithFile(Job(_withfile_path(value, inputs), value.id), value.name,
                           value.sliced)
    if isinstance(value, (list, tuple)):
        return type(value)(_resolve_files(item, root, inputs) for item in value)
    if isinstance(value, dict):  # an OrderedDict stays one
        return type(value)((key, _resolve_files(item, root, inputs))
                           for key, item in value.items())
    return value


def _withfile_path(jobfile: JobFile, inputs: dict[str, Any]) -> str:
    for name, info in inputs.items():
        if name.startswith(WITHFILE) and info and info["id"] == jobfile.id:
            return str(info["path"])
    raise ValueError(f"setup.json names no input for the file {jobfile.name!r} of {jobfile.id}")


def _run_phases(functions: Phases, args: dict[str, Any], concurrency: int,
                phases: dict[str, Any]) -> None:
    result, producer = _phases(functions, args, concurrency, phases)
    if result is not None:
        try:
            data = results.dumps(result)  # defaultdicts as dicts
        except Exception as exc:
            raise JobFailure.of(producer, None, exc) from None
        _write_record(RESULT_FILE, data)


def _phases(functions: Phases, args: dict[str, Any], concurrency: int,
            phases: dict[str, Any]) -> tuple[Any, str]:
    """Run the phases; the job's result and the phase that gave it. A phase that called
    ``job.finish_early()`` is the last (in analysis: when every slice called it)."""
    result, producer = None, ""
    if "prepare" in functions:
        result, early = _call("prepare", functions["prepare"], args, phases)
        args["prepare_res"], producer = result, "prepare"
        if early:
            return result, producer
    if "analysis" in functions:
        values, early = _run_analysis(functions["analysis"], args, concurrency, phases)
        args["analysis_res"] = AnalysisResults(values)
        if early:
            return None, "analysis"
    if "synthesis" in functions:
        result, _ = _call("synthesis", functions["synthesis"], args, phases)
        producer = "synthesis"
    return result, producer


def _call(phase: str, function: Phase, args: dict[str, Any], phases: dict[str, Any]
          ) -> tuple[Any, bool]:
    """What the phase returned (or gave ``job.finish_early``), and whether it ended early;
    its background saves are written by then."""
    _marker(phase)
    began, cpu = time.monotonic(), _cpu()
    try:
        try:
            value, early = function[0](**{name: args[name] for name in function[1]}), False
        except FinishEarly as finish:
            value, early = finish.result, True
        jobfiles.wait_background()
        return value, early
    except BaseException as exc:  # SystemExit too: it fails the phase, not the bookkeeping
        jobfiles.reap_background()
        raise JobFailure.of(phase, None, exc, _method_frames(exc)) from None
    finally:
        _leave_unless(process._JOB_PID)
        phases[phase] = {"wall": _since(began), "cpu": round(_cpu() - cpu, 6)}


def _remove_temps(job_dir: str) -> None:
    """The job has finished: its temporary files go (a failed job keeps them, to look at)."""
    try:
        if jobfiles._TEMP:
            jobfiles.remove_temps(Job(job_dir, writable=True))
    except Exception as exc:
        raise JobFailure.of("finish", None, exc) from None


def _write_post(start: float, began: float, phases: dict[str, Any],
                error: dict[str, Any] | None) -> None:
    # The method's code has all run: the job's directory is the current one again, wherever
    # the method went, so that the listing is of this job.
    os.fchdir(process._job_dir_fd())
    if error is None:  # a finished job is doing nothing; a failed one keeps its last words
        statusmsg.withdraw()
    files = dict(sorted(_list_files(".", "").items()))
    cpu, peak_rss_kib = _usage_so_far()
    post: dict[str, Any] = {
        "format": POST_FORMAT, "status": "ok" if error is None else "failed",
        "start": start, "end": time.time(), "wall": _since(began),
        "cpu": cpu, "peak_rss_kib": peak_rss_kib, "phases": phases,
        "files": files, **({} if error is None else {"error": error})}
    built = subjobs.recorded()
    if built:
        post["subjobs"] = built  # id -> built or reused: the jobs its subjobs.build made
    # Written in place (the engine takes a post.json it cannot parse for a failed job, and
    # nobody else reads one before the job directory is published), with plain os calls:
    # a file object is more for the job process to touch. No indent: json's C encoder.
    text = json.dumps(post) if _ENCODE is None else "".join(_ENCODE(post, 0))
    _write_record(POST_FILE, (text + "\n").encode())


def _write_record(name: str, data: bytes) -> None:
    """Write one of acbuild's records into the job directory, through its fd, as a new
    file (``statusmsg.write_new``)."""
    statusmsg.write_new(process._job_dir_fd(), name, data)


def _list_files(directory: str, prefix: str) -> dict[str, dict[str, Any]]:
    """Size, mtime and blake3 of every file under ``directory`` that the job wrote (size and
    mtime tell a later run, without reading it, that a file is no longer what it wrote)."""
    files = {}
    with os.scandir(directory) as entries:
        for entry in entries:
            if not prefix and entry.name in UNLISTED:
                continue
            if entry.is_dir(follow_symlinks=False):
                files.update(_list_files(entry.path, f"{prefix}{entry.name}/"))
            elif entry.is_file():
                st = entry.stat()
                files[prefix + entry.name] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns,
                                              "blake3": hash_file(entry.path)}
    return files
