"""The runtime's public surface."""

from __future__ import annotations

import backend_agent.runtime as runtime


def test_all_names_exist() -> None:
    assert all(hasattr(runtime, name) for name in runtime.__all__)
    assert {"run", "RunOptions", "RunResult", "SessionStore", "Budget", "resolve_model"} <= set(
        runtime.__all__
    )


def test_permission_names_are_reexported() -> None:
    for name in ("PermissionEngine", "PermissionMode", "Decision", "RuleSet", "load_permission_settings"):
        assert name in runtime.__all__ and getattr(runtime, name) is not None
