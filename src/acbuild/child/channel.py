"""The launcher's side of each job's channel: a socket pair made before the job is forked,
one end the job's (``acbuild.subjobs``), the other watched here. A job's request (a JSON
line: ``subjobs.build``) goes to the parent as ``{"event": "request", "token", "request"}``;
the parent's ``{"op": "reply", "token", "reply"}`` comes back to the job as one line.

A channel costs a job one socketpair and its closing: a few syscalls, whether or not the
job asks anything.
"""

from __future__ import annotations

# _socket, not socket: the C module alone imports in a tenth of the time, and the
# launcher's start is on the way to every run's first job.
import _socket
import contextlib
import json
import os
from collections.abc import Callable
from typing import Any


class Channels:
    """The channels of the running jobs, by the launcher's fd and by job token."""

    def __init__(self, register: Callable[[int], None], unregister: Callable[[int], None]):
        self._register, self._unregister = register, unregister
        self.by_fd: dict[int, int] = {}  # launcher's end -> token
        self.by_token: dict[int, int] = {}
        self._pending: dict[int, bytes] = {}

    @staticmethod
    def pair() -> tuple[int, int]:
        """(the launcher's end, the job's end), before the fork."""
        ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)
        return ours.detach(), theirs.detach()

    def watch(self, token: int, ours: int, theirs: int) -> None:
        """After the fork, in the launcher: the job's end is the job's alone."""
        os.close(theirs)
        self.by_fd[ours], self.by_token[token] = token, ours
        self._register(ours)

    def read(self, fd: int) -> tuple[int, list[dict[str, Any]]]:
        """The token of the job behind ``fd`` and its whole requests (none at EOF: the
        channel is then closed)."""
        token = self.by_fd[fd]
        data = b""
        with contextlib.suppress(OSError):
            data = os.read(fd, 1 << 16)
        if not data:
            self.forget(token)
            return token, []
        *lines, self._pending[fd] = (self._pending.get(fd, b"") + data).split(b"\n")
        requests = []
        for line in filter(None, lines):
            with contextlib.suppress(ValueError):  # not from our code: no answer
                requests.append(json.loads(line))
        return token, requests

    def reply(self, token: int, reply: dict[str, Any]) -> None:
        fd = self.by_token.get(token)
        if fd is None:
            return  # the job has ended: nobody is left to answer
        data = (json.dumps(reply) + "\n").encode()
        try:
            while data:
                data = data[os.write(fd, data):]
        except OSError:
            self.forget(token)

    def forget(self, token: int) -> None:
        fd = self.by_token.pop(token, None)
        if fd is None:
            return
        del self.by_fd[fd]
        self._pending.pop(fd, None)
        self._unregister(fd)
        os.close(fd)
