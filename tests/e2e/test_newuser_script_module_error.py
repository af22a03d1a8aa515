"""A build script's own module that fails names its own file and line (README "A first project").

A new user keeps settings in ``settings.py`` beside ``build.py``; when it raises, the
one-line error must say where in ``settings.py``, not only the ``import`` line of the
script, and nothing is built.
"""

from __future__ import annotations


def test_error_in_a_script_module_names_that_module_line(project):
    project.method("m", "def synthesis():\n    return 1\n")
    project.write("settings.py", "X = 1\nraise ValueError('bad setting')\n")
    project.script("import settings\n\ndef main(urd):\n    urd.build('m')\n")
    proc = project.acbuild("run", check=2)
    assert "build.py:1:" in proc.stderr
    assert "ValueError: bad setting" in proc.stderr
    assert "settings.py:2" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert project.job_dirs() == []


def test_error_in_a_package_function_called_by_main_names_its_line(project):
    project.method("m", "def synthesis():\n    return 1\n")
    project.write("sweeps/__init__.py", "")
    project.write("sweeps/grid.py", "def alphas():\n    return 1 / 0\n")
    project.script("def main(urd):\n    from sweeps import grid\n    grid.alphas()\n")
    proc = project.acbuild("status", check=2)
    assert "build.py:3:" in proc.stderr
    assert "ZeroDivisionError" in proc.stderr
    assert "sweeps/grid.py:2" in proc.stderr


def test_error_in_the_script_itself_names_only_the_script(project):
    project.script("def main(urd):\n    raise KeyError('k')\n")
    proc = project.acbuild("run", check=2)
    assert "build.py:2:" in proc.stderr
    assert "(at " not in proc.stderr


def test_a_library_in_the_projects_venv_is_not_named(project):
    # README "Into your own virtualenv": a project's .venv often sits beside build.py.
    site = ".venv/lib/python3/site-packages"
    project.write(f"{site}/fakelib.py", "def parse(x):\n    return int(x)\n")
    project.write("settings.py", "import fakelib\nN = fakelib.parse('x')\n")
    project.script(f"import sys\nsys.path.insert(0, {site!r})\nimport settings\n\n"
                   "def main(urd):\n    pass\n")
    proc = project.acbuild("run", check=2)
    assert "build.py:3:" in proc.stderr
    assert "(at settings.py:2)" in proc.stderr
    assert "fakelib" not in proc.stderr
