"""The generate part of backend-agent."""

__all__: list[str] = []
