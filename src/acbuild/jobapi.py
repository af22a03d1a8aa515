"""The Accelerator's method API on a job handle, as a mixin of ``acbuild.job.Job``:
``save`` / ``json_save``, ``json_load``, ``register_file(s)``, ``finish_early`` and
``output``. ``Job`` supplies what these stand on — ``path``, ``id``, ``writable``,
``filename`` — and ``load`` and ``params`` itself; the files' bookkeeping is
``acbuild.jobfiles``'s.

Standard library and leaves only: the job process imports this.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from acbuild import jobfiles
from acbuild.early import FinishEarly
from acbuild.joblog import read_output

PathName = str | os.PathLike[str]


class AcceleratorAPI:
    path: Path
    id: str
    writable: bool
    _OWN: frozenset[str]  # acbuild's records in a job directory (``job.OWN_FILES``)

    def filename(self, name: PathName, sliceno: int | None = None) -> Path:
        raise NotImplementedError  # Job's

    def json_load(self, name: PathName = "result.json", sliceno: int | None = None,
                  default: Any = jobfiles._NO_DEFAULT) -> Any:
        """The JSON file ``name`` of the job (``default`` if there is no such file)."""
        return jobfiles.json_load(self, jobfiles.sliced_name(name, sliceno), default)

    def save(self, obj: Any, name: PathName, sliceno: int | None = None, temp: bool = False,
             background: bool = False) -> jobfiles.SavedFile:
        """Pickle ``obj`` to the file ``name`` (``name.N`` for slice N) of the job being
        built; ``temp``: removed when the job finishes; ``background``: written by a forked
        process, waited for at the end of the phase."""
        return jobfiles.save(self, lambda: jobfiles.pickle_bytes(obj), name, sliceno, "pickle",
                             temp, background)

    def json_save(self, obj: Any, name: PathName = "result.json", sliceno: int | None = None,
                  temp: bool = False, background: bool = False,
                  sort_keys: bool = True) -> jobfiles.SavedFile:
        """``save``, as JSON (indented, sorted keys, as the Accelerator writes it)."""
        return jobfiles.save(self, lambda: jobfiles.json_bytes(obj, sort_keys), name, sliceno,
                             "json", temp, background)

    def register_file(self, name: PathName) -> None:
        """Accepted for the Accelerator's methods: every file a job writes is listed in its
        post.json anyway. The file must exist in the job directory; a temporary one is
        kept after all."""
        if not self.filename(name).is_file():
            raise FileNotFoundError(f"register_file({os.fspath(name)!r}): no such file in "
                                    f"{self.id}")
        jobfiles.keep(os.path.normpath(name))

    def register_files(self, pattern: str = "**/*") -> set[str]:
        """The Accelerator's: the job's files matching ``pattern`` (temporary ones and
        acbuild's records aside). Every file a job writes is listed anyway."""
        return jobfiles.unregistered(self, pattern, self._OWN)

    def finish_early(self, result: Any = None) -> None:
        """End the job being built now, successfully, with ``result``; the later phases do
        not run (in analysis every slice must call it, without a result)."""
        if not self.writable:
            raise PermissionError(f"{self.id} is not the job being built")
        raise FinishEarly(result)

    def output(self, part: str | int | None = None, stream: str = "stdout") -> str:
        """What the job printed: all of it, or ``"prepare"``, ``"analysis"``, slice N,
        ``"synthesis"`` (acbuild's markers left out)."""
        return read_output(self.path, part, stream)
