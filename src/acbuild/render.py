"""Drawing what the looking commands return: explain, graph (tree, DOT, Mermaid) and log.

The data comes from ``explain``, ``session.graph_view`` and ``history`` as
plain dicts; this module only draws it. rich is imported inside the functions
that use it, as in ``console``, whose helpers it shares; DOT and Mermaid are
plain text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from acbuild.console import STATE_STYLE

DOT_FILL = {"cached": "#c8e6c9", "stale": "#fff3c4"}
LOG_STYLE = {"ok": "green", "failed": "bold red", "error": "red", "interrupted": "yellow",
             "running": "cyan", "died": "bold red"}


def _styled(text: str, state: str) -> str:
    style = STATE_STYLE.get(state) or LOG_STYLE.get(state)
    return f"[{style}]{text}[/]" if style else text


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False)


def _value(value: Any, limit: int = 50) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict) and "$file" in value:  # an urd.file: its path and digest
        return f"file {value['$file']} ({str(value.get('blake3', ''))[:12]})"
    jobfile = value.get("$jobfile") if isinstance(value, dict) else None
    if isinstance(jobfile, list) and len(jobfile) == 4:  # handle.withfile: file and job
        return f"file {jobfile[2]} of {jobfile[1]}"
    text = value if isinstance(value, str) else json.dumps(value, default=str,
                                                            ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- explain -----------------------------------------------------------------------------------
def render_explain(info: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    console = _console()
    console.print(f"[bold]{escape(info['id'])}[/]  {_styled(info['state'], info['state'])}")
    if info.get("reason"):
        console.print(f"why: {escape(info['reason'])}")
    old = info["compared_with"]
    method = escape(info["method"])
    if old is not None and old.get("gone"):
        console.print(f"it was compared with [bold]{escape(old['id'])}[/] when it was built; "
                      f"{escape(old['id'])} is gone (removed by `acbuild gc` or by hand): "
                      "no differences to show")
        old = None
    elif old is None:
        console.print(f"no earlier job of {method} was compared with it when it was built"
                      if info.get("recorded") else
                      f"no earlier job of {method} to compare with: its options, inputs "
                      "and code")
    else:
        which = ("compared with, as the run that built it was," if info.get("recorded")
                 else f"compared with the closest earlier job of {method}:")
        console.print(f"{which} [bold]{escape(old['id'])}[/] "
                      f"[dim]({escape(old['path'])})[/]")
        if not info["differences"]:
            console.print("[dim]its identity is the same[/]")
    table = Table(box=None, pad_edge=False, header_style="bold", show_edge=False)
    table.add_column("")
    table.add_column("")
    table.add_column(escape(old["id"]) if old else "")
    table.add_column(escape(info["id"]))
    sections = [("option", info["options"]), ("input", info["inputs"]),
                ("input file", [{**f, "name": f["path"]} for f in info["input_files"]])]
    code = info["code"]
    sections.append(("code", [{"name": "hash", "old": (code["old"] or "")[:16] or None,
                               "new": (code["new"] or "")[:16],
                               "changed": bool(old) and code["old"] != code["new"]}]))
    if info["slices"]["old"] != info["slices"]["new"] and old:
        sections.append(("slices", [{"name": "", **info["slices"], "changed": True}]))
    for kind, rows in sections:
        for row in rows:
            mark = "[bold yellow]≠[/]" if row["changed"] else " "
            new = _value(row["new"])
            table.add_row(mark, f"{kind} {escape(row['name'])}".rstrip(),
                          escape(_value(row["old"])) if old else "",
                          f"[bold]{escape(new)}[/]" if row["changed"] else escape(new))
    console.print(table)
    if code["changed_files"]:
        files = escape(", ".join(code["changed_files"]))
        console.print(f"\n[bold]changed source files:[/] {files}")
        if old and code["old"] == code["new"]:
            console.print("[dim]only comments, docstrings or formatting: the code hash is "
                          "the same[/]")
    if info["source_diff"]:
        console.print()
        for line in info["source_diff"].splitlines():
            console.print(_diff_line(line), soft_wrap=True)


def _diff_line(line: str) -> str:
    from rich.markup import escape

    for prefix, style in (("+++", "bold"), ("---", "bold"), ("@@", "cyan"), ("+", "green"),
                          ("-", "red")):
        if line.startswith(prefix):
            return f"[{style}]{escape(line)}[/]"
    return escape(line)


def render_explain_stale(report: dict[str, Any]) -> None:
    console = _console()
    if not report["jobs"]:
        console.print("nothing is stale: every job of the script is built")
    for i, info in enumerate(report["jobs"]):
        if i:
            console.rule(style="dim")
        render_explain(info)
    if report["more"]:
        console.print(f"\n{len(report['more'])} more job(s) changed themselves; "
                      f"`acbuild explain JOB` explains one: {', '.join(report['more'])}")
    if report["followers"]:
        console.print(f"\n{len(report['followers'])} more job(s) are stale only because an "
                      f"input is rebuilt: {', '.join(report['followers'])}")
    if report.get("stopped_at"):
        console.print(f"[yellow]{report['stopped_at']}[/]")


# -- graph -------------------------------------------------------------------------------------
def render_graph_tree(view: dict[str, Any]) -> None:
    """Each job under the jobs it takes as input; a job met again is named, not repeated."""
    from rich.markup import escape
    from rich.tree import Tree

    jobs = {j["id"]: j for j in view["jobs"]}
    children: dict[str, list[tuple[str, str]]] = {i: [] for i in jobs}
    for edge in view["edges"]:
        children[edge["from"]].append((edge["to"], edge["input"]))
    shown: set[str] = set()

    def label(job_id: str, via: str | None) -> str:
        job = jobs[job_id]
        state = job["state"]
        text = f"{_styled(f'{state:<6}', state)} [bold]{escape(job_id)}[/]"
        if job.get("label"):
            text += f" “{escape(job['label'])}”"
        if via:
            text += f" [dim]as {escape(via)}[/]"
        if job_id in shown:
            return text + " [dim](shown above)[/]"
        if job["state"] == "stale":
            text += f"\n[dim]{escape(job['reason'])}[/]"
        return text

    def add(tree: Any, job_id: str, via: str | None) -> None:
        again = job_id in shown
        branch = tree.add(label(job_id, via))
        shown.add(job_id)
        if not again:
            for child, name in children[job_id]:
                add(branch, child, name)
            add_subjobs(branch, jobs[job_id].get("subjobs", []))

    def add_subjobs(branch: Any, subjobs: list[dict[str, Any]]) -> None:
        """A job's recorded subjobs beneath it, each beneath its own parent."""
        at = {1: branch}
        for sub in subjobs:
            at[sub["depth"] + 1] = at[sub["depth"]].add(
                f"[dim]subjob[/] [bold]{escape(sub['id'])}[/]")

    root = Tree(f"[bold]{len(jobs)} jobs[/]: {view['counts']['cached']} cached, "
                f"{view['counts']['stale']} stale", guide_style="dim")
    has_input = {edge["to"] for edge in view["edges"]}  # (a list input may hold only Nones)
    for job in view["jobs"]:
        if job["id"] not in has_input:
            add(root, job["id"], None)
    console = _console()
    console.print(root)
    if view.get("stopped_at"):
        console.print(f"[yellow]{escape(view['stopped_at'])}[/]")


def graph_dot(view: dict[str, Any]) -> str:
    """The graph in Graphviz's DOT language: ``acbuild graph --format dot | dot -Tsvg``."""
    lines = ["digraph acbuild {", "  rankdir=LR;",
             '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for job in view["jobs"]:
        text = "\\n".join(_dot_escape(t) for t in (job["id"], job.get("label") or "",
                                                    job["state"]) if t)
        fill = DOT_FILL.get(job["state"], "#eeeeee")
        lines.append(f'  "{_dot_escape(job["id"])}" [label="{text}", fillcolor="{fill}"];')
    for edge in view["edges"]:
        lines.append(f'  "{_dot_escape(edge["from"])}" -> "{_dot_escape(edge["to"])}" '
                     f'[label="{_dot_escape(edge["input"])}"];')
    for sub in _subjobs(view):
        lines.append(f'  "{_dot_escape(sub["id"])}" [label="{_dot_escape(sub["id"])}\\n'
                     f'subjob", style="rounded,dashed"];')
        lines.append(f'  "{_dot_escape(sub["parent"])}" -> "{_dot_escape(sub["id"])}" '
                     f'[style=dashed, label="subjob"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def graph_mermaid(view: dict[str, Any]) -> str:
    """The graph as a Mermaid flowchart (renders in GitHub and GitLab markdown)."""
    names = {job["id"]: f"j{i}" for i, job in enumerate(view["jobs"])}
    lines = ["flowchart LR"]
    for job in view["jobs"]:
        text = "<br/>".join(_mermaid_escape(t) for t in (job["id"], job.get("label") or "",
                                                         job["state"]) if t)
        lines.append(f'  {names[job["id"]]}["{text}"]:::{job["state"]}')
    for edge in view["edges"]:
        lines.append(f'  {names[edge["from"]]} -->|{_mermaid_escape(edge["input"])}| '
                     f'{names[edge["to"]]}')
    for sub in _subjobs(view):
        if sub["id"] not in names:
            names[sub["id"]] = f"j{len(names)}"
            lines.append(f'  {names[sub["id"]]}(["{_mermaid_escape(sub["id"])}<br/>subjob"])')
        lines.append(f'  {names[sub["parent"]]} -.->|subjob| {names[sub["id"]]}')
    lines.append(f"  classDef cached fill:{DOT_FILL['cached']},stroke:#2e7d32")
    lines.append(f"  classDef stale fill:{DOT_FILL['stale']},stroke:#f9a825")
    return "\n".join(lines) + "\n"


def _subjobs(view: dict[str, Any]) -> list[dict[str, Any]]:
    """Every recorded subjob of the graph's jobs, once each (with its parent's id)."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for job in view["jobs"]:
        for sub in job.get("subjobs", []):
            seen.setdefault((sub["parent"], sub["id"]), sub)
    return list(seen.values())


def _mermaid_escape(text: str) -> str:
    return text.replace('"', "#quot;").replace("|", "#124;")


# -- log ---------------------------------------------------------------------------------------
def render_runs(runs: Sequence[dict[str, Any]]) -> None:
    from rich.markup import escape
    from rich.table import Table

    console = _console()
    if not runs:
        console.print("no runs yet: `acbuild run` records each run here")
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("run", "started", "script", "time", "status", "built", "reused", "failed"):
        table.add_column(column, justify="right" if column in ("run", "time", "built",
                                                              "reused", "failed") else "left")
    for run in runs:
        table.add_row(str(run["run"]), run["started"], escape(run["script"]),
                      _seconds(run["seconds"]), _styled(run["status"], run["status"]),
                      str(run["built"]), str(run["reused"]),
                      f"[bold red]{run['failed']}[/]" if run["failed"] else "0")
    console.print(table)


def render_run(run: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    console = _console()
    console.print(f"[bold]run {run['run']}[/]  {escape(run['script'])}  "
                  f"started {run['started']}, {_seconds(run['seconds'])}  "
                  f"{_styled(run['status'], run['status'])}: {run['built']} built, {run['reused']} reused, "
                  f"{run['failed']} failed")
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("state", "job", "where"):
        table.add_column(column)
    for job in run["jobs"]:
        table.add_row(_styled(job["state"], job["state"]), escape(job["id"]),
                      escape(job["path"]) if job["path"] else "[dim](gone)[/]")
    console.print(table)


def _seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"
