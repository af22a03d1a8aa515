"""Drawing what a job is and whether it is current: ``status``, ``show`` and ``compare``.

The data comes from the session, ``explain`` and ``compare`` as plain dicts; the
primitives (columns, sizes, paths) are ``console``'s. rich is imported inside the
functions that use it: a plain ``status`` in a pipe never loads it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from acbuild.console import (
    STATE_STYLE,
    column_lines,
    display_path,
    print_columns,
    size_text,
    styled_output,
)


def render_status(rows: Sequence[dict[str, Any]], stopped: str | None,
                  warnings: Sequence[str], target: str | None = None) -> None:
    # Say where cached jobs live once any of them lives outside the target.
    elsewhere = bool({r.get("workdir") for r in rows} - {None, target})
    header = ("state", "job", "why", "work directory") if elsewhere else ("state", "job", "why")
    cells = [[row["state"], row["id"], row["reason"]] for row in rows]
    if elsewhere:
        for line, row in zip(cells, rows, strict=True):
            line.append(display_path(row["workdir"]) if row.get("workdir") else "")
    cells = _with_subjobs(cells, rows, len(header))
    if not styled_output(sys.stdout):
        # Nothing to style in a pipe or a file: plain lines, without importing rich at all.
        if cells:
            sys.stdout.write("\n".join(column_lines(header, cells)) + "\n")
        for warning in warnings:
            print(f"warning: {warning}")
        print(status_summary(rows))
        if stopped:
            print(stopped)
        return
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    print_columns(console, header, cells, styles=STATE_STYLE)
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    console.print(f"[bold]{escape(status_summary(rows))}[/]")
    if stopped:
        console.print(f"[yellow]{escape(stopped)}[/]")


def _with_subjobs(cells: list[list[str]], rows: Sequence[dict[str, Any]], width: int
                  ) -> list[list[str]]:
    """A cached job's recorded subjobs, each on a line of its own beneath it."""
    if not any(row.get("subjobs") for row in rows):
        return cells
    out = []
    for line, row in zip(cells, rows, strict=True):
        out.append(line)
        for sub in row.get("subjobs", []):
            extra = [""] * (width - 3)
            out.append(["", f"{'  ' * sub['depth']}subjob {sub['id']}",
                        f"subjob of {sub['parent']}", *extra])
    return out


CAUSE_WORDS = {"never built": "never built", "code": "with changed code",
               "option": "with changed options", "input file": "with changed input files",
               "input": "with other inputs", "input rebuilt": "with a rebuilt input",
               "slices": "with other slices", "forced": "forced",
               "removed": "whose directory was removed",
               "damaged": "whose directory is damaged",
               "modified": "whose files changed since they were built",
               "subjob": "whose subjob changed",
               "input newer": "with an input rebuilt after them"}


def cause_counts(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """How many stale jobs have each main cause, the most common first."""
    from collections import Counter

    counts = Counter(r.get("cause") or "never built" for r in rows if r["state"] == "stale")
    return dict(counts.most_common())


def status_summary(rows: Sequence[dict[str, Any]]) -> str:
    """"6 jobs: 1 cached, 5 stale (4 with a rebuilt input, 1 with changed options)"."""
    stale = sum(r["state"] == "stale" for r in rows)
    remote = sum(r["state"] == "cached (remote)" for r in rows)
    text = f"{len(rows)} job{'s' if len(rows) != 1 else ''}: {len(rows) - stale - remote} " \
           f"cached, {f'{remote} cached (remote), ' if remote else ''}{stale} stale"
    causes = ", ".join(f"{n} {CAUSE_WORDS.get(c, c)}" for c, n in cause_counts(rows).items())
    return f"{text} ({causes})" if causes else text


def jobs_json(rows: Sequence[dict[str, Any]], counts: dict[str, int], **extra: Any) -> dict[str, Any]:
    return {"jobs": list(rows), "counts": counts, **extra}


def render_job(info: dict[str, Any], log_lines: int = 10) -> None:
    from rich.console import Console, Group
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    def kv_table(rows: Sequence[tuple[str, str]]) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for key, value in rows:
            table.add_row(escape(key), escape(value))
        return table

    header = [("method", f"{info['method']}  {info.get('description', '')}".rstrip()),
              ("id", info["id"]), ("hash", info["hash"]), ("state", info["state"]),
              ("path", info["path"])]
    if info.get("workdir"):
        header.append(("workdir", f"{display_path(info['workdir'])} ({info['workdir_role']})"))
    if info.get("label"):
        header.append(("label", info["label"]))
    if info.get("created"):
        header.append(("created", info["created"]))
    code = info.get("code") or {}
    if code.get("hash"):
        header.append(("code", f"{code['hash'][:16]}  ({len(code.get('sources', []))} "
                               f"source file(s), kept in source/)"))
    if info.get("script_line"):
        header.append(("asked by", info["script_line"]))
    if info.get("subjob_of"):
        header.append(("subjob of", info["subjob_of"]))
    why = info.get("built_because") or {}
    if isinstance(why.get("reason"), str):
        header.append(("built because", why["reason"]))
    parts: list[Any] = [kv_table(header)]
    sections = [
        ("options", [(k, _short(v)) for k, v in info["options"].items()]),
        ("inputs", [(k, _input_text(v)) for k, v in info["inputs"].items()]),
        ("input files", [(f["path"], f["blake3"][:16]) for f in info.get("input_files", [])]),
        ("subjobs", list((info.get("subjobs") or {}).items())),
        ("result", [("", _result_text(info))] if "result" in info else []),
        ("files", [(name, size_text(meta["size"])) for name, meta in info["files"].items()]),
        ("profile", info.get("profile_rows", [])),
        ("source files", [(path, "") for path in code.get("sources", [])]),
        ("versions", _version_rows(info.get("versions") or {})),
    ]
    for title, rows in sections:
        if rows:
            parts.append(f"\n[bold underline]{title}[/]")
            parts.append(kv_table(rows))
    if info.get("error"):
        err = info["error"]
        where = " ".join(str(x) for x in (err.get("phase"), err.get("slice") is not None
                                          and f"slice {err['slice']}") if x)
        parts.append(f"\n[bold red underline]failure{escape(' in ' + where) if where else ''}[/]")
        parts.append(escape((err.get("traceback") or err.get("message", "")).rstrip()))
    tail = info.get("log_tail", [])
    if tail:
        parts.append("\n[bold underline]log (last lines)[/]")
        parts.append(escape("\n".join(tail[-log_lines:])))
    Console().print(Panel(Group(*parts), title=f"[bold]{escape(info['id'])}[/]", expand=False))


def _result_text(info: dict[str, Any], limit: int = 600) -> str:
    """The result as ``show`` prints it: JSON data as JSON, cut short; a repr as it is."""
    if info.get("result_format") != "json":
        return str(info["result"])
    text = json.dumps(info["result"], ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _input_text(value: Any) -> str:
    """An input as ``show`` lists it: its job id; a list input's, in order, comma-separated."""
    if isinstance(value, list):
        return "[" + ", ".join(v or "(absent)" for v in value) + "]"
    return value or "(absent)"


def _version_rows(versions: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [(k, str(v)) for k, v in versions.items() if k != "packages"]
    return rows + [(name, version) for name, version in (versions.get("packages") or {}).items()]


def _short(value: Any, limit: int = 70) -> str:
    if isinstance(value, dict) and "$file" in value:  # an urd.file: see "input files"
        return f"file {value['$file']}"
    if isinstance(value, dict) and _is_jobfile(value):  # handle.withfile: see "inputs"
        _, job_id, name, sliced = value["$jobfile"]
        return f"file {name} of {job_id}" + (" (sliced)" if sliced else "")
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_jobfile(value: dict[str, Any]) -> bool:
    found = value.get("$jobfile")
    return len(value) == 1 and isinstance(found, list) and len(found) == 4


def render_compare(found: dict[str, Any]) -> None:
    """``acbuild compare``: one row a job, its differing options and inputs, then its
    fields; what could not be read below."""
    columns = [*found.get("entry", []), "job", "name", "built", *found["options"],
               *found["inputs"], *found["fields"]]
    if not styled_output(sys.stdout):  # a pipe: every cell whole, as wide as it takes
        _print_compare_lines(found, columns)
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    table = Table(box=None, pad_edge=False, header_style="bold")
    kinds = {**{c: "option" for c in found["options"]}, **{c: "input" for c in found["inputs"]},
             **{c: "field" for c in found["fields"]}}
    for column in columns:
        justify = "right" if kinds.get(column) == "field" else "left"
        style = "cyan" if kinds.get(column) == "option" else None
        table.add_column(escape(column), justify=justify, header_style=style)  # type: ignore[arg-type]
    for row in found["rows"]:
        table.add_row(*(escape(_compare_cell(row.get(c))) for c in columns))
    console.print(table)
    console.print(f"[bold]{len(found['rows'])} job(s) of {escape(found['method'])}[/]")
    for problem in found.get("problems", []):
        console.print(f"[yellow]{escape(problem)}[/]")


def _print_compare_lines(found: dict[str, Any], columns: Sequence[str]) -> None:
    """The compare table as plain aligned lines (fields right-aligned, as on a terminal):
    rich would fit it into 80 columns and cut each cell to a few letters."""
    fields = set(found["fields"])
    cells = [list(columns), *([_compare_cell(row.get(c)) for c in columns]
                              for row in found["rows"])]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for line in cells:
        print("  ".join(cell.rjust(w) if c in fields else cell.ljust(w)
                        for c, cell, w in zip(columns, line, widths, strict=True)).rstrip())
    print(f"{len(found['rows'])} job(s) of {found['method']}")
    for problem in found.get("problems", []):
        print(problem)


def _compare_cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):  # 2.0 as itself, a long 0.30000000000000004 cut
        text = repr(value)
        return text if len(text) <= 10 else f"{value:.6g}"
    return value if isinstance(value, str) else json.dumps(value, default=str)
