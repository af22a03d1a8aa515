"""The board's pages as HTML: each draws one document of ``documents`` (escaped, no
template engine, no script but the refresh of a run going on). Never imports starlette.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from acbuild.board import svg
from acbuild.board.files import highlighted

TRUST_NOTE = ("A result is a pickle: loading it runs code from the work directory. Load "
              "only results of jobs you trust.")
_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222}
header{background:#263238;color:#fff;padding:8px 16px}header a{color:#fff;margin-right:16px}
main{padding:12px 16px}table{border-collapse:collapse}td,th{padding:2px 10px 2px 0;
text-align:left;vertical-align:top}th{border-bottom:1px solid #ccc}
.built,.ok{color:#1565c0}.reused,.cached{color:#2e7d32}.failed,.error,.died{color:#c62828}
.stale,.running{color:#ef6c00}pre{background:#f6f8fa;padding:8px;overflow:auto}
.src .ln{color:#999}.src .k{color:#7b1fa2;font-weight:bold}.src .s{color:#2e7d32}
.src .c{color:#888;font-style:italic}.src .n{color:#1565c0}.note{background:#fff8e1;
padding:6px 10px;border-left:4px solid #f9a825}.dim{color:#777}
.add{color:#2e7d32}.del{color:#c62828}.hunk{color:#00838f}
"""


def link(href: str, text: str) -> str:
    return f'<a href="{escape(href)}">{escape(text)}</a>'


def job_href(job_id: str, tail: str = "") -> str:
    return f"/job/{quote(job_id)}{tail}"


def page(title: str, body: str, refresh: int | None = None) -> str:
    # Without JavaScript (no server-sent events), a page to follow reloads itself.
    meta = (f'<noscript><meta http-equiv="refresh" content="{refresh}"></noscript>'
            if refresh else "")
    return (f"<!doctype html><html><head><meta charset=\"utf-8\">{meta}"
            f"<title>{escape(title)} · acbuild board</title><style>{_CSS}</style></head>"
            f"<body><header><b>acbuild board</b> &nbsp; {link('/', 'runs')}"
            f"{link('/methods', 'methods')}{link('/graph', 'graph')}"
            f"{link('/urd', 'result lists')}</header>"
            f"<main><h2>{escape(title)}</h2>{body}</main></body></html>")


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Cells are HTML already (escaped by the caller)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def state(text: str) -> str:
    return f'<span class="{escape(text)}">{escape(text)}</span>'


def value(v: Any) -> str:
    text = v if isinstance(v, str) else json.dumps(v, default=str, ensure_ascii=False)
    return escape(text if len(text) <= 200 else text[:199] + "…")


# -- runs --------------------------------------------------------------------------------------
def runs(doc: dict[str, Any], page_no: int, more: bool, live: dict[str, Any] | None) -> str:
    rows = [(link(f"/run/{r['run']}", str(r["run"])), escape(r["started"]),
             escape(r["script"]), "-" if r["seconds"] is None else f"{r['seconds']:.2f}s",
             state(r["status"]), str(r["built"]), str(r["reused"]), str(r["failed"]))
            for r in doc["runs"]]
    body = _live(live) if live else ""
    body += (table(("run", "started", "script", "time", "status", "built", "reused",
                    "failed"), rows) if rows else "<p>no runs yet: `acbuild run` records "
             "each run here</p>")
    nav = []
    if page_no:
        nav.append(link(f"/?page={page_no - 1}", "← newer"))
    if more:
        nav.append(link(f"/?page={page_no + 1}", "older →"))
    return page("Runs", body + f"<p>{' &nbsp; '.join(nav)}</p>",
                refresh=2 if live else None)


def _live(live: dict[str, Any]) -> str:
    """The box of a run going on, and the script that keeps it current: server-sent events
    from ``/events``; when they fail, a reload every 2 s."""
    return f"<div class='note' id='live'>{live_box(live)}</div><script>{_FOLLOW}</script>"


_FOLLOW = """(function(){
var reload=function(){setTimeout(function(){location.reload()},2000)};
if(!window.EventSource){reload();return}
var es=new EventSource('/events');
es.onmessage=function(e){var d=JSON.parse(e.data);
if(!d.live){es.close();location.reload();return}
document.getElementById('live').innerHTML=d.html};
es.onerror=function(){es.close();reload()};})();"""


def live_box(live: dict[str, Any]) -> str:
    """What a run going on is doing: its running jobs with their time, its finished ones."""
    running = "".join(f"<li>{link(job_href(j['id']), j['id'])} "
                      f"<span class='dim'>{j['elapsed']:.1f}s</span></li>"
                      for j in live["running"]) or "<li class='dim'>none right now</li>"
    done = "".join(f"<li>{link(job_href(j['id']), j['id'])}</li>" for j in live["finished"])
    return (f"<b>run {live['run']} is going on</b> (followed live)<br>running:"
            f"<ul>{running}</ul>finished so far:"
            f"<ul>{done or '<li class=dim>none yet</li>'}</ul>")


def run(doc: dict[str, Any], shown: list[dict[str, Any]], said: dict[str, str],
        page_no: int, more: bool) -> str:
    head = (f"<p>{escape(doc['script'])} · started {escape(doc['started'])} · "
            f"{state(doc['status'])} · {doc['built']} built, {doc['reused']} reused, "
            f"{doc['failed']} failed</p>")
    rows = [(state(j["state"]), link(job_href(j["id"]), j["id"]) if j["path"] else
             escape(j["id"]) + " <span class=dim>(gone)</span>",
             escape(said.get(j["id"], "reused" if j["state"] == "reused" else "")))
            for j in shown]
    nav = [link(f"/run/{doc['run']}?page={n}", label) for n, label, show in (
        (page_no - 1, "← earlier jobs", page_no > 0), (page_no + 1, "later jobs →", more))
        if show]
    return page(f"Run {doc['run']}", head + table(("state", "job", "reason"), rows)
                + f"<p>{' &nbsp; '.join(nav)}</p>")


# -- a job -------------------------------------------------------------------------------------
def job(info: dict[str, Any], dependents: list[str], sources: Sequence[str],
        has_result: bool, loaded: bool, reason: str | None,
        report: dict[str, Any] | None = None) -> str:
    jid = info["id"] or "?"
    facts = [("method", link(f"/method/{quote(info['method'] or '')}", info["method"] or "?")),
             ("state", state(info["state"])), ("description", escape(info["description"])),
             ("created", escape(info["created"] or "-")), ("path", escape(info["path"])),
             ("work directory", f"{escape(info['workdir'])} ({escape(info['workdir_role'])})"),
             ("script line", escape(info.get("script_line") or "-")),
             ("code", escape(str((info.get("code") or {}).get("hash", ""))[:16]))]
    if reason:
        facts.append(("why built", escape(reason) + " · " +
                      link(job_href(jid, "/explain"), "explain, with the source diff")))
    body = table(("", ""), facts)
    body += "<h3>Options</h3>" + table(("name", "value"), [
        (escape(k), value(v)) for k, v in (info["options"] or {}).items()])
    body += "<h3>Inputs</h3>" + _ids_table(info["inputs"])
    body += "<h3>Dependents</h3>" + (" ".join(link(job_href(d), d) for d in dependents)
                                     or "<span class=dim>none</span>")
    body += _around(jid, info, dependents)
    body += "<h3>Source</h3>" + (" · ".join(
        link(job_href(jid, "/source/" + quote(s)), s) for s in sources)
        or "<span class=dim>none kept</span>")
    body += "<h3>Files</h3>" + table(("file", "size", "blake3"), [
        (link(job_href(jid, "/file/" + quote(name)), name), escape(str(meta.get("size", "?"))),
         escape(str(meta.get("blake3", ""))[:16])) for name, meta in info["files"].items()])
    if report is not None and (report.get("compared_with") or report.get("source_diff")):
        body += "<h3>Why it was built</h3>" + why(report)
    body += "<h3>Result</h3>" + _result(jid, info, has_result, loaded)
    if info.get("error"):
        body += f"<h3>Error</h3><pre>{value(info['error'])}</pre>"
    body += "<h3>Profile</h3>" + table(("", ""), [(escape(a), escape(b))
                                                   for a, b in info["profile_rows"]])
    body += (f"<h3>Log</h3><p>{link(job_href(jid, '/log'), 'the whole log, by part')}</p>"
             f"<pre>{escape(chr(10).join(info['log_tail']))}</pre>")
    body += f"<p>{link(job_href(jid, '?format=json'), 'as JSON')}</p>"
    return page(f"Job {jid}", body)


def _around(jid: str, info: dict[str, Any], dependents: list[str]) -> str:
    """The job between its inputs and its dependents, drawn (the first hundred of each);
    an input node says which input (or inputs) of the job it is."""
    named: dict[str, list[str]] = {}
    for name, ids in info["inputs"].items():
        for i in _input_ids(ids):
            named.setdefault(i, []).append(name)
    inputs = list(named)[:100]
    if not inputs and not dependents:
        return ""
    near = [*dict.fromkeys([*inputs, *dependents[:100]])]
    nodes = [svg.Node(jid, jid, info.get("label") or info["method"] or "", "focus", None)]
    nodes += [svg.Node(i, i, ", ".join(named[i]) if i in named else "dependent", "cached",
                       job_href(i)) for i in near if i != jid]
    edges = [(i, jid) for i in inputs] + [(jid, d) for d in dependents[:100]]
    return f"<div style='overflow:auto'>{svg.draw(nodes, edges, focus=jid)}</div>"


def _input_ids(value: Any) -> list[str]:
    """The job ids of an input: one, or a list input's (its Nones left out)."""
    return [i for i in (value if isinstance(value, list) else [value]) if isinstance(i, str)]


def _ids_table(inputs: dict[str, Any]) -> str:
    """An input per row: a list input's jobs in order, "-" where the script gave None; a
    withfile option's input ("withfile:cfg.data") as the job whose file it names."""
    rows = [(escape(name), _job_link(i) if not isinstance(i, list) else
             "[" + ", ".join(_job_link(e) for e in i) + "]")
            for name, i in inputs.items()]
    return table(("name", "job"), rows) if rows else "<span class=dim>none</span>"


def _result(jid: str, info: dict[str, Any], has_result: bool, loaded: bool) -> str:
    if not has_result:
        return "<span class=dim>no result.pickle</span>"
    if loaded:
        return f"<pre>{escape(str(info.get('result')))}</pre>"
    return (f"<p class='note'>{escape(TRUST_NOTE)}</p>"
            f"<form method='get' action='{escape(job_href(jid))}'><input type='hidden' "
            f"name='load' value='1'><button>load result</button></form>")


def source(jid: str, name: str, text: str) -> str:
    return page(f"{jid}: {name}", f"<p>{link(job_href(jid), '← ' + jid)}</p>"
                + highlighted(text))


def log(jid: str, parts: list[dict[str, Any]]) -> str:
    body = f"<p>{link(job_href(jid), '← ' + jid)}</p>"
    for part in parts:
        body += f"<h3>{escape(part['part'])}</h3>"
        for stream in ("stdout", "stderr"):
            if part[stream]:
                body += f"<div class=dim>{stream}</div><pre>{escape(part[stream])}</pre>"
    return page(f"Log of {jid}", body if parts else body + "<p>it printed nothing</p>")


def explained(report: dict[str, Any]) -> str:
    body = f"<p>{link(job_href(report['id']), '← ' + report['id'])} · {state(report['state'])}"
    body += f"</p><p><b>why:</b> {escape(report.get('reason') or '')}</p>"
    return page(f"Why {report['id']}", body + why(report))


def why(report: dict[str, Any]) -> str:
    """What differs from the job it was compared with, side by side, and the source diff."""
    old, body = report.get("compared_with"), ""
    if old:
        body += f"<p>compared with {link(job_href(old['id']), old['id'])}</p>"
    rows = []
    for kind, key in (("option", "options"), ("input", "inputs")):
        for r in report[key]:
            mark = "≠" if r["changed"] else ""
            show = _job_link if kind == "input" else value
            rows.append((mark, escape(f"{kind} {r['name']}"), show(r["old"]), show(r["new"])))
    code = report["code"]
    rows.append(("≠" if old and code["old"] != code["new"] else "", "code hash",
                 escape(str(code["old"] or "")[:16]), escape(str(code["new"] or "")[:16])))
    body += table(("", "", "before", "this job"), rows)
    if code["changed_files"]:
        body += f"<p>changed source files: {escape(', '.join(code['changed_files']))}</p>"
    if report.get("source_diff"):
        body += "<h4>Source diff</h4>" + diff(report["source_diff"])
    return body


def _job_link(v: Any) -> str:
    """A job id as a link; a list input's ids each one; None as "-"."""
    if isinstance(v, list):
        return "[" + ", ".join(_job_link(e) for e in v) + "]"
    return link(job_href(v), v) if isinstance(v, str) else "-" if v is None else value(v)


def diff(text: str) -> str:
    lines = []
    for line in text.splitlines():
        kind = ("" if line.startswith(("+++", "---")) else "add" if line.startswith("+")
                else "del" if line.startswith("-") else "hunk" if line.startswith("@@") else "")
        lines.append(f'<span class="{kind}">{escape(line)}</span>' if kind else escape(line))
    return "<pre>" + "\n".join(lines) + "</pre>"


# -- graph -------------------------------------------------------------------------------------
def graph(script: str, scripts: Sequence[str], drawing: str, summary: str) -> str:
    choose = " · ".join(link("/graph?" + urlencode({"script": s}), s) for s in scripts)
    form = (f"<form method='get' action='/graph'><input type='hidden' name='script' "
            f"value='{escape(script)}'>job <input name='job' size='30'> hops <input "
            f"name='hops' value='2' size='2'> <button>show its neighbourhood</button></form>")
    return page(f"Graph of {script}", f"<p>scripts: {choose}</p>{form}<p>{summary}</p>"
                f"<div style='overflow:auto'>{drawing}</div>")


def graph_nodes(view: dict[str, Any], keep: set[str] | None, script: str
                ) -> list[svg.Node]:
    nodes = []
    for j in view["jobs"]:
        if keep is None or j["id"] in keep:
            href = (job_href(j["id"]) if j["state"] == "cached" else
                    job_href(j["id"], "/explain?" + urlencode({"script": script})))
            nodes.append(svg.Node(j["id"], j["id"], j.get("label") or j["method"],
                                  j["state"], href))
    return nodes
