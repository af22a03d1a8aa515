"""Configuration: defaults, discovery by walking up, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from acbuild.config import load_project
from acbuild.errors import ConfigError


def test_defaults_without_a_file(tmp_path: Path) -> None:
    project = load_project(tmp_path)
    assert project.root == tmp_path.resolve()
    assert project.methods_dirs == (tmp_path.resolve() / "methods",)
    assert project.target_workdir == tmp_path.resolve() / "workdirs" / "dev"
    assert project.slices >= 1


def test_found_by_walking_up(tmp_path: Path) -> None:
    (tmp_path / "acbuild.toml").write_text('methods = ["m1", "m2"]\nslices = 3\n'
                                           '[workdirs]\ntarget = "wd"\nsources = ["/shared"]\n')
    (tmp_path / "a" / "b").mkdir(parents=True)
    project = load_project(tmp_path / "a" / "b")
    assert project.root == tmp_path.resolve()
    assert [p.name for p in project.methods_dirs] == ["m1", "m2"]
    assert project.slices == 3
    assert project.source_workdirs == (Path("/shared"),)


def test_pyproject_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.acbuild]\nslices = 4\n")
    assert load_project(tmp_path).slices == 4


@pytest.mark.parametrize(("text", "needle"), [
    ("slicez = 2\n", "unknown key 'slicez'"),
    ('slices = "2"\n', "'slices' must be an integer"),
    ("slices = true\n", "'slices' must be an integer"),
    ("slices = 0\n", "at least 1"),
    ('methods = "m"\n', "'methods' must be a list of str"),
    ("[workdirs]\ntargett = 'x'\n", "'workdirs.targett'"),
    ("slices = = 2\n", "not valid TOML"),
])
def test_bad_config(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "acbuild.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert needle in str(info.value)
    assert "acbuild.toml" in str(info.value)


def test_remote_table(tmp_path: Path) -> None:
    (tmp_path / "acbuild.toml").write_text(
        '[remote]\nurl = "s3://bucket/team"\nendpoint = "http://127.0.0.1:9000"\n'
        'push = "auto"\nsign_key = "keys/ci.key"\n'
        '[remote.trusted_keys]\nci = "keys/ci.pub"\n')
    remote = load_project(tmp_path).remote
    assert remote is not None
    assert (remote.url, remote.endpoint, remote.fetch, remote.push) == (
        "s3://bucket/team", "http://127.0.0.1:9000", True, "auto")
    assert remote.sign_key == tmp_path.resolve() / "keys" / "ci.key"
    assert remote.trusted_keys == (("ci", "keys/ci.pub"),)
    assert remote.trust_unsigned is False
    assert load_project(tmp_path).with_target(tmp_path / "other").remote == remote


def test_no_remote_by_default(tmp_path: Path) -> None:
    assert load_project(tmp_path).remote is None


@pytest.mark.parametrize(("text", "needle"), [
    ("[remote]\nfetch = true\n", "'remote.url' is missing"),
    ('[remote]\nurl = "http://x/y"\n', "'remote.url' must be"),
    ('[remote]\nurl = "s3://"\n', "'remote.url' must be"),
    ('[remote]\nurl = "s3://b"\npush = "always"\n', "'remote.push' must be"),
    ('[remote]\nurl = "s3://b"\nfetch = "yes"\n', "'remote.fetch' must be true or false"),
    ('[remote]\nurl = "file:///x"\nendpoint = "http://h"\n', "'remote.endpoint' is for"),
    ('[remote]\nurl = "s3://b"\nsign = "k"\n', "unknown key 'remote.sign'"),
    ('[remote]\nurl = "s3://b"\n[remote.trusted_keys]\nci = 3\n',
     "'remote.trusted_keys.ci' must be a string"),
])
def test_bad_remote_config(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "acbuild.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert needle in str(info.value)
