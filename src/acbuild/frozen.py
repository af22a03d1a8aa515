"""Frozen records that cost nothing to define: what ``@dataclass(frozen=True)`` gives.

A frozen dataclass costs ~0.4 ms to define (and ``dataclasses`` to import), at every start
of every command and in every job process: the records that ``import acbuild`` and a no-op
run define (``Required``, ``InputFile``, ...) are ``Frozen`` instead (issue 12, start-up).
A subclass names its fields in ``__slots__`` (in its ``__init__``'s order) and sets them
with ``object.__setattr__``; it gets equality and hashing over its fields (``_compared``,
when not all of them), a dataclass's repr (``_shown``), and refusal to change. Standard
library only; knows nothing of what the records hold.
"""

from __future__ import annotations

from typing import Any, ClassVar


class Frozen:
    """Base of a frozen record whose fields are its ``__slots__``."""

    __slots__: ClassVar[tuple[str, ...]] = ()
    _compared: ClassVar[tuple[str, ...] | None] = None  # None: every field
    _shown: ClassVar[tuple[str, ...] | None] = None  # None: every field
    _fields: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass's own __slots__ hide its bases': its fields are theirs, then its own.
        cls._fields = tuple(name for base in reversed(cls.__mro__)
                            for name in vars(base).get("__slots__", ()))

    def _values(self, names: tuple[str, ...] | None) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in (names or self._fields))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values(self._compared) == other._values(self._compared)

    def __hash__(self) -> int:
        return hash(self._values(self._compared))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}"
                          for name in (self._shown or self._fields))
        return f"{type(self).__qualname__}({shown})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Made again through __init__ (pickle and copy would set the slots, which refuse).
        return type(self), self._values(None)
