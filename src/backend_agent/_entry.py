"""The console-script entry point: Ctrl-C at any moment (even while importing) exits quietly with 130."""

from __future__ import annotations

import sys


def console_main() -> None:
    try:
        from backend_agent.cli.main import main

        code = main()
    except KeyboardInterrupt:
        # main() handles an interrupt during a command; this catches one that lands while the
        # CLI is importing or between main() returning and the exit.
        sys.stderr.write("Interrupted.\n")
        code = 130
    sys.exit(code)
