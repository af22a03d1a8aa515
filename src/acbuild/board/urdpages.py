"""The board's result-list pages as HTML: the lists, a list's entries (newest first; its
ghosts only when asked, and marked), and one entry (its jobs by name, the entries it
read), each drawn from the document ``acbuild urd ... --json`` prints. Never imports
starlette.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

from acbuild.board.pages import job_href, link, page, table


def list_href(name: str, ts: str | None = None, ghosts: bool = False) -> str:
    # A list name's '/' stay (sales/daily), a timestamp's '+' and ':' are quoted.
    tail = "" if ts is None else "/" + quote(ts, safe="")
    return f"/urd/{quote(name)}{tail}" + ("?ghosts=1" if ghosts else "")


def lists(doc: dict[str, Any], ghosts: bool) -> str:
    if not doc["lists"] and not ghosts:
        return page("Result lists", "<p>no result lists yet: urd.begin(...) ... "
                    "urd.finish(...) in a build script records one (or "
                    f"{link('/urd?ghosts=1', 'lists of ghosts only')})</p>")
    rows = [(link(list_href(r["list"]), r["list"]), str(r["entries"]),
             escape(r["first"] or ""),
             _entry_link(r["list"], r["latest"]) if r["latest"] else "",
             str(r["ghosts"]) if r["ghosts"] else "") for r in doc["lists"]]
    toggle = link("/urd", "hide the ghosts") if ghosts else link("/urd?ghosts=1", "the lists "
                                                                   "of ghosts only too")
    return page("Result lists", table(("list", "entries", "first", "latest", "ghosts"), rows)
                + f"<p>{toggle} · {link('/urd?format=json', 'as JSON')}</p>")


def entries(doc: dict[str, Any], ghosts: bool) -> str:
    name = doc["list"]
    rows = [(_entry_link(name, e["timestamp"]) if not e["ghost"] else
             escape(e["timestamp"]) + f" <span class=died>ghost: {escape(e['ghost'])}</span>",
             escape(e["caption"]), _jobs(e["jobs"]),
             " ".join(_entry_link(d["list"], d["timestamp"], True) for d in e["deps"]))
            for e in doc["entries"][::-1]]  # newest first
    shown = sum(1 for e in doc["entries"] if e["ghost"])
    toggle = (link(list_href(name), "hide the ghosts") if ghosts else
              link(list_href(name, ghosts=True), "show the ghosts (replaced or truncated "
                   "entries)"))
    body = (f"<p>{len(doc['entries']) - shown} entries, newest first"
            + (f", and {shown} ghosts" if ghosts else "") + f" · {toggle} · "
            + link(list_href(name, ghosts=ghosts) + ("&" if ghosts else "?") + "format=json",
                   "as JSON") + "</p>")
    return page(f"List {name}", body + table(("timestamp", "caption", "jobs", "read"), rows))


def entry(doc: dict[str, Any]) -> str:
    e = doc["entry"]
    body = f"<p>{link(list_href(e['list']), '← ' + e['list'])}"
    body += f" · {escape(e['caption'])}</p>" if e["caption"] else "</p>"
    body += "<h3>Jobs</h3>" + table(("name", "job"), [
        (escape(j["name"]), link(job_href(j["id"]), j["id"])) for j in e["jobs"]])
    body += "<h3>Entries it read</h3>" + (table(("list", "timestamp"), [
        (link(list_href(d["list"]), d["list"]), _entry_link(d["list"], d["timestamp"]))
        for d in e["deps"]]) if e["deps"] else "<p class=dim>none</p>")
    if e["ghost"]:
        body += f"<p class=died>ghost: {escape(e['ghost'])}</p>"
    body += (f"<p class=dim>recorded in {escape(e['workdir'])}</p><p>"
             + link(list_href(e["list"], e["timestamp"]) + "?format=json", "as JSON") + "</p>")
    return page(f"{e['list']}/{e['timestamp']}", body)


def _entry_link(name: str, ts: str, full: bool = False) -> str:
    return link(list_href(name, ts), f"{name}/{ts}" if full else ts)


def _jobs(jobs: list[dict[str, Any]]) -> str:
    return ", ".join(f"{escape(j['name'])}={link(job_href(j['id']), j['id'])}" for j in jobs)
