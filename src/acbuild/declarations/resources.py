"""A method's ``resources``: what each of its jobs needs of a machine (DESIGN.md section 9).

``resources = {"cpus": 2, "memory": "4GiB", "gpus": 1}`` is scheduling, never identity:
it is read and checked here, and not part of any hash. Nothing uses it yet (the local
executor runs each job on this machine); an executor that places jobs will.
"""

from __future__ import annotations

from typing import Any

from acbuild.errors import MethodError

_EXAMPLE = '{"cpus": 2, "memory": "4GiB", "gpus": 1}'
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3,
          "gb": 1000**3, "t": 1000**4, "tb": 1000**4, "kib": 1024, "mib": 1024**2,
          "gib": 1024**3, "tib": 1024**4}


def check_resources(value: object, where: str) -> dict[str, Any]:
    """The declared resources, checked: cpus a whole number >= 1, gpus a whole number >= 0,
    memory a number of bytes or a size such as "512MiB" or "4GB"."""
    if not isinstance(value, dict):
        raise MethodError(f"'resources' must be a dict like {_EXAMPLE}, not "
                          f"{type(value).__name__}", where=where)
    for key, amount in value.items():
        if key == "cpus" and not _whole(amount, 1):
            raise MethodError(f"resources: 'cpus' must be a whole number of at least 1, not "
                              f"{amount!r}", where=where)
        if key == "gpus" and not _whole(amount, 0):
            raise MethodError(f"resources: 'gpus' must be a whole number of at least 0, not "
                              f"{amount!r}", where=where)
        if key == "memory" and memory_bytes(amount) is None:
            raise MethodError(f"resources: 'memory' must be a size like \"4GiB\" or a number "
                              f"of bytes, not {amount!r}", where=where)
        if key not in ("cpus", "gpus", "memory"):
            raise MethodError(f"resources: unknown resource {key!r} (known: cpus, memory, "
                              "gpus)", where=where)
    return dict(value)


def memory_bytes(amount: object) -> int | None:
    """Bytes from a declared memory size; None when it is not one (or not above 0)."""
    if type(amount) is int:
        return amount if amount > 0 else None
    if not isinstance(amount, str):
        return None
    number = amount.strip().rstrip("BbKkMmGgTtIi")
    unit = amount.strip()[len(number):].lower()
    number = number.strip()
    digits = number.replace(".", "", 1)
    if not digits.isascii() or not digits.isdigit() or unit not in _UNITS:
        return None
    size = int(float(number) * _UNITS[unit])
    return size if size > 0 else None


def _whole(amount: object, least: int) -> bool:
    return type(amount) is int and amount >= least
