"""Following a running job's logs: the lines it printed since we last looked.

The engine asks a ``LogFollower`` between waits when ``run -v`` streams jobs'
output; without ``-v`` none is made, so a plain run reads no log. Follows the
job's main logs and each analysis slice's own (``acbuild.joblog``); knows
nothing of jobs, events or the terminal.
"""

from __future__ import annotations

import os
from pathlib import Path

from acbuild.joblog import MARKER, STREAMS, slice_logs

READ_LIMIT = 1 << 16  # per log per look, so a chatty job cannot stall the scheduler


class LogFollower:
    """The new complete lines of one job directory's logs, look after look."""

    def __init__(self, job_dir: Path):
        self.job_dir = job_dir
        self._offsets: dict[Path, int] = {}
        self._partial: dict[Path, bytes] = {}

    def poll(self, final: bool = False) -> list[tuple[str, str]]:
        """(stream, line) for each line written since the last poll; ``final`` also returns
        an unfinished last line (the job has ended)."""
        lines = []
        for stream, log in self._logs():
            data = self._partial.get(log, b"") + self._read(log, final)
            *complete, rest = data.split(b"\n")
            if final and rest:
                complete.append(rest)
                rest = b""
            self._partial[log] = rest
            for raw in complete:
                text = raw.decode(errors="replace").rstrip("\r")
                if not text.startswith(MARKER):
                    lines.append((stream, text))
        return lines

    def _logs(self) -> list[tuple[str, Path]]:
        """The main logs, then each slice's, in slice order."""
        logs = [(stream, self.job_dir / f"{stream}.log") for stream in STREAMS]
        for stream in STREAMS:
            logs += [(stream, path) for _, path in slice_logs(self.job_dir, stream)]
        return logs

    def _read(self, log: Path, final: bool) -> bytes:
        try:
            fd = os.open(log, os.O_RDONLY)
        except OSError:
            return b""
        try:
            chunks = []
            while True:
                chunk = os.pread(fd, READ_LIMIT, self._offsets.get(log, 0))
                self._offsets[log] = self._offsets.get(log, 0) + len(chunk)
                chunks.append(chunk)
                if not final or len(chunk) < READ_LIMIT:
                    return b"".join(chunks)
        finally:
            os.close(fd)
