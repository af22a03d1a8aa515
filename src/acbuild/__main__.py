"""``python -m acbuild``: the command line."""

from acbuild.cli import main

main()
