"""``python -m backend_agent`` runs the CLI."""

from backend_agent.cli import main

main()
