"""The board's method pages as HTML: the methods, and one method with its jobs compared
(the ``compare`` table: the options and inputs that differ, and, once the user asks to
load the results, their scalar fields). Never imports starlette.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from acbuild.board.pages import TRUST_NOTE, job_href, link, page, table, value

SHOWN = 500  # rows of the comparison drawn on a page (the JSON twin has them all)


def methods(doc: dict[str, Any]) -> str:
    rows = [(link(f"/method/{quote(m['name'])}", m["name"]),
             escape(m.get("description") or m.get("error") or "")) for m in doc["methods"]]
    return page("Methods", table(("method", "description"), rows))


def method(doc: dict[str, Any], compared: dict[str, Any] | None, loaded: bool,
           sort: str | None, descending: bool) -> str:
    info = doc["methods"][0]
    body = f"<p>{escape(info.get('description') or '')}</p><p class=dim>{escape(info['file'])}</p>"
    body += "<h3>Options</h3>" + table(("name", "type", "default"), [
        (escape(k), escape(o["text"]), value(o.get("default", ""))) for k, o in
        info["options"].items()])
    body += "<h3>Inputs</h3><p>" + escape(", ".join(info["inputs"]) or "none") + "</p>"
    body += "<h3>Code versions</h3>" + table(("code hash", "jobs", "latest"), [
        (escape(v["code_hash"][:16]) + (" (current)" if v["current"] else ""), str(v["jobs"]),
         link(job_href(v["latest"]), v["latest"])) for v in info.get("built_from", [])])
    body += "<h3>Its jobs compared</h3>"
    if compared is None:
        body += "<p class=dim>no finished job yet</p>"
    else:
        body += comparison(info["name"], compared, loaded, sort, descending)
    return page(f"Method {info['name']}", body)


def comparison(name: str, doc: dict[str, Any], loaded: bool, sort: str | None,
               descending: bool) -> str:
    """The ``compare`` table: a column's header sorts by it (again: the other way); the
    job column links each job; results only when ``loaded``, else the button that loads
    them, behind the trust note."""
    asked, sort = sort, sort if sort in doc["columns"] else None  # a field not loaded yet
    rows = doc["rows"] if sort else doc["rows"][::-1]  # unsorted: newest first
    body = "<p>" + (f"sorted by {escape(sort)}{' (largest first)' if descending else ''}"
                    if sort else "newest first") + f" · {len(rows)} jobs · "
    body += link(_href(name, loaded, sort, descending, fmt=True), "as JSON") + "</p>"
    if not loaded:
        body += (f"<p class='note'>{escape(TRUST_NOTE)}</p><p>Below: the options and inputs "
                 "that differ between its jobs. Their results' fields need the results "
                 f"loaded.</p><form method='get' action='/method/{escape(quote(name))}'>"
                 "<input type='hidden' name='load' value='1'>"
                 + (f"<input type='hidden' name='sort' value='{escape(asked)}'>" if asked
                    else "")
                 + "<button>load results</button></form>")
    head = [link(_href(name, loaded, c, c == sort and not descending), c)
            for c in doc["columns"]]
    cells = [[_cell(c, row.get(c)) for c in doc["columns"]] for row in rows[:SHOWN]]
    body += _table(head, cells)
    if len(rows) > SHOWN:
        body += f"<p class=dim>the first {SHOWN} of {len(rows)} jobs (all in the JSON)</p>"
    if doc["problems"]:
        body += "<h4>Not loaded</h4><ul>" + "".join(
            f"<li>{escape(p)}</li>" for p in doc["problems"]) + "</ul>"
    return body


def _href(name: str, loaded: bool, sort: str | None, descending: bool,
          fmt: bool = False) -> str:
    query = {k: v for k, v in (("load", "1" if loaded else ""), ("sort", sort or ""),
                               ("desc", "1" if descending else ""),
                               ("format", "json" if fmt else "")) if v}
    return f"/method/{quote(name)}" + ("?" + urlencode(query) if query else "")


def _cell(column: str, v: Any) -> str:
    if v is None:
        return "<span class=dim>-</span>"
    if column == "job" or column.startswith("jobs."):
        ids = v if isinstance(v, list) else [v]
        return " ".join(link(job_href(i), i) if isinstance(i, str) else "-" for i in ids)
    return value(v)


def _table(head: list[str], rows: list[list[str]]) -> str:
    """A table whose header cells are HTML (links)."""
    top = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{top}</tr>{body}</table>"
