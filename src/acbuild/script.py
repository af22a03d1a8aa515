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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from acbuild import canonical, graph, options
from acbuild.errors import (
    AcbuildError,
    InputFileError,
    MethodError,
    ScriptError,
    UnhashableFile,
)
from acbuild.job import Job
from acbuild.methods import Method, MethodRegistry
from acbuild.urdcalls import ListAccess, ResultListCalls, existing_specs

# Given a spec the script needs a result of, build it (and what it needs) and return its
# directory; or raise NeedsBuild when this command builds nothing.
Realize = Callable[[graph.JobSpec], Path]
FileDigest = Callable[[Path], str]
BUILD_PARAMETERS = ("options", "jobs", "name", "force")
LABEL_MAX = 200  # characters of a job's label (urd.build's name=)


class JobHandle:
    """What ``urd.build`` returns: a job of the graph, built when its result is needed."""

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
                raise
        return self._job

    @property
    def path(self) -> Path:
        return self._built().path

    def load(self) -> Any:
        return self._built().load()

    def open(self, name: str, mode: str = "r", **kwargs: Any) -> IO[Any]:
        return self._built().open(name, mode, **kwargs)

    def filename(self, name: str) -> Path:
        return self._built().filename(name)


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

    def build(self, method: str, options: Mapping[str, Any] | None = None,
              jobs: Mapping[str, Any] | None = None, name: str | None = None,
              force: bool = False, **params: Any) -> JobHandle:
        where = _caller(self._script_name)
        try:
            handle = self._build(method, options, jobs, name, force, params, where)
            if self._open_entry is not None:
                self._noted(handle)
            return handle
        except AcbuildError as e:
            if e.where is None:
                e.where = where
            elif not e.where.startswith(str(self._script)):
                e.message += f" (in urd.build at {where})"
            raise

    def _build(self, method_name: str, given_options: Mapping[str, Any] | None,
               given_jobs: Mapping[str, Any] | None, label: str | None, force: bool,
               params: dict[str, Any], where: str) -> JobHandle:
        if not isinstance(method_name, str):
            raise MethodError(f"urd.build takes a method name (a str) first, got "
                              f"{type(method_name).__name__} {canonical.brief(method_name)}")
        method = self._registry.get(method_name)
        if given_options is not None or given_jobs is not None or label is not None or force:
            _refuse_build_parameter_clash(method, given_options, given_jobs, label, force)
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
        spec = graph.make_spec(
            method.name, method.code_hash, normalized, self._inputs(method, job_values),
            self._slices if method.has_analysis else None,
            force=bool(force) or method.name in self._force_methods, label=label,
            where=where,
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

    def _inputs(self, method: Method, given: dict[str, Any]) -> dict[str, graph.JobSpec | None]:
        inputs: dict[str, graph.JobSpec | None] = dict.fromkeys(method.inputs)
        for key, value in given.items():
            if key not in method.inputs:
                raise MethodError(_unknown_parameter_message(method, key))
            if value is None:
                continue
            if type(value) is not JobHandle and not isinstance(value, JobHandle):
                raise MethodError(
                    f"method {method.name!r}: input {key!r} must be a job from urd.build "
                    f"or None, not {type(value).__name__}")
            if value._urd is not self:
                raise MethodError(f"input {key!r} is a job of another build")
            inputs[key] = value.spec
        return inputs

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
                                  label: object, force: object) -> None:
    given = {"options": given_options is not None, "jobs": given_jobs is not None,
             "name": label is not None, "force": bool(force)}
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
    """Run the script's ``main(urd)``; return the graph it declared."""
    main = load_script(path)
    for directory in (str(path.parent),):
        if directory not in sys.path:
            sys.path.insert(0, directory)
    try:
        main(urd)
    except AcbuildError:
        raise
    except (Exception, SystemExit) as e:  # sys.exit() in a script is an error, not our exit
        raise _script_failure(e, path) from None
    return urd.graph


def _script_failure(error: BaseException, path: Path) -> ScriptError:
    import traceback  # only on this error path: a script that runs never loads it

    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == str(path)]
    where = f"{path}:{frames[-1].lineno}" if frames else str(path)
    if isinstance(error, SyntaxError) and error.filename:
        where = f"{error.filename}:{error.lineno}"
    detail = "".join(traceback.format_exception_only(type(error), error)).strip()
    return ScriptError(f"the build script raised {detail}", where=where)

