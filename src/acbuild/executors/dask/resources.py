"""A job's resource request as Dask worker resources, and whether a worker meets it.

Only what a method (or ``urd.build``) declares is asked for: ``cpus``, ``gpus``, and
``memory`` in bytes. Workers say what they have with ``dask worker --resources``.
"""

from __future__ import annotations

from typing import Any

from acbuild.declarations.resources import memory_bytes


def dask_resources(declared: Any) -> dict[str, float]:
    """A method's declared resources as Dask worker resources (memory in bytes): only
    what it declares is asked of the workers."""
    wanted: dict[str, float] = {}
    for name in ("cpus", "gpus"):
        if name in declared:
            wanted[name] = float(declared[name])
    if "memory" in declared:
        wanted["memory"] = float(memory_bytes(declared["memory"]) or 0)
    return wanted


def meets(has: dict[str, float], wanted: dict[str, float]) -> bool:
    return all(has.get(name, 0) >= amount for name, amount in wanted.items())


def shown(resources: dict[str, float]) -> str:
    return ", ".join(f"memory {amount / 2**30:g}GiB" if name == "memory" else
                     f"{name} {amount:g}" for name, amount in sorted(resources.items()))


def worker_list(workers: dict[str, dict[str, Any]]) -> str:
    return "; ".join(f"{address}: {shown(w.get('resources') or {}) or 'no resources'}"
                     for address, w in sorted(workers.items()))
