"""scriptimports: a build script's own modules, found in its directory, from their source."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from acbuild.scriptimports import script_directory_imports


def _rewrite_in_place(path: Path, text: str) -> None:
    """New bytes of the same size and the same mtime: what a .pyc is checked by."""
    before = path.stat()
    assert len(text.encode()) == before.st_size
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def _value(directory: Path) -> tuple[int, int]:
    with script_directory_imports(str(directory)):
        import sihelper  # type: ignore[import-not-found]
        from sipkg.sub import K  # type: ignore[import-not-found]
        return sihelper.N, K


def test_each_evaluation_reads_the_modules_as_they_are_now(tmp_path: Path) -> None:
    (tmp_path / "sihelper.py").write_text("N = 1\n")
    (tmp_path / "sipkg").mkdir()
    (tmp_path / "sipkg" / "__init__.py").write_text("")
    (tmp_path / "sipkg" / "sub.py").write_text("K = 5\n")
    assert _value(tmp_path) == (1, 5)
    assert "sihelper" not in sys.modules and "sipkg.sub" not in sys.modules  # forgotten
    _rewrite_in_place(tmp_path / "sihelper.py", "N = 2\n")
    _rewrite_in_place(tmp_path / "sipkg" / "sub.py", "K = 6\n")
    assert _value(tmp_path) == (2, 6)
    assert not list(tmp_path.rglob("__pycache__"))


def test_other_modules_are_imported_as_always(tmp_path: Path) -> None:
    """The standard library and packages keep their modules (and their cached bytecode);
    a file in the directory named as a built-in module does not shadow it."""
    (tmp_path / "time.py").write_text("raise AssertionError('shadowed')\n")
    meta_path = list(sys.meta_path)
    with script_directory_imports(str(tmp_path)):
        import time

        assert time.monotonic() > 0
        assert json.loads("1") == 1
    assert sys.meta_path == meta_path
    assert str(tmp_path) in sys.path
    sys.path.remove(str(tmp_path))
