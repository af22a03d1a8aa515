"""Inside job processes: the warm launcher, and the running of one job.

``serve`` is the launcher, ``python -m acbuild.child``, started once per run by
``acbuild.runner``. It has imported everything a job needs, imports each method
once, and forks one process per job, so a job starts in about a millisecond.
Protocol, JSON lines: requests on stdin ``{"op": "start", "token", "job_dir",
"concurrency", "setup"?}`` (``setup``: the content of the job's setup.json, if the
parent has it at hand) and ``{"op": "kill", "token"}``; events on stdout
``{"event": "started", "token", "pid"}`` and ``{"event": "exited", "token", "pid",
"status", "wall", "cpu", "maxrss_kib"}`` (status: exit code, or -signal). A job says
"done" on its pipe just before it exits; its end is reported then (its group killed), as
its exit takes most of a millisecond more to free its memory; it is reaped after.
A job's ``subjobs.build`` comes out as ``{"event": "request", "token", "request"}``
and is answered by ``{"op": "reply", "token", "reply"}`` (``channel``).

``run_job`` is what a forked job process does: read ``setup.json``, run prepare,
the analysis slices (each a process forked from the job) and synthesis, and
write ``result.pickle``, ``stdout.log``, ``stderr.log`` and ``post.json``.

Modules: ``launcher`` (``serve``), ``run`` (``run_job``), ``phases`` (a method's
phase functions, failures), ``slices`` (analysis), ``process`` (fork, pidfds, logs),
``channel`` (each job's line to the run, for subjobs).
Standard library and layers 0-1 only, never click, rich or sqlite3: every job
process has this package loaded, and its start must stay fast.
"""
