"""``acbuild init`` writes its files in the new project, never through a link out of it.

A directory may hold links where init writes (a checkout whose ``build.py`` links to a
shared one elsewhere, a ``.gitignore`` linked from a dotfiles repository). init wrote
through them: ``--force`` overwrote the file a link led to, outside the project; a
dangling link was not even "existing", so init without ``--force`` created the file it
led to; and ``.gitignore`` (which init only adds to) was appended to through its link.
The promise: what is outside the project is untouched; a link counts as an existing file,
and ``--force`` replaces the link itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import SRC


def init(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "acbuild", "init", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(SRC), "ACBUILD_PLAIN": "1"})


def test_init_writes_no_file_through_a_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shared_build.py").write_text("# the team's build script\n")
    (outside / "dotfiles.gitignore").write_text("*.swp\n")
    project = tmp_path / "proj"
    project.mkdir()
    os.symlink(outside / "not_yet.toml", project / "acbuild.toml")  # dangling
    refused = init(tmp_path, "proj")
    assert refused.returncode != 0
    assert not (outside / "not_yet.toml").exists()
    os.symlink(outside / "shared_build.py", project / "build.py")
    os.symlink(outside / "dotfiles.gitignore", project / ".gitignore")
    forced = init(tmp_path, "--force", "proj")
    assert forced.returncode == 0, forced.stderr
    assert (outside / "shared_build.py").read_text() == "# the team's build script\n"
    assert (outside / "dotfiles.gitignore").read_text() == "*.swp\n"
    assert not (outside / "not_yet.toml").exists()
    assert sorted(p.name for p in outside.iterdir()) == ["dotfiles.gitignore",
                                                         "shared_build.py"]
    for name in ("acbuild.toml", "build.py"):
        assert not (project / name).is_symlink() and (project / name).is_file(), name
