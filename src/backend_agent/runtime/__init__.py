"""The runtime part of backend-agent."""

__all__: list[str] = []
