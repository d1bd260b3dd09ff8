"""``python -m backend_agent`` runs the CLI."""

from backend_agent._entry import console_main

console_main()
