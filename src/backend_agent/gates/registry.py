"""Gate registry: short name -> dotted path, imported only when the gate is used."""

from __future__ import annotations

import importlib

from backend_agent.errors import UsageError
from backend_agent.gates.base import Gate

GATES: dict[str, str] = {
    "tests": "backend_agent.gates.tests:TestsGate",
    "static-security": "backend_agent.gates.security:StaticSecurityGate",
    "iac-policy": "backend_agent.gates.policy:IacPolicyGate",
    "migrations": "backend_agent.gates.migrations:MigrationsGate",
    "contract": "backend_agent.gates.contract:ContractGate",
    "security-probes": "backend_agent.gates.probes:SecurityProbesGate",
    "load": "backend_agent.gates.load:LoadGate",
    "performance": "backend_agent.gates.performance:PerformanceGate",
}
GATE_NAMES: tuple[str, ...] = tuple(GATES)

# The --fast profile: quick gates only; the contract gate reads target.options["fast"] to cut examples.
FAST_GATES: tuple[str, ...] = ("tests", "static-security", "iac-policy", "contract")


class GateImportError(Exception):
    """A registered gate's module or class could not be imported."""


def check_names(names: list[str] | tuple[str, ...], *, option: str = "--gates") -> None:
    """Raise UsageError naming the valid gates when any name is unknown."""
    unknown = [name for name in names if name not in GATES]
    if unknown:
        raise UsageError(
            f"unknown gate{'s' if len(unknown) > 1 else ''} in {option}: {', '.join(unknown)}",
            hint=f"valid gates: {', '.join(GATE_NAMES)}",
        )


def load_gate(name: str) -> Gate:
    """Import and instantiate the gate registered as ``name``.

    Raises UsageError for an unknown name and GateImportError when its module cannot be imported.
    """
    check_names([name])
    module_name, _, attr = GATES[name].partition(":")
    try:
        module = importlib.import_module(module_name)
        cls = getattr(module, attr)
    except Exception as exc:  # any import-time failure of a gate module is reported, not raised
        raise GateImportError(f"cannot import {GATES[name]}: {type(exc).__name__}: {exc}") from exc
    gate = cls()
    if not isinstance(gate, Gate):
        raise GateImportError(f"{GATES[name]} is not a Gate subclass")
    return gate


def select(
    *, gates: list[str] | tuple[str, ...] | None = None, skip: list[str] | tuple[str, ...] = (), fast: bool = False
) -> list[str]:
    """The gate names to run, in registry order."""
    if gates:
        check_names(gates)
    check_names(skip, option="--skip")
    chosen = set(gates) if gates else set(FAST_GATES if fast else GATE_NAMES)
    return [name for name in GATE_NAMES if name in chosen and name not in skip]


__all__ = ["FAST_GATES", "GATES", "GATE_NAMES", "GateImportError", "check_names", "load_gate", "select"]
