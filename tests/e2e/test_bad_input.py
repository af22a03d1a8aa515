"""Bad input: one clear message naming the file and line, exit status 2, nothing built."""

from __future__ import annotations

import pytest

from conftest import Project

GOOD_METHOD = '''
options = {"threshold": 0.5, "name_of": ""}

def synthesis(options):
    return options.threshold
'''


def check_refused(project: Project, *needles: str) -> str:
    proc = project.acbuild("run", check=2)
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr
    assert project.job_dirs() == []
    return proc.stderr


@pytest.mark.parametrize(
    ("script", "needles"),
    [
        ('def main(urd):\n    urd.build("nosuch")\n',
         ["unknown method 'nosuch'", "build.py:2", "m"]),
        ('def main(urd):\n    urd.build("m", treshold=0.7)\n',
         ["has no option or input 'treshold'", "did you mean 'threshold'", "build.py:2"]),
        ('def main(urd):\n    urd.build("m", threshold="high")\n',
         ["option 'threshold'", "float", "build.py:2"]),
        ('def main(urd):\n    urd.build("m", threshold=True)\n', ["threshold", "build.py:2"]),
        ('def main(urd):\n    urd.build("m"\n', ["syntax error", "build.py:"]),
        ('def main(urd):\n    x = 1 / 0\n', ["ZeroDivisionError", "build.py:2"]),
        ('x = 1\n', ["must define main(urd)"]),
        ('def main(urd):\n    urd.build("m", src=urd.file("data/none.csv"))\n',
         ["none.csv", "does not exist", "build.py:2"]),
    ],
)
def test_bad_script(project: Project, script: str, needles: list[str]) -> None:
    project.method("m", GOOD_METHOD)
    project.script(script)
    check_refused(project, *needles)


def test_syntax_error_in_method_names_file_and_line(project: Project) -> None:
    project.method("m", "def synthesis(:\n    pass\n")
    project.script('def main(urd):\n    urd.build("m")\n')
    check_refused(project, "methods/m.py:1", "syntax error")


def test_method_that_raises_on_import(project: Project) -> None:
    project.method("m", "import nosuchmodule_xyz\n\ndef synthesis():\n    pass\n")
    project.script('def main(urd):\n    urd.build("m")\n')
    check_refused(project, "methods/m.py:1", "nosuchmodule_xyz")


def test_unknown_phase_parameter(project: Project) -> None:
    project.method("m", "def synthesis(jobz):\n    pass\n")
    project.script('def main(urd):\n    urd.build("m")\n')
    check_refused(project, "methods/m.py:1", "'jobz'")


def test_build_parameter_clash(project: Project) -> None:
    project.method("m", 'options = {"name": ""}\n\ndef synthesis():\n    pass\n')
    project.script('def main(urd):\n    urd.build("m", name="x")\n')
    check_refused(project, "both a parameter of urd.build and an option", "options=")


def test_bad_config(project: Project) -> None:
    project.write("acbuild.toml", 'methods = "methods"\nslicez = 2\n')
    project.method("m", GOOD_METHOD)
    project.script('def main(urd):\n    urd.build("m")\n')
    check_refused(project, "acbuild.toml", "methods")


def test_missing_script(project: Project) -> None:
    proc = project.acbuild("run", "nosuch.py", check=2)
    assert "nosuch.py" in proc.stderr and "Traceback" not in proc.stderr
