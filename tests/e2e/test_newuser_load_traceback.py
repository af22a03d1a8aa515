"""A method whose top level fails shows its own traceback, as a failing phase does
(README "Looking is free": "its job fails, in phase load, with its traceback").

It used to begin with five frames of acbuild's launcher and snapshot importer.
"""

from __future__ import annotations

import json

from conftest import Project


def test_a_failing_top_level_shows_the_methods_frames_only(project: Project) -> None:
    project.method("_helper", "def setting():\n    raise ValueError('no such setting')\n")
    project.method("m", "import _helper\n\nX = _helper.setting()\n\n"
                        "def synthesis():\n    return 1\n")
    project.script("def main(urd):\n    urd.build('m')\n")
    proc = project.acbuild("run", check=1)
    assert "in load: ValueError: no such setting" in proc.stderr
    assert "acbuild/child" not in proc.stderr and "snapshot.py" not in proc.stderr, proc.stderr
    text = proc.stderr.split("Traceback (most recent call last):\n", 1)[1]
    assert text.lstrip().startswith(f'File "{project.root / "methods" / "m.py"}", line 3')
    assert "_helper.py\", line 2" in text
    shown = json.loads(project.acbuild("show", "m", "--json").stdout)
    assert "acbuild/child" not in shown["error"]["traceback"]


def test_sys_exit_at_the_top_level_fails_in_load(project: Project) -> None:
    project.method("m", "import sys\nsys.exit(3)\n\ndef synthesis():\n    return 1\n")
    project.script("def main(urd):\n    urd.build('m')\n")
    proc = project.acbuild("run", check=1)
    assert "in load: SystemExit: 3" in proc.stderr
    assert "launcher.py" not in proc.stderr
