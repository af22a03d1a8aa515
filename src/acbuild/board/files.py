"""A job directory's files as the board serves them: a name from a URL resolved inside the
job directory only, and Python source drawn as escaped HTML with line numbers.

A name is refused (``FileRefused``) when it is absolute, has a ``..`` part, or resolves
(symbolic links followed) outside the job directory: the board serves nothing else of
the machine. Standard library only.
"""

from __future__ import annotations

import html
import io
import keyword
import mimetypes
import tokenize
from pathlib import Path, PurePosixPath

from acbuild.errors import AcbuildError

# Shown in the browser; anything else is a download (a job's file may be anything).
INLINE_TYPES = ("text/", "image/png", "image/jpeg", "image/gif", "image/svg+xml",
                "application/json", "application/pdf")


class FileRefused(AcbuildError):
    """A file name that is not a file inside the job directory."""


class FileMissing(FileRefused):
    """A file name inside the job directory that names no file there."""


def inside(job_dir: Path, name: str) -> Path:
    """The file ``name`` (a relative POSIX path from a URL) inside ``job_dir``."""
    pure = PurePosixPath(name)
    if not name or pure.is_absolute() or ".." in pure.parts or "\x00" in name:
        raise FileRefused(f"{name!r} is not a file name inside the job directory")
    root = job_dir.resolve()
    path = (root / pure).resolve()
    if not path.is_relative_to(root) or path == root:
        raise FileRefused(f"{name!r} leads out of the job directory")
    if not path.is_file():
        raise FileMissing(f"{name!r}: no such file in the job directory")
    return path


def media_type(path: Path) -> tuple[str, bool]:
    """(content type, shown inline)."""
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix in (".py", ".log", ".txt", ".toml", ".cfg", ".md", ".csv"):
        kind = "text/plain; charset=utf-8"
    return kind, kind.startswith(INLINE_TYPES)


_STYLE = {tokenize.COMMENT: "c", tokenize.STRING: "s", tokenize.NUMBER: "n"}


def highlighted(text: str) -> str:
    """Python source as HTML: each line numbered, keywords, strings, comments and numbers in
    spans. Text that does not tokenize (not Python) is escaped, unstyled."""
    # Lines as tokenize counts them (at "\n" only; str.splitlines also splits at \f, \x1c...)
    lines = text.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    marks: dict[int, list[tuple[int, int, str]]] = {}  # row -> (start col, end col, class)
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            kind = _STYLE.get(tok.type)
            if kind is None and tok.type == tokenize.NAME and keyword.iskeyword(tok.string):
                kind = "k"
            if not kind:
                continue
            (row, col), (last, end) = tok.start, tok.end
            while row < last:  # a token over several lines (a docstring): a span on each
                marks.setdefault(row, []).append((col, len(lines[row - 1]) if row <= len(lines)
                                                  else col, kind))
                row, col = row + 1, 0
            marks.setdefault(row, []).append((col, end, kind))
    except (tokenize.TokenError, SyntaxError):
        marks = {}
    rows = [f'<span class="ln">{number:>4}</span> {_line(line, marks.get(number, []))}'
            for number, line in enumerate(lines, 1)]
    return '<pre class="src">' + "\n".join(rows) + "</pre>"


def _line(line: str, spans: list[tuple[int, int, str]]) -> str:
    out, col = [], 0
    for start, end, kind in spans:  # in order, never overlapping (tokens)
        if start < col:
            continue
        out.append(html.escape(line[col:start]))
        out.append(f'<span class="{kind}">{html.escape(line[start:end])}</span>')
        col = end
    out.append(html.escape(line[col:]))
    return "".join(out)
