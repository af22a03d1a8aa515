"""The job graph: frozen ``JobSpec`` records, their identity hash, the DAG and its order.

A ``JobSpec`` says what a job is (method, code, options, inputs); whether it is
built is decided elsewhere (``plan``). The job hash is computed in one place,
``job_hash``, from one canonical record.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from acbuild import canonical, hashing
from acbuild.errors import GraphError

# An input's job hash (or id), None when absent; a tuple of those for a list input.
InputRef = str | None | tuple[str | None, ...]


class JobSpec(NamedTuple):
    """One job of a build script. Equal specs have equal hashes; nothing else is compared.

    A named tuple, as frozen as a frozen dataclass and made several times faster: a build
    script makes one per job, 10,000 of them for a large build."""

    method: str
    code_hash: str
    options: Mapping[str, object]
    # input name -> input job hash, None when absent; a list input's, a tuple of those
    inputs: tuple[tuple[str, InputRef], ...]
    slices: int | None  # part of the identity only for methods with an analysis phase
    hash: str
    id: str
    force: bool = False
    label: str | None = None
    where: str | None = None  # "build.py:12": the script line that asked for it
    input_ids: tuple[tuple[str, InputRef], ...] = ()
    # urd.build(resources=...): scheduling, never identity (over the method's own)
    resources: tuple[tuple[str, object], ...] = ()

    # Compared by hash only, never as tuples (so != too: a tuple has its own).
    def __eq__(self, other: object) -> bool:
        return isinstance(other, JobSpec) and other.hash == self.hash

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self.hash)

    @property
    def input_hashes(self) -> list[str]:
        return [h for _, h in edges(self.inputs)]


def edges(inputs: Iterable[tuple[str, InputRef]]) -> list[tuple[str, str]]:
    """(name, job) of each job an input holds: a list input's by ``name[i]``."""
    out: list[tuple[str, str]] = []
    for name, ref in inputs:
        if type(ref) is tuple:
            out.extend((f"{name}[{i}]", r) for i, r in enumerate(ref) if r is not None)
        elif ref is not None:
            out.append((name, ref))  # type: ignore[arg-type]
    return out


IDENTITY_FIELDS = ("format", "method", "code", "options", "inputs", "slices")
_IDENTITY = canonical.RecordEncoder(IDENTITY_FIELDS)


def identity_record(
    method: str,
    code_hash: str,
    options: Mapping[str, object],
    inputs: Mapping[str, InputRef],
    slices: int | None,
) -> dict[str, object]:
    """Everything that goes into a job's hash, and nothing else."""
    return {
        "format": hashing.JOB_FORMAT,
        "method": method,
        "code": code_hash,
        "options": dict(options),
        "inputs": dict(inputs),
        "slices": slices,
    }


def job_hash(record: Mapping[str, object]) -> str:
    # canonical.encode(record), through an encoder that knows the record's fields.
    return hashing.hash_bytes(_IDENTITY.encode(record, where="job"))


# The identity records of one method's jobs share their shape (the method, its code, the
# slices, the names of the options and of the inputs): its constant bytes are made once
# (canonical.ShapeEncoder), and a job costs only its values. Bounded; beyond, ``job_hash``.
_SHAPES: dict[tuple[object, ...], canonical.ShapeEncoder] = {}
_SHAPES_MAX = 4096


def _fast_hash(method: str, code_hash: str, options: Mapping[str, object],
               inputs: dict[str, Any], slices: int | None) -> str | None:
    """``job_hash`` of the record, through the shape of its method's jobs; None where that
    does not apply (options not a dict, not str keys, slices not an int) or a value is refused."""
    # The shapes are found by equality: True, 1.0 and 1 are one key but three identities.
    if type(options) is not dict or (slices is not None and type(slices) is not int):
        return None
    key = (method, code_hash, slices, *options, None, *inputs)
    shape = _SHAPES.get(key)
    try:
        if shape is None:
            if len(_SHAPES) >= _SHAPES_MAX or not all(type(k) is str for k in key[3:]
                                                      if k is not None):
                return None
            shape = _SHAPES[key] = canonical.ShapeEncoder(
                {"format": hashing.JOB_FORMAT, "method": method, "code": code_hash,
                 "slices": slices}, [("options", list(options)), ("inputs", list(inputs))])
        return hashing.hash_bytes(shape.encode(options, inputs))
    except canonical.Unencodable:
        return None  # job_hash says what and where


def make_spec(
    method: str,
    code_hash: str,
    options: Mapping[str, object],
    inputs: Mapping[str, JobSpec | None | tuple[JobSpec | None, ...]],
    slices: int | None,
    *,
    force: bool = False,
    label: str | None = None,
    where: str | None = None,
    resources: Mapping[str, object] | None = None,
) -> JobSpec:
    pairs = sorted(inputs.items())  # by name: names are distinct, so no spec is compared
    hashes = tuple([(name, None if spec is None else spec.hash if type(spec) is JobSpec
                     else _refs(spec, "hash")) for name, spec in pairs])
    # A list input is a list in the identity (canonical encodes a tuple as one): its order
    # is identity, and no single input encodes as a list, so no id of one changes.
    by_name = dict(hashes)
    digest = (_fast_hash(method, code_hash, options, by_name, slices)
              or job_hash(identity_record(method, code_hash, options, by_name, slices)))
    return JobSpec(method, code_hash, options, hashes, slices, digest,
                   hashing.job_id(method, digest), force, label, where,
                   tuple([(name, None if spec is None else spec.id if type(spec) is JobSpec
                           else _refs(spec, "id")) for name, spec in pairs]),
                   tuple(sorted(resources.items())) if resources else ())


def _refs(specs: Any, field: str) -> tuple[str | None, ...]:
    """A list input's hashes (or ids), None where an entry is absent."""
    return tuple([None if s is None else getattr(s, field) for s in specs])


def input_files(value: object) -> list[canonical.InputFile]:
    """Every ``urd.file`` inside an option value, in order."""
    if isinstance(value, canonical.InputFile):
        return [value]
    if isinstance(value, Mapping):
        return [f for v in value.values() for f in input_files(v)]
    if isinstance(value, (list, tuple)):
        return [f for v in value for f in input_files(v)]
    return []


def job_files(value: object, where: str) -> list[tuple[str, canonical.JobFile]]:
    """Every ``handle.withfile`` inside an option value, with where it is (``cfg.inner``,
    ``files[0]``), in order."""
    if isinstance(value, canonical.JobFile):
        return [(where, value)]
    if isinstance(value, Mapping):
        return [f for k, v in value.items() for f in job_files(v, f"{where}.{k}")]
    if isinstance(value, (list, tuple)):
        return [f for i, v in enumerate(value) for f in job_files(v, f"{where}[{i}]")]
    return []


class Graph:
    """The jobs of one script, in the order the script declared them (a topological order)."""

    def __init__(self) -> None:
        self.specs: dict[str, JobSpec] = {}
        self.labels: dict[str, str] = {}
        self.revision = 0  # counts the jobs forced anew (``add``): what was planned may not hold

    def add(self, spec: JobSpec) -> JobSpec:
        """Add ``spec``; asking for the same job twice gives the first spec back."""
        specs = self.specs
        for _, ref in spec.inputs:  # (spec.input_hashes, without making the list)
            if ref is None:
                continue
            if type(ref) is tuple:
                if any(r is not None and r not in specs for r in ref):
                    raise GraphError(f"{spec.id}: an input job is not part of this graph")
            elif ref not in specs:
                raise GraphError(f"{spec.id}: an input job is not part of this graph")
        if spec.label is not None:
            owner = self.labels.get(spec.label)
            if owner is not None and owner != spec.hash:
                raise GraphError(
                    f"the label {spec.label!r} names two different jobs "
                    f"({self.specs[owner].id} and {spec.id})", where=spec.where,
                )
            self.labels[spec.label] = spec.hash
        existing = self.specs.get(spec.hash)
        if existing is not None:
            if spec.force and not existing.force:
                self.specs[spec.hash] = spec
                self.revision += 1
                return spec
            return existing
        self.specs[spec.hash] = spec
        return spec

    def add_declared(self, spec: JobSpec) -> JobSpec:
        """``add`` for a spec with no label whose inputs are jobs of this graph already (what
        urd.build's fast path makes: its inputs are handles of this build, each made from a
        spec of this graph): nothing to check, one look up. A script declares thousands."""
        existing = self.specs.setdefault(spec.hash, spec)
        if existing is spec or not spec.force or existing.force:
            return existing
        return self.add(spec)  # the job forced anew: ``add`` says so

    def __len__(self) -> int:
        return len(self.specs)

    def __iter__(self) -> Iterator[JobSpec]:
        return iter(self.specs.values())

    def ancestors(self, target: JobSpec) -> list[JobSpec]:
        """``target`` and every job it depends on, in topological order."""
        wanted: set[str] = set()
        stack = [target.hash]
        while stack:
            h = stack.pop()
            if h in wanted:
                continue
            wanted.add(h)
            stack.extend(self.specs[h].input_hashes)
        return [s for s in self.specs.values() if s.hash in wanted]

    def dependents(self) -> dict[str, list[str]]:
        """job hash -> the hashes of the jobs that take it as an input."""
        result: dict[str, list[str]] = {h: [] for h in self.specs}
        for spec in self.specs.values():
            for input_hash in spec.input_hashes:
                result[input_hash].append(spec.hash)
        return result


def topological_order(specs: Iterable[JobSpec]) -> list[JobSpec]:
    """Inputs before the jobs that take them; ties keep the given order. Refuses cycles."""
    pending = {s.hash: s for s in specs}
    order: list[JobSpec] = []
    done: set[str] = set()
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(spec: JobSpec) -> None:
        stack: list[tuple[JobSpec, int]] = [(spec, 0)]
        while stack:
            node, i = stack.pop()
            deps = [h for h in node.input_hashes if h in pending]
            if i == 0:
                if state.get(node.hash) == 2:
                    continue
                if state.get(node.hash) == 1:
                    raise GraphError(f"the graph has a cycle through {node.id}")
                state[node.hash] = 1
            if i < len(deps):
                stack.append((node, i + 1))
                child = pending[deps[i]]
                if state.get(child.hash) == 1:
                    raise GraphError(f"the graph has a cycle through {child.id}")
                if state.get(child.hash) != 2:
                    stack.append((child, 0))
                continue
            state[node.hash] = 2
            if node.hash not in done:
                done.add(node.hash)
                order.append(node)

    for spec in pending.values():
        visit(spec)
    return order
