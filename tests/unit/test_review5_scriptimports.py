"""review5: a package of the script's directory holding a subdirectory without
``__init__.py`` (a namespace subpackage, as ``sweeps/configs/``): its modules come from
their source on each evaluation and are forgotten after it like the rest of the package."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from acbuild.scriptimports import script_directory_imports


def _value(directory: Path) -> int:
    with script_directory_imports(str(directory)):
        import r5pkg.conf.values  # type: ignore[import-not-found]
        return int(r5pkg.conf.values.K)


def test_a_namespace_subpackage_is_read_afresh_and_forgotten(tmp_path: Path) -> None:
    (tmp_path / "r5pkg" / "conf").mkdir(parents=True)
    (tmp_path / "r5pkg" / "__init__.py").write_text("")
    values = tmp_path / "r5pkg" / "conf" / "values.py"
    values.write_text("K = 5\n")
    assert _value(tmp_path) == 5
    assert not [name for name in sys.modules if name.startswith("r5pkg")]  # nothing left
    before = values.stat()
    values.write_text("K = 6\n")  # same size, same mtime: what a .pyc is checked by
    os.utime(values, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert _value(tmp_path) == 6  # (was: AttributeError, r5pkg.conf kept from the first)
    assert not list(tmp_path.rglob("__pycache__"))
