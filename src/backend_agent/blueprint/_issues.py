"""A located problem found by the cross-reference checks (a key path, not yet a line)."""

from __future__ import annotations

from dataclasses import dataclass

from backend_agent.blueprint.types import did_you_mean

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Issue:
    path: Path
    message: str
    expected: str | None = None
    hint: str | None = None
    severity: str = "error"


def unknown(path: Path, what: str, name: str, known: list[str]) -> Issue:
    """An unknown name: lists the known ones and suggests the closest."""
    close = did_you_mean(name, known)
    listing = ", ".join(sorted(known)) if known else "(none)"
    return Issue(
        path,
        f"unknown {what} '{name}'",
        expected=f"one of {listing}",
        hint=f"did you mean '{close}'?" if close else f"declare '{name}' first or use one of {listing}",
    )


__all__ = ["Issue", "Path", "unknown"]
