"""The board's web application: Starlette routes that open a session per request, get a
page's document from ``documents`` and answer it as HTML (``pages``) or, with
``?format=json``, as the JSON the matching command prints.

Read-only: GET only; no route builds, writes a job or unpickles a result unless asked
(``?load=1`` on a job, behind the trust note); files are served from inside their job
directory only. A run going on is followed live: ``/events`` sends server-sent events,
one each time what runs changes, polling the work directory once a second on the
server's side (the run writes nothing for the board); without JavaScript the runs page
reloads itself every 2 s.
A method's page compares its jobs (``compare``); ``/urd`` shows the result lists.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from acbuild.board import documents, graphview, methodpages, pages, urdpages
from acbuild.board.files import FileMissing, FileRefused, inside, media_type
from acbuild.config import Project
from acbuild.errors import AcbuildError, JobSpecError
from acbuild.history import RunSpecError
from acbuild.session import Session, resolve_job
from acbuild.urdlists import UrdError

PER_PAGE = 50  # runs on a page of the history
RUN_PAGE = 500  # jobs on a page of a run
EVENTS_EVERY = 1.0  # seconds between two looks at a run going on
EVENTS_FOR = 3600.0  # an event stream ends after this long (the browser reconnects)
NOT_FOUND = (JobSpecError, RunSpecError, documents.ScriptRefused, FileMissing, UrdError)


def create_app(project: Project) -> Starlette:
    """The board of ``project``: a fresh session (its own database connections) for each
    request, closed when the answer is made."""
    dependents = documents.Dependents()

    def route(path: str, make: Callable[[Request, Session], Response]) -> Route:
        def endpoint(request: Request) -> Response:  # sync: Starlette runs it in a thread
            try:
                with Session(project) as session:
                    return make(request, session)
            except AcbuildError as error:
                return _error(request, error)
        return Route(path, endpoint, methods=["GET"])

    def job_page(request: Request, session: Session) -> Response:
        text = _job_text(request)
        load = request.query_params.get("load") == "1"
        info = documents.job(session, text, load=load)
        if _wants_json(request):
            return _json(info)
        path = Path(info["path"])
        why = (info.get("built_because") or {}).get("reason") if isinstance(
            info.get("built_because"), dict) else None
        return HTMLResponse(pages.job(info, dependents.of(session, info["id"]),
                                      sorted(documents.sources(path)),
                                      (path / "result.pickle").is_file(), load, why,
                                      documents.why_built(session, path)))

    def live_now() -> dict[str, Any]:
        with Session(project) as session:
            return _live_doc(session)

    async def events(request: Request) -> Response:
        async def stream() -> AsyncIterator[str]:
            said, until = None, time.monotonic() + EVENTS_FOR
            while time.monotonic() < until and not await request.is_disconnected():
                doc = await run_in_threadpool(live_now)
                if doc["live"] is not None:
                    doc["html"] = pages.live_box(doc["live"])
                text = json.dumps(doc, default=str)
                if text != said:
                    yield f"data: {text}\n\n"
                    said = text
                if doc["live"] is None:
                    return  # the run is over: the page reloads, and listens again if another is
                await asyncio.sleep(EVENTS_EVERY)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    return Starlette(routes=[
        route("/", _runs),
        route("/live", _live),
        Route("/events", events, methods=["GET"]),
        route("/urd", _lists),
        route("/urd/{where:path}", _lists),
        route("/run/{run}", _run),
        route("/job/{job}", job_page),
        route("/job/{job}/file/{name:path}", _file),
        route("/job/{job}/source/{name:path}", _source),
        route("/job/{job}/log", _log),
        route("/job/{job}/explain", _explain),
        route("/methods", _methods),
        route("/method/{name}", _method),
        route("/graph", _graph),
    ])


def _wants_json(request: Request) -> bool:
    return request.query_params.get("format") == "json"


def _json(value: Any, status: int = 200) -> Response:
    # As the command line prints it (console.print_json): str() for what JSON lacks.
    return Response(json.dumps(value, indent=2, default=str, ensure_ascii=False), status,
                    media_type="application/json")


def _error(request: Request, error: AcbuildError) -> Response:
    status = (404 if isinstance(error, NOT_FOUND) else
              403 if isinstance(error, FileRefused) else 500)
    message = f"{error.where}: {error.message}" if error.where else error.message
    if _wants_json(request):
        return _json({"error": message, "hint": error.hint}, status)
    hint = f"<p>{pages.escape(error.hint)}</p>" if error.hint else ""
    return HTMLResponse(pages.page("Not here" if status != 500 else "Error",
                                   f"<pre>{pages.escape(message)}</pre>{hint}"), status)


def _page_no(request: Request) -> int:
    text = request.query_params.get("page", "0")
    return int(text) if text.isascii() and text.isdigit() else 0


def _job_text(request: Request) -> str:
    """A job id, a prefix of one or a method; never a path (the board shows jobs of the
    project's work directories only)."""
    text = request.path_params["job"]
    if "/" in text or text.startswith(".") or not text:
        raise JobSpecError(f"{text!r} is not a job id")
    return text


def _runs(request: Request, session: Session) -> Response:
    page_no = _page_no(request)
    doc, more = documents.runs(session, page_no, PER_PAGE)
    if _wants_json(request):
        return _json(doc)
    going = [r for r in doc["runs"] if r["status"] == "running"]
    live = documents.live(session, going[0]) if going and page_no == 0 else None
    return HTMLResponse(pages.runs(doc, page_no, more, live))


def _live(request: Request, session: Session) -> Response:
    return _json(_live_doc(session))


def _live_doc(session: Session) -> dict[str, Any]:
    going = [r for r in documents.runs(session, 0, 5)[0]["runs"] if r["status"] == "running"]
    return {"live": documents.live(session, going[0]) if going else None}


def _run(request: Request, session: Session) -> Response:
    doc = documents.run(session, request.path_params["run"])
    if _wants_json(request):
        return _json(doc)
    page_no = _page_no(request)
    shown = doc["jobs"][page_no * RUN_PAGE:(page_no + 1) * RUN_PAGE]
    more = len(doc["jobs"]) > (page_no + 1) * RUN_PAGE
    return HTMLResponse(pages.run(doc, shown, documents.reasons(shown), page_no, more))


def _file(request: Request, session: Session) -> Response:
    path = resolve_job(session, _job_text(request))
    found = inside(path, request.path_params["name"])
    kind, inline = media_type(found)
    return FileResponse(found, media_type=kind,
                        content_disposition_type="inline" if inline else "attachment",
                        filename=found.name)


def _source(request: Request, session: Session) -> Response:
    text = _job_text(request)
    path = resolve_job(session, text)
    name = request.path_params["name"]
    kept = documents.sources(path)
    if name not in kept:
        raise FileMissing(f"{name!r} is not a source file {text} kept")
    code = kept[name].decode(errors="replace")
    if _wants_json(request):
        return _json({"id": path.name, "path": name, "source": code})
    return HTMLResponse(pages.source(path.name, name, code))


def _log(request: Request, session: Session) -> Response:
    path = resolve_job(session, _job_text(request))
    parts = documents.log_parts(path)
    if _wants_json(request):
        return _json({"id": path.name, "parts": parts})
    return HTMLResponse(pages.log(path.name, parts))


def _explain(request: Request, session: Session) -> Response:
    script = documents.script_path(session, request.query_params.get("script"))
    report = documents.why(session, _job_text(request), script)
    return _json(report) if _wants_json(request) else HTMLResponse(pages.explained(report))


def _methods(request: Request, session: Session) -> Response:
    doc = documents.methods(session)
    return _json(doc) if _wants_json(request) else HTMLResponse(methodpages.methods(doc))


def _method(request: Request, session: Session) -> Response:
    """The method and its jobs compared; the JSON twin is ``methods NAME --json`` (and the
    jobs' options), or, with ``load=1``, ``compare NAME --json`` (``sort``, ``desc``)."""
    name, query = request.path_params["name"], request.query_params
    load, sort, desc = query.get("load") == "1", query.get("sort") or None, query.get("desc") == "1"
    if _wants_json(request) and load:
        compared = documents.comparison(session, name, True, sort, desc)
        if compared is None:
            raise JobSpecError(f"method {name!r} has no finished jobs")
        return _json(compared)
    doc = documents.method(session, name)
    if _wants_json(request):
        return _json(doc)
    compared = documents.comparison(session, name, load, sort, desc)
    return HTMLResponse(methodpages.method(doc, compared, load, sort, desc))


def _lists(request: Request, session: Session) -> Response:
    """``urd [LIST[/TS]] --json`` (``ghosts=1``: ``--ghosts``) and its page."""
    where, ghosts = request.path_params.get("where"), request.query_params.get("ghosts") == "1"
    doc = documents.lists(session, where or None, ghosts)
    if _wants_json(request):
        return _json(doc)
    if "lists" in doc:
        return HTMLResponse(urdpages.lists(doc, ghosts))
    if "entries" in doc:
        return HTMLResponse(urdpages.entries(doc, ghosts))
    return HTMLResponse(urdpages.entry(doc))


def _graph(request: Request, session: Session) -> Response:
    name = request.query_params.get("script") or documents.DEFAULT_SCRIPT
    view = documents.graph(session, documents.script_path(session, name))
    if _wants_json(request):
        return _json(view)
    focus = request.query_params.get("job") or None
    hops_text = request.query_params.get("hops", "2")
    hops = min(int(hops_text), 50) if hops_text.isascii() and hops_text.isdigit() else 2
    drawing, summary = graphview.drawing(view, name, focus, hops)
    return HTMLResponse(pages.graph(name, documents.scripts(session), drawing, summary))
