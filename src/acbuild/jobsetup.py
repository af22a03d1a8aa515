"""What a job's ``setup.json`` holds: its identity, options, inputs, code, where its
method is imported from, and the versions it was built with.

It makes the record only; the engine writes it (``jobrecords.setup_text``, ``workdir.stage``) and
the job's own process reads it (``acbuild.child``).
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acbuild import __version__, plan
from acbuild.graph import JobSpec
from acbuild.jobrecords import SETUP_FORMAT
from acbuild.methods import Method

if TYPE_CHECKING:
    from acbuild.store import JobStore


class JobSetup:
    """The setup records of one run's jobs. ``input_record``: an input job's hash (or
    None) -> what setup.json says of it (the run knows where its inputs are)."""

    def __init__(self, store: JobStore, project_root: Path,
                 input_record: Callable[[str | None], dict[str, str] | None]):
        self.store = store
        self.project_root = project_root
        self._input_record = input_record
        self._versions: dict[str, Any] | None = None
        self._finding: threading.Thread | None = None

    def setup_for(self, spec: JobSpec, method: Method) -> dict[str, Any]:
        inputs: dict[str, Any] = {}
        for name, job_hash in spec.inputs:
            if type(job_hash) is tuple:  # a list input: its jobs in order, None kept
                inputs[name] = [self._input_record(h) for h in job_hash]
            else:
                inputs[name] = self._input_record(job_hash)  # type: ignore[arg-type]
        identity = plan.identity_view(spec)  # its options encoded once, for both
        return {
            "format": SETUP_FORMAT,
            "id": spec.id,
            "hash": spec.hash,
            "method": spec.method,
            "method_file": str(method.file),
            "project_root": str(self.project_root),
            "sys_path": [str(method.file.parent), str(self.project_root)],  # the job imports from these
            "options": identity["options"],
            "inputs": inputs,
            "slices": spec.slices or 1,
            "identity": identity,
            "code": {"hash": method.current_hash, "identity_hash": method.code_hash,
                     "sources": sorted(method.sources),
                     # what each source/ file must hash to: `verify` checks it
                     "files": self.store.target.sources.digests(method.sources)},
            "description": method.description,
            "label": spec.label,
            "script_line": spec.where,
            "versions": self._versions_of(method),
            "created": time.time(),
        }

    def prepare(self) -> None:
        """Start finding this machine's versions, told that the run builds a job: in a
        thread, as ``platform`` takes some 20 ms (its import, and a `uname -p` process that
        the rest of the planning need not wait for)."""
        if self._versions is None and self._finding is None:
            self._finding = threading.Thread(target=self._find_versions, daemon=True)
            self._finding.start()

    def _versions_of(self, method: Method) -> dict[str, Any]:
        if self._finding is not None:
            self._finding.join()
            self._finding = None
        if self._versions is None:  # not prepared, or the thread failed: found here
            self._find_versions()
        assert self._versions is not None
        return {**self._versions, "packages": dict(_package_versions(method.external_modules))}

    def _find_versions(self) -> None:
        import platform  # only a run that builds records it

        self._versions = {
            "python": sys.version.split()[0],
            "acbuild": __version__,
            "platform": platform.platform(),
            "host": platform.node(),
        }


@functools.cache
def _distributions() -> dict[str, list[str]]:
    from importlib import metadata

    return dict(metadata.packages_distributions())


@functools.cache  # once per method and run: reading package metadata takes milliseconds
def _package_versions(modules: tuple[str, ...]) -> dict[str, str]:
    """The installed versions of the distributions providing ``modules``: recorded, not hashed."""
    if not modules:
        return {}
    from importlib import metadata

    names = _distributions()
    versions = {}
    for module in modules:
        for dist in names.get(module, []):
            try:
                versions[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                continue
    return versions

