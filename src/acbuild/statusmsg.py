"""``with status("text"):`` — what a method says it is doing, as a stack (nested ``with``
blocks), as the Accelerator's ``status``. An error raised inside one carries the stack
as it was when the error happened, so that the failed job's report says
"status when the error happened: loading › parsing line 7".

Per process: a slice (forked from its job) starts with the job's stack and keeps its
own. Standard library only: the job process imports this.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

_STACK: list[str] = []
ATTRIBUTE = "_acbuild_status"  # on an exception: the stack when it was raised
SEPARATOR = " › "


@contextlib.contextmanager
def status(text: object) -> Iterator[Callable[[object], None]]:
    """Say what the code inside does; yields ``update(text)`` to change what it says."""
    _STACK.append(str(text))
    depth = len(_STACK)

    def update(new: object) -> None:
        _STACK[depth - 1] = str(new)

    try:
        yield update
    except BaseException as exc:
        # The innermost block sees the error first: the stack is recorded there, whole.
        if not hasattr(exc, ATTRIBUTE):
            with contextlib.suppress(AttributeError, TypeError):
                setattr(exc, ATTRIBUTE, tuple(_STACK))
        raise
    finally:
        del _STACK[depth - 1:]


def current() -> tuple[str, ...]:
    """The stack now, outermost first."""
    return tuple(_STACK)


def of(exc: BaseException) -> tuple[str, ...]:
    """The stack when ``exc`` was raised inside ``status`` blocks; () if it was not."""
    found = getattr(exc, ATTRIBUTE, ())
    return found if isinstance(found, tuple) else ()


def describe(stack: tuple[str, ...]) -> str:
    return f"status when the error happened: {SEPARATOR.join(stack)}"
