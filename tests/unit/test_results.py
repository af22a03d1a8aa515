"""results: defaultdicts pickle as dicts; a method's class is found in its job's source/."""

from __future__ import annotations

import json
import pickle
import sys
from collections import defaultdict
from pathlib import Path

from acbuild import results, snapshot


class Holder:
    def __init__(self, value: object):
        self.value = value


def test_every_defaultdict_becomes_a_dict_and_the_rest_is_kept() -> None:
    nested: defaultdict[str, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    nested["a"]["b"] += 1
    shared = defaultdict(list, {"x": [1]})
    value = {"nested": nested, "in": [(shared, shared)], "obj": Holder(shared),
             "counts": defaultdict(int, {"c": 2}), "set": {1, 2}}
    back = pickle.loads(results.dumps(value))
    assert back["nested"] == {"a": {"b": 1}} and type(back["nested"]["a"]) is dict
    first, second = back["in"][0]
    assert type(first) is dict and first is second, "a shared object stays shared"
    assert type(back["obj"].value) is dict and back["obj"].value is first
    assert type(back["counts"]) is dict and back["set"] == {1, 2}


def test_plain_data_pickles_as_pickle_does() -> None:
    value = {"a": [1, 2.5, "s", (None, True)], "b": b"x"}
    assert results.dumps(value) == pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def test_a_class_the_method_defined_is_found_in_the_producers_source(tmp_path: Path) -> None:
    live = tmp_path / "methods" / "p.py"
    live.parent.mkdir()
    live.write_text("class Point:\n    pass\n")  # the live file no longer has the class's x
    job = tmp_path / "p-1"
    (job / "source" / "methods").mkdir(parents=True)
    (job / "source" / "methods" / "p.py").write_text(
        "class Point:\n    def __init__(self):\n        self.x = 7\n")
    setup = {"method": "p", "method_file": str(live), "project_root": str(tmp_path),
             "sys_path": [str(live.parent), str(tmp_path)],
             "code": {"hash": "1" * 64, "sources": ["methods/p.py"]}}
    (job / "setup.json").write_text(json.dumps(setup))
    try:
        module = snapshot.import_method(snapshot.Layout.of(setup), str(job)).module
        (job / "result.pickle").write_bytes(results.dumps([module.Point()]))
        snapshot._FINDER.take_out()  # a process that never imported the method
        assert "acbuild_method_p" not in sys.modules
        [point] = results.load(job, "result.pickle")
        assert point.x == 7 and type(point).__module__ == "acbuild_method_p"
    finally:
        snapshot._FINDER.take_out()
        snapshot._FINDER.layout = None
