"""review5: a subclass of a Frozen record (a user's ``Required`` with a field of its own)
compares, hashes, shows and pickles over its base's fields too, as a dataclass does."""

from __future__ import annotations

import copy
import pickle

from acbuild.options import Required


class _Noted(Required):
    __slots__ = ("note",)

    def __init__(self, form: object, none_ok: bool = False, note: str = "") -> None:
        super().__init__(form, none_ok)
        object.__setattr__(self, "note", note)


def test_a_subclass_sees_its_base_fields() -> None:
    a, b = _Noted(int, False, "x"), _Noted(str, True, "x")
    assert a != b  # (was equal: only ``note`` compared)
    assert hash(a) == hash(_Noted(int, False, "x"))
    assert repr(a) == "_Noted(form=<class 'int'>, none_ok=False, note='x')"
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(b, proto)) == b  # (was: TypeError)
    assert copy.deepcopy(b) == b
    assert _Noted(int, False, "x") == a
