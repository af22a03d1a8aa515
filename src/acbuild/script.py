"""Evaluating a build script into a job graph.

``main(urd)`` declares jobs with ``urd.build``, which returns a handle at once.
When the script reads a result (``handle.load()``, ``handle.path``), the
``realize`` callback given by the caller builds that part of the graph first
(or, for commands that build nothing, stops the script there). Errors name the
script line that caused them.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from acbuild import buildcall, canonical, graph, options
from acbuild.declarations import check_resources
from acbuild.errors import (
    AcbuildError,
    InputFileError,
    JobError,
    MethodError,
    ScriptError,
    UnhashableFile,
)
from acbuild.job import WITHFILE, Job, follow_chain
from acbuild.methods import Method, MethodRegistry
from acbuild.scriptimports import script_directory_imports
from acbuild.urdcalls import ListAccess, ResultListCalls, existing_specs

# Given a spec the script needs a result of, build it (and what it needs) and return its
# directory; or raise NeedsBuild when this command builds nothing.
Realize = Callable[[graph.JobSpec], Path]
FileDigest = Callable[[Path], str]
BUILD_PARAMETERS = ("options", "jobs", "name", "force", "resources")
# What an input is in a spec: a job, None (absent), or, for a list input, a tuple of those.
_Input = graph.JobSpec | None | tuple[graph.JobSpec | None, ...]
LABEL_MAX = 200  # characters of a job's label (urd.build's name=)
_SHAPES_MAX = 4096  # shapes of urd.build calls one build keeps (buildcall)


class JobHandle:
    """What ``urd.build`` returns: a job of the graph, built when its result is needed."""

    __slots__ = ("spec", "_urd", "_job")  # made once per job: a script makes thousands

    def __init__(self, spec: graph.JobSpec, urd: Urd):
        self.spec = spec
        self._urd = urd
        self._job: Job | None = None

    def __repr__(self) -> str:
        return f"JobHandle({self.spec.id!r})"

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def method(self) -> str:
        return self.spec.method

    def _built(self) -> Job:
        if self._job is None:
            try:
                self._job = Job(self._urd._realize(self.spec), self.spec.id)
            except AcbuildError as e:
                e.where = _caller(self._urd._script_name)  # where the script reads the result
                if isinstance(e, JobError) and e.job == self.spec.id:
                    e.job = self  # the script's own handle of the job that failed
                raise
        return self._job

    @property
    def path(self) -> Path:
        return self._built().path

    def load(self, *args: Any, **kwargs: Any) -> Any:
        return self._built().load(*args, **kwargs)

    def json_load(self, *args: Any, **kwargs: Any) -> Any:
        return self._built().json_load(*args, **kwargs)

    def output(self, *args: Any, **kwargs: Any) -> str:
        return self._built().output(*args, **kwargs)

    @property
    def params(self) -> Any:
        return self._built().params

    def open(self, name: str, mode: str = "r", **kwargs: Any) -> IO[Any]:
        return self._built().open(name, mode, **kwargs)

    def filename(self, name: str, sliceno: int | None = None) -> Path:
        return self._built().filename(name, sliceno)

    # Handles of one job are one: equal to each other and to the job's id, with its hash.
    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return other == self.spec.id
        return isinstance(other, (JobHandle, Job)) and other.id == self.spec.id

    def __hash__(self) -> int:
        return hash(self.spec.id)

    def withfile(self, name: str | os.PathLike[str], sliced: bool = False) -> canonical.JobFile:
        """A file of this job as an option value: the job becomes an input of the job that
        takes it, and the method gets a ``JobWithFile`` (``.load()``, ``.open()``...)."""
        name = os.fspath(name)
        norm = os.path.normpath(name) if isinstance(name, str) and name else ""
        # Lexically inside the job (a link out of it is refused when the file is read):
        # a name no job can have fails here, before any job starts, not in the reader.
        if (not norm or os.path.isabs(name) or norm == os.curdir or norm == os.pardir
                or norm.startswith(os.pardir + os.sep)):
            raise ScriptError(f"withfile takes a file name relative to the job {self.id}, "
                              f"inside it, got {canonical.brief(name)}", where=_caller(self._urd._script_name))
        return canonical.JobFile(self.spec.hash, self.spec.id, name, bool(sliced))

    def input(self, name: str) -> Any:
        """The input ``name`` this job is declared with: a handle, a list of them, or None."""
        refs = dict(self.spec.inputs)
        if name not in refs:
            raise ScriptError(f"{self.id} has no input {name!r} "
                              f"(inputs: {', '.join(refs) or 'none'})",
                              where=_caller(self._urd._script_name))
        ref = refs[name]
        if type(ref) is tuple:
            return [None if h is None else self._urd._handle(h) for h in ref]
        return None if ref is None else self._urd._handle(ref)  # type: ignore[arg-type]

    def chain(self, length: int = -1, reverse: bool = False,
              stop_job: Any = None) -> list[JobHandle]:
        """This job and those before it along its ``previous`` input, oldest first
        (``reverse=True``: newest first), as the Accelerator's ``Job.chain``."""
        def previous(handle: JobHandle) -> JobHandle | None:
            refs = dict(handle.spec.inputs)
            ref = refs.get("previous")
            return self._urd._handle(ref) if isinstance(ref, str) else None

        return follow_chain(self, previous, length, reverse, stop_job)


class Urd(ResultListCalls):
    """The object a build script's ``main`` receives (the result-list calls: ``urdcalls``)."""

    def __init__(self, registry: MethodRegistry, slices: int, script: Path, project_root: Path,
                 realize: Realize, file_digest: FileDigest,
                 force_methods: frozenset[str] = frozenset(), lists: ListAccess | None = None):
        self.graph = graph.Graph()
        self._registry = registry
        self._slices = slices
        self._script = script
        self._script_name = str(script)  # what _caller looks for, once
        self._root = project_root
        self._realize = realize
        self._file_digest = file_digest
        self._force_methods = force_methods
        self._list_access = lists
        self.warnings: list[str] = []
        # urd.build's fast path (buildcall): by (method, parameter names), what a call of
        # that shape costs once; None where only the general path goes. And where each
        # line of the script is, said once.
        self._shapes: dict[tuple[str, ...], buildcall.CallShape | None] = {}
        self._lines: dict[int, str] = {}
        # Builds several parts of the graph at once (set by a run; None when nothing may be
        # built, as in status): what ``load_all`` needs to build a sweep's variants together.
        self.realize_all: Callable[[Sequence[graph.JobSpec]], None] | None = None

    def build(self, method: str, options: Mapping[str, Any] | None = None,
              jobs: Mapping[str, Any] | None = None, name: str | None = None,
              force: bool = False, resources: Mapping[str, Any] | None = None,
              **params: Any) -> JobHandle:
        frame = sys._getframe(1)
        if frame.f_code.co_filename == self._script_name:  # called from the script itself
            line = frame.f_lineno
            where = self._lines.get(line) or self._lines.setdefault(
                line, f"{self._script_name}:{line}")
        else:
            where = _caller(self._script_name)
        key = None
        if (type(method) is str and options is None and jobs is None and name is None
                and force is False and resources is None):
            key = (method, *params)
            shape = self._shapes.get(key)
            if shape:  # the fast path: this method was called with these names before
                spec = shape.spec(params, where)
                if spec is not None:
                    if shape.warnings:
                        self.warnings.extend(w for w in shape.warnings if w not in self.warnings)
                    handle = JobHandle(self.graph.add_declared(spec), self)
                    if self._open_entry is not None:
                        self._noted(handle)
                    return handle
        try:
            handle = self._build(method, options, jobs, name, force, params, where, resources)
            if key is not None and key not in self._shapes and len(self._shapes) < _SHAPES_MAX:
                made = self._registry.get(method)  # known now: the call went through
                self._shapes[key] = buildcall.shape_of(
                    made, key[1:], self._slices if made.has_analysis else None,
                    made.name in self._force_methods, JobHandle, self)
            if self._open_entry is not None:
                self._noted(handle)
            return handle
        except AcbuildError as e:
            if e.where is None:
                e.where = where
            elif not e.where.startswith(str(self._script)):
                e.message += f" (in urd.build at {where})"
            raise

    def load_all(self, handles: Iterable[JobHandle]) -> list[Any]:
        """The results of ``handles``, in their order, the jobs built together (up to ``-j``
        at once) rather than one after the other as a loop of ``load()`` would: a sweep's
        variants, read to print a table."""
        handles = list(handles)
        for handle in handles:
            if not isinstance(handle, JobHandle):
                raise MethodError(f"urd.load_all takes the handles urd.build returned, got "
                                  f"{type(handle).__name__} {canonical.brief(handle)}",
                                  where=_caller(self._script_name))
        if self.realize_all is not None:
            try:
                self.realize_all([h.spec for h in handles])
            except AcbuildError as e:
                e.where = e.where or _caller(self._script_name)
                raise
        return [handle.load() for handle in handles]

    def _build(self, method_name: str, given_options: Mapping[str, Any] | None,
               given_jobs: Mapping[str, Any] | None, label: str | None, force: bool,
               params: dict[str, Any], where: str,
               resources: Mapping[str, Any] | None = None) -> JobHandle:
        if not isinstance(method_name, str):
            raise MethodError(f"urd.build takes a method name (a str) first, got "
                              f"{type(method_name).__name__} {canonical.brief(method_name)}")
        method = self._registry.get(method_name)
        if (given_options is not None or given_jobs is not None or label is not None or force
                or resources is not None):
            _refuse_build_parameter_clash(method, given_options, given_jobs, label, force,
                                          resources)
            if label is not None:
                _check_label(label)
        option_values = dict(given_options or {})
        job_values = dict(given_jobs or {})
        for key, value in params.items():
            if key in method.options:
                option_values[key] = value
            elif key in method.inputs:
                job_values[key] = value
            else:
                raise MethodError(_unknown_parameter_message(method, key))
        normalized = options.normalize(method.name, method.options, option_values)
        inputs = self._inputs(method, job_values)
        if any(type(v) is canonical.JobFile or isinstance(v, (dict, list))
               for v in normalized.values()):
            inputs.update(self._withfile_inputs(method, normalized))
        spec = graph.make_spec(
            method.name, method.code_hash, normalized, inputs,
            self._slices if method.has_analysis else None,
            force=bool(force) or method.name in self._force_methods, label=label,
            where=where,
            resources=None if resources is None else check_resources(resources, where),
        )
        if method.warnings:
            self.warnings.extend(w for w in method.warnings if w not in self.warnings)
        return JobHandle(self.graph.add(spec), self)

    def _adopt_hash(self, job_hash: str) -> JobHandle:
        """A finished job (a list entry's) as a handle of this graph, with its inputs."""
        spec = self.graph.specs.get(job_hash)
        if spec is None:
            assert self._list_access is not None
            for found in existing_specs(job_hash, self._list_access.find,
                                        _caller(self._script_name)):
                spec = self.graph.specs.get(found.hash) or self.graph.add(found)
        assert spec is not None
        return JobHandle(spec, self)

    def _realize_handle(self, handle: JobHandle) -> None:
        handle._built()

    def _call_site(self) -> str:
        return _caller(self._script_name)

    def _inputs(self, method: Method, given: dict[str, Any]) -> dict[str, _Input]:
        inputs: dict[str, _Input] = dict.fromkeys(method.inputs)
        for key in method.list_inputs:
            inputs[key] = ()  # not given: an empty list, as None
        for key, value in given.items():
            if key not in method.inputs:
                raise MethodError(_unknown_parameter_message(method, key))
            if key in method.list_inputs:
                inputs[key] = self._list_input(method, key, value)
            elif value is not None:
                inputs[key] = self._input_job(method, key, value, "")
        return inputs

    def _withfile_inputs(self, method: Method, normalized: dict[str, Any]) -> dict[str, _Input]:
        """The jobs whose files options name (``handle.withfile``): inputs of the job, by
        where the option names them first ("withfile:cfg.data"), each job once."""
        found: dict[str, _Input] = {}
        seen: set[str] = set()
        for name, value in normalized.items():
            for where, jobfile in graph.job_files(value, name):
                spec = self.graph.specs.get(jobfile.job)
                if spec is None:
                    raise MethodError(f"method {method.name!r}: option {where!r} is a file of "
                                      f"{jobfile.id}, a job of another build")
                if jobfile.job not in seen:
                    seen.add(jobfile.job)
                    found[WITHFILE + where] = spec
        return found

    def _list_input(self, method: Method, key: str, value: Any) -> _Input:
        """A list input: a list (or tuple) of jobs and Nones, in the order that is identity;
        None is an empty list, as the Accelerator's."""
        if value is None:
            return ()
        if not isinstance(value, (list, tuple)):
            raise MethodError(
                f"method {method.name!r}: input {key!r} is a list input (declared [{key!r}]): "
                f"it takes a list of jobs from urd.build (or None), not {type(value).__name__}")
        return tuple([None if item is None else self._input_job(method, key, item, f"[{i}]")
                      for i, item in enumerate(value)])

    def _input_job(self, method: Method, key: str, value: Any, at: str) -> graph.JobSpec:
        if type(value) is not JobHandle and not isinstance(value, JobHandle):
            if not at and isinstance(value, (list, tuple)):
                raise MethodError(
                    f"method {method.name!r}: input {key!r} takes one job, not a "
                    f"{type(value).__name__}",
                    hint=f"declare it jobs = ([{key!r}],) to make it a list input")
            raise MethodError(
                f"method {method.name!r}: input {key!r}{at} must be a job from urd.build "
                f"or None, not {type(value).__name__}")
        if value._urd is not self:
            raise MethodError(f"input {key!r}{at} is a job of another build")
        return value.spec

    def _handle(self, job_hash: str) -> JobHandle:
        return JobHandle(self.graph.specs[job_hash], self)

    def file(self, path: str | os.PathLike[str]) -> canonical.InputFile:
        """An input file (or directory): its content is part of every job that takes it."""
        where = _caller(self._script_name)
        if not isinstance(path, (str, os.PathLike)):
            raise InputFileError(f"urd.file takes a path (a str or Path), got "
                                 f"{type(path).__name__} {canonical.brief(path)}", where=where)
        given = canonical.brief(os.fspath(path))
        full = self._script.parent / path
        try:
            full = full.resolve()
            digest = self._file_digest(full)
        except (ValueError, RuntimeError) as e:  # a NUL character; a symlink loop (< 3.13)
            raise InputFileError(f"input file {given} is not a valid path: {e}",
                                 where=where) from None
        except UnhashableFile as e:
            inner = "" if Path(e.path) == full else f": {self._shown(Path(e.path))}"
            raise InputFileError(f"input file {given}{inner} {e.reason}", where=where) from None
        except OSError as e:
            if isinstance(e, FileNotFoundError) and not os.path.lexists(full):
                raise InputFileError(f"input file {given} does not exist ({full})",
                                     where=where) from None
            inner = (f" ({_clip(os.fsdecode(e.filename))})"
                     if e.filename and Path(e.filename) != full else "")
            raise InputFileError(f"cannot read input file {given}{inner}: {e.strerror}",
                                 where=where) from None
        return canonical.InputFile(self._shown(full), digest)

    def _shown(self, full: Path) -> str:
        """A file's project-relative name, '/'-separated; its full path outside the project."""
        try:
            return full.relative_to(self._root.resolve()).as_posix()
        except ValueError:
            return str(full)  # outside the project: only its content is identity anyway


def _refuse_build_parameter_clash(method: Method, given_options: object, given_jobs: object,
                                  label: object, force: object,
                                  resources: object = None) -> None:
    given = {"options": given_options is not None, "jobs": given_jobs is not None,
             "name": label is not None, "force": bool(force),
             "resources": resources is not None}
    for parameter in BUILD_PARAMETERS:
        if given[parameter] and (parameter in method.options or parameter in method.inputs):
            kind = "option" if parameter in method.options else "input"
            raise MethodError(
                f"{parameter!r} is both a parameter of urd.build and an {kind} of method "
                f"{method.name!r}",
                hint=f"pass it inside {'options' if kind == 'option' else 'jobs'}="
                     f"{{{parameter!r}: ...}}")


def _clip(text: str, most: int = 200) -> str:
    """``text``, or its start and end when it is longer than ``most`` characters."""
    return text if len(text) <= most else f"{text[:most // 2]}...{text[-most // 2:]}"


def _check_label(label: object) -> None:
    """A label is shown on one line of every report: a short str of printable characters."""
    if isinstance(label, str) and 0 < len(label) <= LABEL_MAX and label.isprintable():
        return
    if not isinstance(label, str):
        got = f"{type(label).__name__} {canonical.brief(label)}"
    elif not label or len(label) > LABEL_MAX:
        got = f"a str of {len(label)} characters"
    else:
        bad = next(c for c in label if not c.isprintable())
        got = f"a str holding the unprintable character {bad!r}"
    raise ScriptError(f"urd.build(name=...) takes a label of 1 to {LABEL_MAX} printable "
                      f"characters, got {got}")


def _unknown_parameter_message(method: Method, key: str) -> str:
    import difflib

    known = sorted([*method.options, *method.inputs])
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return (f"method {method.name!r} has no option or input {key!r} "
            f"(options: {', '.join(sorted(method.options)) or 'none'}; "
            f"inputs: {', '.join(method.inputs) or 'none'}){hint}")


def _caller(name: str) -> str:
    """The innermost line of the build script (``name``) on the stack: where the user asked."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename == name:
            return f"{name}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return name


def load_script(path: Path) -> Callable[[Urd], Any]:
    """Compile a build script and return its ``main``."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # reading a FIFO would wait forever
            raise ScriptError(f"build script {path} is not a regular file")
        source = path.read_text()
    except FileNotFoundError:
        raise ScriptError(f"build script {path} does not exist") from None
    except OSError as e:
        raise ScriptError(f"cannot read build script: {e.strerror}", where=str(path)) from None
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as e:
        raise ScriptError(f"syntax error: {e.msg}", where=f"{path}:{e.lineno}") from None
    namespace: dict[str, Any] = {"__name__": "acbuild_build_script", "__file__": str(path)}
    try:
        exec(code, namespace)
    except (Exception, SystemExit) as e:  # sys.exit() in a script is an error, not our exit
        raise _script_failure(e, path) from None
    main = namespace.get("main")
    if not callable(main):
        raise ScriptError("a build script must define main(urd)", where=str(path))
    return main


def evaluate(path: Path, urd: Urd) -> graph.Graph:
    """Run the script's ``main(urd)``; return the graph it declared. The modules of the
    script's directory it imports, at its top or in ``main``, are found there, from their
    source (``scriptimports``), whatever directory acbuild was started in."""
    with script_directory_imports(str(path.parent)):
        main = load_script(path)
        try:
            main(urd)
        except AcbuildError:
            raise
        except (Exception, SystemExit) as e:  # sys.exit() in a script is an error, not ours
            raise _script_failure(e, path) from None
    return urd.graph


def _script_failure(error: BaseException, path: Path) -> ScriptError:
    import traceback  # only on this error path: a script that runs never loads it

    stack = traceback.extract_tb(error.__traceback__)
    frames = [f for f in stack if f.filename == str(path)]
    where = f"{path}:{frames[-1].lineno}" if frames else str(path)
    if isinstance(error, SyntaxError) and error.filename:
        where = f"{error.filename}:{error.lineno}"
    detail = "".join(traceback.format_exception_only(type(error), error)).strip()
    return ScriptError(f"the build script raised {detail}{_own_module_line(stack, path)}",
                       where=where)


def _own_module_line(stack: list[Any], path: Path) -> str:
    """" (at settings.py:2)" when the error was raised deeper, in a module of the script's
    own directory (its settings, a package of sweeps): the script's line alone would
    point at an import or a call, not at what failed."""
    folder = str(path.parent) + os.sep
    for frame in reversed(stack):  # the deepest first; the script's own frame ends the search
        if frame.filename == str(path):
            return ""
        installed = any(f"{os.sep}{d}{os.sep}" in frame.filename  # a project's .venv
                        for d in ("site-packages", "dist-packages"))
        if frame.filename.startswith(folder) and not installed:
            return f" (at {frame.filename[len(folder):]}:{frame.lineno})"
    return ""

