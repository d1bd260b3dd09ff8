"""Tools of the security-probes gate: bad tokens made from a real one, and a bounded sqlmap run."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

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


DROPPED_HEADER = "x-backend-agent-connection-dropped"
_TRANSPORT_ERRORS = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.ConnectError)


class TolerantTransport(httpx.BaseTransport):
    """Retries a request whose connection was reset or dropped (as after a crashed handler's 500);
    when every attempt fails it answers a synthetic 502 marked with DROPPED_HEADER, so one broken
    operation becomes evidence instead of ending the whole probe run."""

    def __init__(self, retries: int = 2, backoff_s: float = 0.3) -> None:
        self._inner = httpx.HTTPTransport()
        self.retries = retries
        self.backoff_s = backoff_s
        self.dropped: list[str] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for attempt in range(self.retries + 1):
            try:
                response = self._inner.handle_request(request)
                response.read()  # a reset while the body streams must be caught here, not by the caller
                if attempt:
                    response.headers["x-backend-agent-retried"] = str(attempt)
                return response
            except _TRANSPORT_ERRORS:
                if attempt < self.retries:
                    time.sleep(self.backoff_s * (attempt + 1))
        with self._lock:
            self.dropped.append(f"{request.method} {request.url.path}")
        return httpx.Response(502, headers={DROPPED_HEADER: "1"}, request=request)

    def close(self) -> None:
        self._inner.close()


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
    sqlmap: str,
    url: str,
    *,
    headers: dict[str, str],
    timeout_s: float,
    level: int = 2,
    risk: int = 1,
    data: str | None = None,
) -> SqlmapOutcome:
    """Probe one URL in batch mode on loopback, time-bounded; ``*`` marks injection points in the
    path or in ``data`` (a JSON body sent with POST)."""
    with tempfile.TemporaryDirectory(prefix="ba-sqlmap-") as tmp:
        cmd = [
            sqlmap, "-u", url, "--batch", f"--level={level}", f"--risk={risk}", "--technique=BEU",
            "--timeout=10", "--retries=0", "--threads=4", "--disable-coloring", "--flush-session",
            f"--output-dir={tmp}", "--answers=follow=N,keep testing=N",
        ]  # fmt: skip
        if data is not None:
            cmd += [f"--data={data}", "--method=POST"]
            headers = {**headers, "Content-Type": "application/json"}
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


__all__ = [
    "DROPPED_HEADER",
    "SqlmapOutcome",
    "TolerantTransport",
    "bad_tokens",
    "decode_unverified",
    "parse_sqlmap",
    "run_sqlmap",
]
