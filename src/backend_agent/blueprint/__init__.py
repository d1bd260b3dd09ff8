"""The blueprint part of backend-agent."""

__all__: list[str] = []
