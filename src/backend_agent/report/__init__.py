"""The report part of backend-agent."""

__all__: list[str] = []
