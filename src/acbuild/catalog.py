"""What ``acbuild methods`` presents: each method's declarations and, for one method, the
code hashes its finished jobs were built from.

The second part is what makes ``equivalent_hashes`` usable without guesswork: after a
refactor, the current code hash is new and the jobs worth keeping were built from an
older one; both are listed here. Returns plain data; never prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from acbuild import canonical, options
from acbuild.codehash import EQUIVALENT_NAME
from acbuild.errors import AcbuildError
from acbuild.methods import Method, MethodRegistry
from acbuild.store import JobStore


def describe_methods(registry: MethodRegistry, store: JobStore,
                     names: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Every method (or the ``names`` given, with their code versions), as plain data.

    Listing every method, one that cannot be loaded is shown with its error rather
    than hiding the others; a method asked for by name raises.
    """
    infos = []
    for name in names or registry.names():
        try:
            method = registry.get(name)
        except AcbuildError as e:
            if names:
                raise
            infos.append({"name": name, "error": f"{e.where}: {e.message}" if e.where
                          else e.message})
            continue
        info = _declarations(method, registry.project_root)
        if names:
            info.update(_code(method, store))
        infos.append(info)
    return infos


def _declarations(method: Method, root: Path) -> dict[str, Any]:
    return {
        "name": method.name,
        "description": method.description,
        "file": _relative(method.file, root),
        "options": {name: _option(spec) for name, spec in method.options.items()},
        # a list input as it is declared: [name]
        "inputs": [f"[{i}]" if i in method.list_inputs else i for i in method.inputs],
        "phases": list(method.phases),
        "resources": method.resources,
        "code_hash": method.current_hash,
    }


def _option(spec: options.OptionSpec) -> dict[str, Any]:
    info: dict[str, Any] = {"type": spec.kind, "required": spec.required,
                            "text": options.describe(spec)}
    if spec.show_default:
        try:
            info["default"] = canonical.to_json(spec.default)
        except AcbuildError:
            info["default"] = repr(spec.default)
    return info


def _code(method: Method, store: JobStore) -> dict[str, Any]:
    versions = [{"code_hash": v.code_hash, "jobs": v.jobs, "latest": v.latest_id,
                 "latest_created": v.latest_created,
                 "current": v.code_hash == method.code_hash}
                for v in store.code_versions(method.name)]
    code: dict[str, Any] = {
        "hash": method.current_hash,
        "identity_hash": method.code_hash,
        "sources": sorted(method.sources),
        "third_party": list(method.external_modules),
        "declarations_read_by": method.read_by,  # "source", or "import" when it had to be
    }
    return {"code": code, "built_from": versions, "warnings": list(method.warnings),
            "suggestion": _suggestion(method, versions)}


def _suggestion(method: Method, versions: list[dict[str, Any]]) -> str | None:
    """The declaration to paste when no job has the current code but older ones exist."""
    if not versions or any(v["current"] for v in versions):
        return None
    return f'{EQUIVALENT_NAME} = {{"{method.current_hash}": "{versions[0]["code_hash"]}"}}'


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
