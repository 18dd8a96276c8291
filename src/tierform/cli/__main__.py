"""``python -m tierform.cli``: the same as the ``tierform`` command."""

from tierform.cli.main import main

main()
