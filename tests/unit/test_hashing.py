"""Identity is pinned: a change to the scheme must be deliberate (bump JOB_FORMAT)."""

from __future__ import annotations

import datetime
from pathlib import Path

from acbuild import canonical, graph, hashing


def test_pinned_job_ids() -> None:
    spec = graph.make_spec("clean", "0" * 64, {"threshold": 0.5, "columns": ["a", "b"]}, {}, None)
    assert spec.id == "clean-f6602c0def58"
    upstream = graph.make_spec("ingest", "1" * 64,
                               {"src": canonical.InputFile("data/raw.csv", "2" * 64)}, {}, 2)
    assert upstream.id == "ingest-65130b4e11ce"
    down = graph.make_spec("train", "3" * 64, {"day": datetime.date(2020, 1, 2)},
                           {"data": upstream, "other": None}, None)
    assert down.id == "train-bd52ecc6078c"


def test_job_id_shape() -> None:
    assert hashing.job_id("m", "abcdef0123456789" * 4) == "m-abcdef012345"


def test_hash_is_independent_of_option_order() -> None:
    a = graph.make_spec("m", "0" * 64, {"a": 1, "b": 2}, {}, None)
    b = graph.make_spec("m", "0" * 64, {"b": 2, "a": 1}, {}, None)
    assert a.hash == b.hash


def test_every_identity_part_changes_the_hash() -> None:
    base = dict(method="m", code_hash="0" * 64, options={"a": 1}, inputs={}, slices=None)
    reference = graph.make_spec(**base).hash  # type: ignore[arg-type]
    upstream = graph.make_spec("u", "0" * 64, {}, {}, None)
    for change in ({"method": "n"}, {"code_hash": "1" * 64}, {"options": {"a": 2}},
                   {"inputs": {"x": upstream}}, {"inputs": {"x": None}}, {"slices": 2}):
        assert graph.make_spec(**{**base, **change}).hash != reference, change  # type: ignore[arg-type]


def test_input_file_identity_is_content_not_path() -> None:
    a = graph.make_spec("m", "0" * 64, {"src": canonical.InputFile("a.csv", "9" * 64)}, {}, None)
    b = graph.make_spec("m", "0" * 64, {"src": canonical.InputFile("b.csv", "9" * 64)}, {}, None)
    c = graph.make_spec("m", "0" * 64, {"src": canonical.InputFile("a.csv", "8" * 64)}, {}, None)
    assert a.hash == b.hash != c.hash


def test_hash_file_and_tree(tmp_path: Path) -> None:
    f = tmp_path / "f.bin"
    f.write_bytes(b"x" * (3 << 20))  # above the memory-map threshold
    assert hashing.hash_file(f) == hashing.hash_bytes(b"x" * (3 << 20))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a").write_text("1")
    first = hashing.hash_tree(tmp_path / "d")
    (tmp_path / "d" / "a").write_text("2")
    assert hashing.hash_tree(tmp_path / "d") != first
