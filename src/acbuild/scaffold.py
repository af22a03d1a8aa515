"""`acbuild init`: the files of a new project that `acbuild run` builds at once.

A configuration, a methods directory with one commented example method, a
build script, two small input files and a ``.gitignore`` for the work
directories. Never overwrites a file unless told to; a ``.gitignore`` that
exists is added to, never replaced.
"""

from __future__ import annotations

import os
from pathlib import Path

from acbuild.config import CONFIG_NAME, DEFAULT_WORKDIR
from acbuild.errors import AcbuildError

GITIGNORE = ".gitignore"
IGNORED = f"/{DEFAULT_WORKDIR.split('/')[0]}/"

CONFIG = f'''\
# acbuild configuration. Every key has a default; they are spelled out here so
# that you can see them.

# Directories, relative to this file, that hold methods. Every .py file in them
# is a method named after the file, except helpers whose name starts with "_".
methods = ["methods"]

# How many processes a method's analysis() phase runs in (default: the cores).
# slices = 4

# `acbuild gc` keeps the jobs of the last keep_runs successful runs of each script.
keep_runs = 5

[workdirs]
# Where new jobs are built. Delete it and the next run builds everything again.
target = "{DEFAULT_WORKDIR}"
# More work directories whose finished jobs are reused, and never written to:
# a team's shared one, a colleague's. For example ["/shared/acbuild/main"].
sources = []
'''

METHOD = '''\
"""Count the words of a text file. (The first docstring line describes the method.)

This is a method: a Python file in the methods directory, named for what it
does. acbuild runs it in a process of its own, in a directory of its own (the
job), and keeps there what it returns, what it prints and every file it writes.
"""

from collections import Counter
from pathlib import Path

# Options, with typed defaults: a default fixes the type (3: an int); a bare type
# (Path) accepts that type or None. The build script sets them by keyword.
# Options, code and inputs are the job's identity: change one and the job is
# built again; change nothing and it is reused.
options = {"text": Path, "top": 3, "min_length": 4}

# Input jobs, by name: the build script passes an earlier job (previous=job),
# or leaves it out and it is None. Here: counts to add to this file's.
jobs = ("previous",)


def synthesis(job, options, jobs):
    # A method may define prepare(), analysis(sliceno) (run in parallel slices)
    # and synthesis(); each takes only the parameters it names.
    text = Path(options.text).read_text().lower()
    words = [word.strip(".,;:!?\\"'()") for word in text.split()]
    counts = Counter(word for word in words if len(word) >= options.min_length)
    if jobs.previous is not None:
        counts.update(jobs.previous.load()["counts"])
    # Files written with job.open() stay in the job's directory.
    with job.open("top.txt", "w") as f:
        for word, n in counts.most_common(options.top):
            print(n, word, file=f)
    # What synthesis returns is the job's result: handle.load() gives it back.
    return {"counts": dict(counts), "top": counts.most_common(options.top)}
'''

SCRIPT = '''\
"""The build script: which methods to run, with which options, on which jobs.

`acbuild run` builds what is missing or changed and reuses the rest;
`acbuild status` says which is which, and why, and builds nothing.
"""


def main(urd):
    # urd.file(): an input file. Its content is part of the identity of every
    # job that reads it: edit the file and exactly those jobs are built again.
    first = urd.build("wordcount", text=urd.file("data/first.txt"))
    both = urd.build("wordcount", text=urd.file("data/second.txt"), previous=first, top=5)

    # A script can use a result to go on: acbuild builds what load() needs first.
    for word, n in both.load()["top"]:
        print(f"{n:3}  {word}")
'''

FIRST = '''\
Every job is built once, into a directory of its own. A job that exists is
reused: the build system builds again only the jobs that a change affects.
'''

SECOND = '''\
Change an option, a method or an input file, and run again: the jobs it
affects are built again, and every other job is reused from its directory.
'''

FILES = {
    CONFIG_NAME: CONFIG,
    "methods/wordcount.py": METHOD,
    "build.py": SCRIPT,
    "data/first.txt": FIRST,
    "data/second.txt": SECOND,
}


class ProjectExists(AcbuildError):
    """`acbuild init` would overwrite files."""


def create_project(directory: Path, force: bool = False) -> list[Path]:
    """Write a new project into ``directory``; the paths written, in order."""
    # A link (dangling or not) is a file there: init never writes through one.
    existing = [rel for rel in FILES if os.path.lexists(directory / rel)]
    if existing and not force:
        raise ProjectExists(
            f"{directory} already has {', '.join(existing)}; nothing was written",
            hint="use --force to overwrite them")
    written = []
    try:
        for rel, text in FILES.items():
            path = directory / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_symlink():  # --force replaces the link, not what it leads to
                path.unlink()
            path.write_text(text)
            written.append(path)
        if _add_ignore(directory / GITIGNORE):
            written.append(directory / GITIGNORE)
    except OSError as e:
        raise AcbuildError(f"cannot write the project: {e.strerror}",
                           where=str(e.filename or directory)) from None
    return written


def _add_ignore(path: Path) -> bool:
    """Ignore the work directories in ``.gitignore``, keeping what it says already (one
    that is a link is another's: left alone)."""
    if path.is_symlink():
        return False
    text = path.read_text() if path.exists() else ""
    if IGNORED in text.splitlines():
        return False
    prefix = "" if not text or text.endswith("\n") else "\n"
    note = "# acbuild's work directories: built jobs, not source\n"
    path.write_text(f"{text}{prefix}{note}{IGNORED}\n")
    return True
