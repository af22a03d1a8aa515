"""``python -m acbuild.child``: the launcher; with ``JOB_DIR CONCURRENCY``, one job here."""

import sys

if __name__ == "__main__":
    if len(sys.argv) == 3:
        from acbuild.child.once import run_once

        run_once(sys.argv[1], int(sys.argv[2]))
    from acbuild.child.launcher import serve

    serve()
