"""The fast path of ``urd.build``: what a shape of call costs once, not once per job.

A build script calls ``urd.build`` thousands of times with one method and the same
parameter names (``urd.build("clean", raw=r, threshold=t)`` in a loop). All that does not
depend on the values — which parameter is an option and which an input, each option's
converter, the defaults, the constant bytes of the identity record — is worked out once
per (method, parameter names) in a ``CallShape``; a call then costs only its values.

Only the plain case goes this way: option values that convert to a str, int, bool, finite
float or None, and inputs that are one job of the same build, or None. For anything else
(a list input, a nested or a file value, a refused value) ``CallShape.spec`` returns None,
and the caller takes the general path, which says what is wrong. The same record, the same
bytes, the same spec as the general path: pinned by tests. Knows nothing of scripts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from acbuild import canonical, hashing
from acbuild.errors import CanonicalError
from acbuild.graph import JobSpec
from acbuild.options.convert import Refused

if TYPE_CHECKING:
    from acbuild.methods import Method

_new_spec = tuple.__new__  # a JobSpec made without its generated __new__: one frame less
_NONE = canonical.encode(None)


class CallShape:
    """One method called with one set of parameter names (no list inputs): ``spec`` makes
    the job's spec from the values, or None where the general path must."""

    def __init__(self, method: Method, names: tuple[str, ...], slices: int | None,
                 force: bool, handle_type: type, owner: object):
        self.method = method
        self.warnings = method.warnings  # what the general path adds to the build's warnings
        self._name, self._code = method.name, method.code_hash
        self._slices = slices
        self._force = force
        self._handle_type: Any = handle_type  # what urd.build returns, and its build
        self._owner = owner
        given_inputs = sorted(n for n in names if n not in method.options)
        inputs = sorted(method.inputs)
        self._encoder = canonical.ShapeEncoder(
            {"format": hashing.JOB_FORMAT, "method": method.name, "code": method.code_hash,
             "slices": slices}, [("options", list(method.options)), ("inputs", inputs)])
        slot_of = {slot: i for i, slot in enumerate(self._encoder.slots)}
        parts: list[bytes] = []
        for which, key in self._encoder.slots:
            spec = method.options.get(key) if which == 0 else None
            parts.append(_NONE if spec is None or key in names
                         else canonical.encode(spec.default, f"options[{key!r}]"))
        self._parts = parts  # the constant bytes: defaults, and inputs not given (None)
        self._template = self._encoder.template
        # Every option in declared order, a default's value in place: a given one's value
        # replaces it where it is, so the options keep the general path's order.
        self._defaults = {name: spec.default for name, spec in method.options.items()}
        self._copied = [(name, spec.convert) for name, spec in method.options.items()
                        if name not in names and spec.copy_default]
        self._given = [(name, slot_of[(0, name)], spec.convert)
                       for name, spec in method.options.items() if name in names]
        # Every input absent, (name, None) in name order, made once: a given one's pair
        # replaces its own, at its index. Only the given ones are looked at per job: (index,
        # name, slot).
        self._absent = tuple((name, None) for name in inputs)
        self._given_inputs = [(i, name, slot_of[(1, name)]) for i, name in enumerate(inputs)
                              if name in given_inputs]

    def spec(self, params: Mapping[str, Any], where: str) -> JobSpec | None:
        """The spec of the job ``params`` (of this shape's names) ask for; None when a value
        is not the plain case (the general path then makes it, or says what is wrong)."""
        parts = self._parts.copy()
        options = self._defaults.copy()
        try:
            for name, slot, convert in self._given:
                value = options[name] = convert(params[name])
                kind = type(value)
                # canonical.encode_scalar's bytes, its two commonest cases inlined (a build
                # script makes thousands of jobs; the tests pin them to encode's)
                if kind is int:
                    body = b"%x" % value
                    parts[slot] = b"int %d:%s" % (len(body), body)
                elif kind is str:
                    body = str.encode(value, "utf-8", "surrogatepass")
                    parts[slot] = b"str %d:%s" % (len(body), body)
                else:
                    encoded = canonical.encode_scalar(value)
                    if encoded is None:
                        return None
                    parts[slot] = encoded
        except Refused:
            return None
        for name, convert in self._copied:  # a list or dict default is rebuilt: no job can
            options[name] = convert(options[name])  # change another's
        hashes = ids = self._absent
        if self._given_inputs:
            given, given_ids = list(hashes), list(ids)
            for i, name, slot in self._given_inputs:
                job: Any = params[name]
                if job is None:
                    continue  # absent: its pair is there already
                if type(job) is not self._handle_type or job._urd is not self._owner:
                    return None
                spec = job.spec
                body = spec.hash.encode("utf-8", "surrogatepass")  # canonical's str
                parts[slot] = b"str %d:%b" % (len(body), body)
                given[i] = (name, spec.hash)
                given_ids[i] = (name, spec.id)
            hashes, ids = tuple(given), tuple(given_ids)
        digest = hashing.hash_bytes(self._template % tuple(parts))
        return _new_spec(JobSpec, (
            self._name, self._code, options, hashes, self._slices, digest,
            hashing.job_id(self._name, digest), self._force, None, where, ids, ()))


def shape_of(method: Method, names: tuple[str, ...], slices: int | None, force: bool,
             handle_type: type, owner: object) -> CallShape | None:
    """The shape of calls of ``method`` with the parameters ``names``, which a call made by
    the general path has just shown to be valid; None where only the general path goes."""
    if method.list_inputs or (slices is not None and type(slices) is not int):
        return None
    for name, spec in method.options.items():
        if spec.required and name not in names:
            return None
    try:
        return CallShape(method, names, slices, force, handle_type, owner)
    except CanonicalError:
        return None  # a default that does not encode: the general path says so
