"""Bad values get a clear error (exit status 2, the script line, nothing built) or are
handled in linear time: never a traceback, never minutes."""

from __future__ import annotations

import json
import time

import pytest

from conftest import Project

METHOD = '''
options = {"n": 0, "text": "", "anything": None}

def synthesis(options):
    return len(options.text)
'''


def _refused(project: Project, *needles: str) -> str:
    proc = project.acbuild("run", check=2)
    assert "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr
    assert project.job_dirs() == []  # not even the job declared before the bad one
    return proc.stderr


@pytest.mark.parametrize(("call", "needles"), [
    ('urd.build("m", n=10**5000)', ["method 'm'", "option 'n'", "4300 digits"]),
    ('urd.build("m", anything={"deep": [1, -10**5000]})', ["method 'm'", "option 'anything'", "4300 digits"]),
    ('urd.build("m", anything=float("nan"))', ["method 'm'", "option 'anything'", "finite"]),
    ('urd.build("m", anything=[float("inf")])', ["method 'm'", "option 'anything'", "finite"]),
    ('urd.build("m", anything=nested(5000))', ["method 'm'", "option 'anything'", "nested"]),
    ('urd.build("m", name="x" * 5000)', ["name=", "5000 characters"]),
    ('urd.build("m", name="two\\nlines")', ["name=", "'\\n'"]),
    ('urd.build("m", name="nul\\0byte")', ["name=", "'\\x00'"]),
    ('urd.build("m", name=7)', ["name=", "int 7"]),
])
def test_a_bad_value_is_a_clear_error(project: Project, call: str,
                                      needles: list[str]) -> None:
    project.method("m", METHOD)
    project.script(f'''
        def nested(depth):
            value = []
            for _ in range(depth):
                value = [value]
            return value

        def main(urd):
            urd.build("m", text="fine")
            {call}
    ''')
    _refused(project, *needles, "build.py:9")


def test_values_at_the_limits_are_built(project: Project) -> None:
    project.method("m", METHOD)
    project.script('''
        def main(urd):
            deep = "leaf"
            for _ in range(60):
                deep = [deep]
            urd.build("m", n=10**4299, anything={"d": deep, "f": 1e308}, name="y" * 200)
    ''')
    [job] = project.run_json()["jobs"]
    assert job["state"] == "built"
    setup = json.loads((project.workdir / job["id"] / "setup.json").read_text())
    assert setup["options"]["n"] == 10**4299


def test_a_huge_run_number_is_no_run(project: Project) -> None:
    project.method("m", METHOD)
    project.script('def main(urd):\n    urd.build("m")\n')
    project.acbuild("run")
    for text in ("999999999999999999999", "9223372036854775808", "0", "²"):
        proc = project.acbuild("log", text, check=2)
        assert "Traceback" not in proc.stderr
        assert text in proc.stderr, proc.stderr
    # A limit past what SQLite counts is no limit, not a damaged database.
    runs = json.loads(project.acbuild("log", "--json", "-n", "9" * 30).stdout)["runs"]
    assert len(runs) == 1


def test_a_job_argument_that_names_nothing_is_a_clear_error(project: Project) -> None:
    project.method("m", METHOD)
    project.script('def main(urd):\n    urd.build("m")\n')
    project.acbuild("run")
    for text in ("m~" + "9" * 30, "m~²", "x" * 5000):
        proc = project.acbuild("show", text, check=2)
        assert "Traceback" not in proc.stderr, proc.stderr
    assert project.acbuild("show", "m~0").returncode == 0


def test_a_huge_string_option_is_built_in_linear_time(project: Project) -> None:
    """64 MiB through the script, the identity, setup.json, the launcher and the job: a few
    seconds. The launcher's old quadratic request parsing took minutes at this size."""
    project.method("m", METHOD)
    size = 64 << 20
    project.script(f'def main(urd):\n    urd.build("m", text="z" * {size})\n')
    began = time.monotonic()
    [job] = project.run_json()["jobs"]
    assert time.monotonic() - began < 60  # linear: seconds; quadratic: minutes
    assert job["state"] == "built"
    status = project.status_json()
    assert [j["state"] for j in status["jobs"]] == ["cached"]
    loaded = project.acbuild("show", "--json", job["id"]).stdout
    assert str(json.loads(loaded)["result"]) == str(size)  # the job received all of it
