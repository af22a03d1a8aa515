"""Following a running job's logs: the lines it printed since we last looked.

The engine asks a ``LogFollower`` between waits when ``run -v`` streams jobs'
output; without ``-v`` none is made, so a plain run reads no log. Knows the
log file names and nothing of jobs, events or the terminal.
"""

from __future__ import annotations

import os
from pathlib import Path

LOGS = ("stdout.log", "stderr.log")
MARKER = "--- acbuild: "  # the child's phase markers: bookkeeping, not the job's output
READ_LIMIT = 1 << 16  # per log per look, so a chatty job cannot stall the scheduler


class LogFollower:
    """The new complete lines of one job directory's logs, look after look."""

    def __init__(self, job_dir: Path):
        self.job_dir = job_dir
        self._offsets = dict.fromkeys(LOGS, 0)
        self._partial = dict.fromkeys(LOGS, b"")

    def poll(self, final: bool = False) -> list[tuple[str, str]]:
        """(stream, line) for each line written since the last poll; ``final`` also returns
        an unfinished last line (the job has ended)."""
        lines = []
        for name in LOGS:
            data = self._partial[name] + self._read(name, final)
            *complete, rest = data.split(b"\n")
            if final and rest:
                complete.append(rest)
                rest = b""
            self._partial[name] = rest
            stream = name.split(".")[0]
            for raw in complete:
                text = raw.decode(errors="replace").rstrip("\r")
                if not text.startswith(MARKER):
                    lines.append((stream, text))
        return lines

    def _read(self, name: str, final: bool) -> bytes:
        try:
            fd = os.open(self.job_dir / name, os.O_RDONLY)
        except OSError:
            return b""
        try:
            chunks = []
            while True:
                chunk = os.pread(fd, READ_LIMIT, self._offsets[name])
                self._offsets[name] += len(chunk)
                chunks.append(chunk)
                if not final or len(chunk) < READ_LIMIT:
                    return b"".join(chunks)
        finally:
            os.close(fd)
