"""``python -m acbuild.child``: the launcher."""

from acbuild.child.launcher import serve

if __name__ == "__main__":
    serve()
