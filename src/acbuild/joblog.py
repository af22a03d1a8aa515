"""A job's logs: where each part of a job writes what it prints, and reading a part back.

The parts that run one after the other — ``load`` (the method's import), ``prepare``,
the start of ``analysis``, ``synthesis`` — write to ``stdout.log`` and ``stderr.log``,
each after a marker line (``--- acbuild: prepare ---``). The analysis slices run at
once, so each writes its own pair, ``slice-logs/<N>.stdout.log`` and
``<N>.stderr.log``, after its own marker: no slice writes under another's. Read in
order — the main log up to and including its ``analysis`` marker, the slices in slice
order, the rest of the main log — they are the job's whole log, as ``acbuild show
--log`` prints it.

Standard library only, and nothing else of acbuild: the job process imports this.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from pathlib import Path
from typing import BinaryIO

STREAMS = ("stdout", "stderr")
LOGS = ("stdout.log", "stderr.log")
SLICE_LOGS = "slice-logs"  # the slices' own logs, in the job directory
MARKER = "--- acbuild: "  # a marker line starts so: bookkeeping, not the job's output
PARTS = ("load", "prepare", "analysis", "synthesis")
_ANALYSIS_MARK = b"--- acbuild: analysis ---\n"
# Compiled at first use (re's cache keeps them): every process that imports acbuild imports
# this module, few read a log.
_MARK_LINE = rb"(?m)^--- acbuild: ([^\n]*) ---\n?"
_SLICE_LOG = r"(\d+)\.(stdout|stderr)\.log"


def marker(part: str) -> bytes:
    """The line that opens ``part`` (a phase, or ``analysis slice N``) in a log."""
    return f"{MARKER}{part} ---\n".encode()


def slice_log(sliceno: int, stream: str) -> str:
    """The name of a slice's log inside ``SLICE_LOGS``."""
    return f"{sliceno}.{stream}.log"


def slice_logs(job_dir: str | os.PathLike[str], stream: str) -> list[tuple[int, Path]]:
    """(slice number, path) of each slice log of ``stream`` there is, in slice order."""
    root = Path(job_dir, SLICE_LOGS)
    if os.path.islink(root):
        return []  # not the job's: what it leads to is not read
    try:
        names = os.listdir(root)
    except OSError:  # no analysis (or no such job)
        return []
    found = []
    slice_log = re.compile(_SLICE_LOG)
    for name in names:
        match = slice_log.fullmatch(name)
        if match and match[2] == stream:
            found.append((int(match[1]), root / name))
    return sorted(found)


def read_log(job_dir: str | os.PathLike[str], stream: str = "stdout") -> bytes:
    """The job's whole log of ``stream``, markers included: the main log with each slice's
    log in its place (after the ``analysis`` marker)."""
    return b"".join(_read(*segment) for segment in _segments(job_dir, stream))


def read_output(job_dir: str | os.PathLike[str], part: str | int | None = None,
                stream: str = "stdout") -> str:
    """What a part of the job printed on ``stream``, without acbuild's markers: ``None``
    for all of it, ``"load"``, ``"prepare"``, ``"analysis"`` (every slice, in order),
    ``"synthesis"``, or a slice number. A part that printed nothing gives ``""``."""
    if stream not in STREAMS:
        raise ValueError(f"no stream {stream!r}; there are {', '.join(STREAMS)}")
    if part is None:
        data = read_log(job_dir, stream)
    elif isinstance(part, int) and not isinstance(part, bool):
        data = b"".join(_read(path) for n, path in slice_logs(job_dir, stream) if n == part)
    elif part == "analysis":
        data = b"".join(_read(path) for _, path in slice_logs(job_dir, stream))
    elif part in PARTS:
        data = _section(_read(Path(job_dir, f"{stream}.log")), part)
    else:
        raise ValueError(f"no part {part!r} of a job; there are {', '.join(PARTS)}, a slice "
                         "number, or None for all")
    return re.sub(_MARK_LINE, b"", data).decode(errors="replace")


def tail(job_dir: str | os.PathLike[str], stream: str = "stdout", lines: int = 20,
         limit: int = 8192) -> list[str]:
    """The last ``lines`` lines of the whole log of ``stream``, from its last ``limit``
    bytes: a huge log is not read whole."""
    pieces: list[bytes] = []
    for path, start, end in reversed(_segments(job_dir, stream)):
        if limit <= 0:
            break
        piece = _read(path, max(start, end - limit), end)
        limit -= len(piece)
        pieces.append(piece)
    return b"".join(reversed(pieces)).decode(errors="replace").splitlines()[-lines:]


STDERR_MARK = "[stderr] "  # a line of stderr in a merged log


def merged_tail(job_dir: str | os.PathLike[str], lines: int = 20,
                limit: int = 8192) -> list[str]:
    """The last ``lines`` lines of the job's log, both streams in one: each part's marker
    once (both streams have it), then what the part printed on stdout, then its stderr,
    each line of that marked ``[stderr] ``. (The two streams are kept apart, so lines of
    one part are merged by stream, not by the moment they were printed.)"""
    sections: dict[str, list[str]] = {}
    mark_line = re.compile(_MARK_LINE)
    for stream in STREAMS:
        part = ""  # before the first marker in the tail: the part it begins in
        for line in tail(job_dir, stream, lines, limit):
            match = mark_line.fullmatch(line.encode(errors="replace") + b"\n")
            if match:
                part = match[1].decode(errors="replace")
                sections.setdefault(part, [])
                continue
            sections.setdefault(part, []).append(
                line if stream == "stdout" else STDERR_MARK + line)
    merged = []
    for part in sorted(sections, key=_part_order):  # stderr's tail may reach further back
        body = sections[part]
        if part:
            merged.append(marker(part).decode().rstrip("\n"))
        merged.extend(body)
    return merged[-lines:]


def _part_order(part: str) -> tuple[int, int]:
    """Where a part comes in a job's log: a slice's after the analysis marker, in order;
    "" (the lines before the tail's first marker) first."""
    name, _, sliceno = part.partition(" slice ")
    if not part:
        return (-1, 0)
    if name in PARTS:
        return (PARTS.index(name), int(sliceno) + 1 if sliceno.isdigit() else 0)
    return (len(PARTS), 0)


def _segments(job_dir: str | os.PathLike[str], stream: str) -> list[tuple[Path, int, int]]:
    """The whole log as (file, start, end) pieces, in order."""
    main = Path(job_dir, f"{stream}.log")
    try:
        size = main.stat().st_size
    except OSError:
        size = 0
    at = _end_of_analysis_mark(main)
    slices = []
    for _, path in slice_logs(job_dir, stream):
        with contextlib.suppress(OSError):
            slices.append((path, 0, path.stat().st_size))
    if at is None:
        return [(main, 0, size), *slices]  # no analysis marker: a job killed before it
    return [(main, 0, at), *slices, (main, at, size)]


def _end_of_analysis_mark(log: Path) -> int | None:
    """Where the first ``analysis`` marker of a main log ends, read in chunks. (Not only at
    a line's start: a phase may have left its last line unfinished.)"""
    offset, carry = 0, b""
    try:
        with open_regular_file(log) as f:
            while chunk := f.read(1 << 20):
                data = carry + chunk
                at = data.find(_ANALYSIS_MARK)
                if at >= 0:
                    return offset - len(carry) + at + len(_ANALYSIS_MARK)
                offset += len(chunk)
                carry = data[-len(_ANALYSIS_MARK):]
    except OSError:
        pass
    return None


def _section(log: bytes, part: str) -> bytes:
    """What follows each marker of ``part`` in a main log, up to the next marker."""
    sections = []
    marks = list(re.finditer(_MARK_LINE, log))
    for i, mark in enumerate(marks):
        if mark[1].decode(errors="replace") == part:
            end = marks[i + 1].start() if i + 1 < len(marks) else len(log)
            sections.append(log[mark.end():end])
    return b"".join(sections)


def _read(path: Path, start: int = 0, end: int | None = None) -> bytes:
    try:
        with open_regular_file(path) as f:
            f.seek(start)
            return f.read(-1 if end is None else max(0, end - start))
    except OSError:
        return b""


def open_regular_file(path: Path | str) -> BinaryIO:
    """A job's log or record for reading: the regular file itself, never what a link in its
    place leads to (a file outside the job directory), never a FIFO (reading it would wait
    forever). OSError otherwise: ELOOP for a link, EINVAL for what is no regular file."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
