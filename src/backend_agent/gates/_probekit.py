"""Tools of the security-probes gate: bad tokens made from a real one, and a bounded sqlmap run."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from backend_agent.gates._proc import run_process

_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(header: dict[str, Any], claims: dict[str, Any], key: str | None) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    alg = header.get("alg", "HS256")
    if alg == "none" or key is None:
        return signing_input + "."
    digest = hmac.new(key.encode(), signing_input.encode(), _HASHES.get(alg, hashlib.sha256)).digest()
    return f"{signing_input}.{_b64(digest)}"


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(header, claims) of a JWT without checking anything; None when ``token`` is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header, claims = json.loads(_unb64(parts[0])), json.loads(_unb64(parts[1]))
    except ValueError:
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims


def bad_tokens(token: str, *, service_key: str | None) -> dict[str, str]:
    """Tokens a service must reject, keyed by probe name.

    ``expired-token`` is signed with the key the gate gave the service (SECRET_KEY), so a service
    that skips the ``exp`` check accepts it; ``forged-signature`` uses a random key and
    ``alg-none`` carries no signature at all.
    """
    variants = {"garbage-token": secrets.token_urlsafe(32)}
    decoded = decode_unverified(token)
    if decoded is None:
        return variants
    header, claims = decoded
    now = int(time.time())
    alive = {**claims, "exp": now + 3600}
    alg = header.get("alg") if header.get("alg") in _HASHES else "HS256"
    variants["expired-token"] = _sign(
        {**header, "alg": alg},
        {**claims, "iat": now - 7200, "exp": now - 3600},
        service_key or secrets.token_hex(16),
    )
    variants["forged-signature"] = _sign({**header, "alg": alg}, alive, secrets.token_urlsafe(32))
    variants["alg-none"] = _sign({"alg": "none", "typ": "JWT"}, alive, None)
    return variants


@dataclass(frozen=True)
class SqlmapOutcome:
    url: str
    vulnerable: bool
    parameters: list[str]
    timed_out: bool
    excerpt: str


_FOUND = re.compile(
    r"sqlmap identified the following injection point|is vulnerable\. Do you want", re.IGNORECASE
)
_PARAM = re.compile(r"^Parameter: (.+?)$", re.MULTILINE)


def parse_sqlmap(output: str) -> tuple[bool, list[str]]:
    """Whether sqlmap confirmed an injection, and the parameters it named (it exits 0 either way)."""
    vulnerable = bool(_FOUND.search(output))
    return vulnerable, sorted(set(_PARAM.findall(output))) if vulnerable else []


def run_sqlmap(
    sqlmap: str, url: str, *, headers: dict[str, str], timeout_s: float, level: int = 1, risk: int = 1
) -> SqlmapOutcome:
    """Probe one URL (``*`` marks path injection points) in batch mode on loopback, time-bounded."""
    with tempfile.TemporaryDirectory(prefix="ba-sqlmap-") as tmp:
        cmd = [
            sqlmap, "-u", url, "--batch", f"--level={level}", f"--risk={risk}", "--technique=BEU",
            "--timeout=10", "--retries=0", "--threads=4", "--disable-coloring", "--flush-session",
            f"--output-dir={tmp}", "--answers=follow=N,keep testing=N",
        ]  # fmt: skip
        if headers:
            cmd.append("--headers=" + "\\n".join(f"{k}: {v}" for k, v in headers.items()))
        proc = run_process(cmd, cwd=tmp, timeout_s=timeout_s, env={"HOME": tmp})
    output = proc.stdout + proc.stderr
    vulnerable, params = parse_sqlmap(output)
    lines = [
        line for line in output.splitlines() if "[INFO]" in line or "Parameter:" in line or "Type:" in line
    ]
    return SqlmapOutcome(
        url=url,
        vulnerable=vulnerable,
        parameters=params,
        timed_out=proc.timed_out,
        excerpt="\n".join(lines[-25:]),
    )


__all__ = ["SqlmapOutcome", "bad_tokens", "decode_unverified", "parse_sqlmap", "run_sqlmap"]
