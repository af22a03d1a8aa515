"""How a run is stopped: Ctrl-C, SIGTERM and SIGHUP alike, and a clean-up no second
signal cuts short.

It owns the signal handlers a run installs and the ``Stop`` interrupt they raise; it
starts, stops and records nothing itself (the engine and the session do).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

# What stops a run: Ctrl-C, a `kill` (SIGTERM) and a closed terminal (SIGHUP), alike.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stop(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived while a run lasted. A KeyboardInterrupt, so that every
    place that handles Ctrl-C handles it the same way."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def signal_of(interrupt: KeyboardInterrupt) -> int:
    """The signal behind an interrupt: SIGINT for Ctrl-C, else the one ``Stop`` carries."""
    return getattr(interrupt, "signum", signal.SIGINT)


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[None]:
    """While a run lasts, SIGTERM and SIGHUP stop it as Ctrl-C does (they raise ``Stop``):
    the running jobs are stopped and kept, the run is recorded as interrupted. A signal
    the caller ignores (``nohup``) stays ignored; outside the main thread nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise Stop(signum)

    previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS[1:]
                if signal.getsignal(s) == signal.SIG_DFL}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def signals_ignored() -> Iterator[None]:
    """A second Ctrl-C (or SIGTERM, SIGHUP) must not cut the clean-up short: it is what
    keeps the state sound and records the run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
