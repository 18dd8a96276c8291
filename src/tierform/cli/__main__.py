"""``python -m tierform.cli``: the same as the ``tierform`` command."""

from tierform.cli.entry import main

main()
