"""``python -m acbuild.child``: the launcher; with ``JOB_DIR CONCURRENCY``, one job here."""

import sys

if __name__ == "__main__":
    if len(sys.argv) == 3:
        from acbuild.child.once import run_once

        run_once(sys.argv[1], int(sys.argv[2]))
    import os

    from acbuild.child.launcher import serve

    serve()
    # Its jobs are reaped and its events written (os.write): nothing is left to do but the
    # interpreter's teardown of every module, which the run would wait for (~15 ms).
    sys.stderr.flush()
    os._exit(0)
