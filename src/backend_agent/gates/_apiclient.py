"""Talking to a live service as a test user: sign up, sign in, and create a few owned rows.

The register and login operations are found in the OpenAPI document (paths or operation ids with
register/signup/users and login/token/signin), or named once for every gate::

    [tool.backend-agent]
    auth = { register = "POST /api/users", login = "POST /api/users/login", scheme = "Token" }

Bodies wrapped in an object (RealWorld's ``{"user": {"email": ..., "password": ...}}``) are filled
inside the wrapper; form logins (OAuth2PasswordRequestForm) are posted as forms; the token is found
anywhere in the response. The header that carries it follows the security scheme: ``Bearer`` for
HTTP bearer and OAuth2, and for an API key in ``Authorization`` the prefix the service accepts
(none, ``Token`` or ``Bearer``, tried on a secured operation) unless ``scheme`` names it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from backend_agent.errors import GateError
from backend_agent.gates._openapi import (
    Operation,
    auth_header,
    fill_path,
    marker,
    operations,
    resolve,
    sample,
)
from backend_agent.gates._proc import ProcResult

_REGISTER = re.compile(r"register|sign-?up|signup|create[-_]?user", re.IGNORECASE)
_LOGIN = re.compile(r"login|log-in|sign-?in|token|session|auth/jwt", re.IGNORECASE)
_TOKEN_KEYS = ("access_token", "accessToken", "token", "jwt", "id_token", "access")


class AuthSetupError(GateError):
    """The gate could not sign up or sign in a test user."""


@dataclass
class ApiUser:
    """A user the gate created, with the headers that authenticate it."""

    username: str
    password: str
    email: str
    token: str | None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuthOperations:
    register: Operation | None
    login: Operation | None


def _named(ops: list[Operation], spec: Any) -> Operation | None:
    if not isinstance(spec, str):
        return None
    method, _, path = spec.strip().partition(" ")
    if not path:
        method, path = "POST", method
    return next((op for op in ops if op.method == method.upper() and op.path == path), None)


def find_auth_operations(doc: dict[str, Any], config: dict[str, Any] | None = None) -> AuthOperations:
    """The register and login operations of ``doc`` (configured names win over detection)."""
    config = config or {}
    ops = [op for op in operations(doc) if op.method == "POST" and not op.secured]

    def text(op: Operation) -> str:
        return f"{op.path} {op.operation_id or ''}"

    login = _named(ops, config.get("login")) or next((op for op in ops if _LOGIN.search(text(op))), None)
    register = _named(ops, config.get("register")) or next(
        (op for op in ops if _REGISTER.search(text(op)) and op is not login), None
    )
    if register is None:
        register = next((op for op in ops if re.search(r"/users/?$", op.path) and op is not login), None)
    return AuthOperations(register=register, login=login)


def _wrapper(doc: dict[str, Any], schema: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """``("user", inner schema)`` for a body that wraps the credentials in one object property."""
    properties = resolve(doc, schema).get("properties") or {}
    if len(properties) != 1:
        return None
    [(name, inner)] = properties.items()
    inner = resolve(doc, inner)
    if isinstance(inner, dict) and any("password" in key.lower() for key in (inner.get("properties") or {})):
        return name, inner
    return None


def _credential_fields(
    doc: dict[str, Any], op: Operation, user: ApiUser, *, prefer_email: bool
) -> dict[str, Any]:
    schema = resolve(doc, op.body_schema or {})
    wrapped = _wrapper(doc, schema) if schema else None
    if wrapped is not None:
        name, inner = wrapped
        return {name: _fill(doc, inner, user, prefer_email=prefer_email)}
    return _fill(doc, schema, user, prefer_email=prefer_email)


def _fill(doc: dict[str, Any], schema: dict[str, Any], user: ApiUser, *, prefer_email: bool) -> dict[str, Any]:
    properties = sample(doc, schema, tag=user.username) if schema else {}
    names = list((schema.get("properties") or {}).keys()) or ["username", "password"]
    values: dict[str, Any] = dict(properties) if isinstance(properties, dict) else {}
    for name in names:
        low = name.lower()
        if "password" in low:
            values[name] = user.password
        elif "email" in low:
            values[name] = user.email
        elif low in ("username", "user", "login", "name", "user_name", "handle"):
            values[name] = user.email if prefer_email else user.username
    return values


def post_body(
    client: httpx.Client, op: Operation, body: Any, headers: dict[str, str], path: str | None = None
) -> httpx.Response:
    """POST ``body`` to ``path`` (the operation's own by default) the way the operation takes it:
    form fields (None values left out) or JSON."""
    if op.body_media and "form" in op.body_media and isinstance(body, dict):
        fields = {key: value for key, value in body.items() if value is not None}
        return client.post(path or op.path, data=fields, headers=headers)
    return client.post(path or op.path, json=body, headers=headers)


def _token_in(payload: Any) -> str | None:
    if isinstance(payload, dict):
        for key in _TOKEN_KEYS:
            if isinstance(payload.get(key), str):
                return str(payload[key])
        for value in payload.values():
            found = _token_in(value)
            if found:
                return found
    return None


def sign_up(
    client: httpx.Client,
    doc: dict[str, Any],
    *,
    config: dict[str, Any] | None = None,
    name: str = "gate",
    run: Callable[[list[str]], ProcResult] | None = None,
) -> ApiUser:
    """Register and sign in a fresh user; raises AuthSetupError saying what went wrong.

    With ``token_command`` in ``config``, the user's token comes from that command instead (``run``
    runs it in the project, beside the service): for APIs that mint tokens outside HTTP.
    """
    auth = find_auth_operations(doc, config)
    tag = f"{name}{secrets.token_hex(4)}"
    user = ApiUser(
        username=tag, password=f"Pw-{secrets.token_urlsafe(12)}-9x!", email=f"{tag}@example.com", token=None
    )
    command = (config or {}).get("token_command")
    if command:
        user.token = _minted_token(command, user, run)
        user.headers = _token_headers(client, doc, user.token, (config or {}).get("scheme"))
        return user
    if auth.register is None and auth.login is None:
        raise AuthSetupError(
            "the API has secured operations but no register or login operation was found",
            hint='name them in [tool.backend-agent.<gate>] auth = { register = "POST /...", login = "POST /..." }',
        )
    register_schema = resolve(doc, auth.register.body_schema or {}) if auth.register is not None else {}
    wrapped = _wrapper(doc, register_schema) if register_schema else None
    register_fields = (wrapped[1] if wrapped else register_schema).get("properties") or {}
    has_username = any(k.lower() in ("username", "user_name", "login", "handle") for k in register_fields)
    if auth.register is not None:
        body = _credential_fields(doc, auth.register, user, prefer_email=False)
        response = post_body(client, auth.register, body, {})
        if response.status_code >= 300:
            raise AuthSetupError(
                f"registering a test user via {auth.register.label} answered {response.status_code}: "
                f"{response.text[:300]}",
                hint="make registration accept the documented body, or configure the auth operations",
            )
        user.token = _token_in(_json(response))
    if auth.login is not None:
        body = _credential_fields(doc, auth.login, user, prefer_email=not has_username)
        response = post_body(client, auth.login, body, {})
        if response.status_code >= 300:
            raise AuthSetupError(
                f"signing in the test user via {auth.login.label} answered {response.status_code}: "
                f"{response.text[:300]}",
                hint="make login accept the documented body, or configure the auth operations",
            )
        user.token = _token_in(_json(response)) or user.token
    if not user.token:
        raise AuthSetupError(
            "signing in the test user returned no token (looked for access_token, token, jwt)",
            hint="return the bearer token as access_token in the login response",
        )
    user.headers = _token_headers(client, doc, user.token, (config or {}).get("scheme"))
    return user


def _minted_token(command: list[str], user: ApiUser, run: Callable[[list[str]], ProcResult] | None) -> str:
    """The last line ``command`` prints, ``{email}`` replaced by the user's address."""
    if run is None:
        raise AuthSetupError("auth.token_command is set, but this gate runs no project commands",
                             hint="leave token_command to the gates that start the service")
    done = run([part.replace("{email}", user.email).replace("{username}", user.username) for part in command])
    lines = [line.strip() for line in (done.stdout or "").splitlines() if line.strip()]
    if not done.ok or not lines:
        raise AuthSetupError(
            f"the token command `{' '.join(command)}` "
            + (f"exited with {done.returncode}" if not done.ok else "printed nothing") + f": {done.tail(300)}",
            hint="run it by hand in the project with the service's environment; it must print the token last",
        )
    return lines[-1]


def _token_headers(client: httpx.Client, doc: dict[str, Any], token: str, scheme: Any) -> dict[str, str]:
    """The header carrying ``token``: the configured scheme, else what the security scheme implies."""
    if isinstance(scheme, str) and scheme:
        return {"Authorization": f"{scheme} {token}"}
    header = auth_header(doc, token)
    if list(header) != ["Authorization"] or header["Authorization"].startswith("Bearer "):
        return header
    # An API key in Authorization: the prefix (none, Token, Bearer) is the service's convention.
    probe = next((op for op in operations(doc) if op.method == "GET" and op.secured and not op.path_params), None)
    if probe is None:
        return header
    for candidate in (token, f"Token {token}", f"Bearer {token}"):
        try:
            status = client.get(probe.path, headers={"Authorization": candidate}).status_code
        except httpx.HTTPError:
            break
        if status not in (401, 403):
            return {"Authorization": candidate}
    return header


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


@dataclass
class Seeded:
    """Rows one user created: collection path template -> id, and the requests made."""

    tag: str
    made: int = 0  # creates answered 2xx, whether or not their row's key could be read
    created: dict[str, Any] = field(default_factory=dict)
    bodies: dict[str, Any] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # creates answered otherwise, or not at all
    unaddressed: list[str] = field(default_factory=list)  # rows made whose key the answer does not show

    @property
    def failures(self) -> list[str]:
        return [*self.refused, *self.unaddressed]


# Auth actions that are POSTs but create nothing, and some end the caller's session (a seeded logout
# revokes the very token the gate goes on to use).
_AUTH_ACTION = re.compile(r"log-?out|sign-?out|revoke|refresh|password|verif|confirm", re.IGNORECASE)


def creatable(doc: dict[str, Any], auth: AuthOperations) -> list[Operation]:
    """POST operations that create rows (not the auth ones), parents before children."""
    skip = {op.label for op in (auth.register, auth.login) if op is not None}
    ops = [op for op in operations(doc) if op.method == "POST" and op.label not in skip
           and not _AUTH_ACTION.search(f"{op.path} {op.operation_id or ''}")]
    return sorted(ops, key=lambda op: len(op.path_params))


def row_key(doc: dict[str, Any], collection: str, payload: Any) -> Any:
    """The key a created row is addressed by: its ``id``, else the value of the path parameter that
    follows the collection (``POST /links`` answering ``{"code": "x7Kp"}`` for ``/links/{code}``)."""
    if not isinstance(payload, dict):
        return None
    if "id" in payload:
        return payload["id"]
    for path in doc.get("paths") or {}:
        match = re.fullmatch(re.escape(collection) + r"/\{([^}/]+)\}(/.*)?", path)
        value = payload.get(match.group(1)) if match else None
        if isinstance(value, str | int) and not isinstance(value, bool):
            return value
    return None


def seed(client: httpx.Client, doc: dict[str, Any], user: ApiUser, auth: AuthOperations) -> Seeded:
    """Create one row per creatable collection as ``user``, parents first; ids land in ``created``."""
    result = Seeded(tag=marker())
    for op in creatable(doc, auth):
        path = fill_path(op.path, result.created) if op.path_params else op.path
        if path is None:
            continue
        body = sample(doc, op.body_schema, tag=result.tag) if op.body_schema else None
        try:
            response = post_body(client, op, body, user.headers, path)
        except httpx.HTTPError as exc:
            result.refused.append(f"{op.label}: {exc}")
            continue
        if response.status_code >= 300:
            result.refused.append(f"{op.label}: {response.status_code}")
            continue
        result.made += 1
        payload = _json(response)
        key = row_key(doc, op.path, payload)
        if key is not None and isinstance(payload, dict):
            result.created[op.path] = key
            result.bodies[op.path] = payload
        else:
            result.unaddressed.append(f"{op.label}: {response.status_code} without a key to address the row by")
    return result


__all__ = [
    "ApiUser",
    "AuthOperations",
    "AuthSetupError",
    "Seeded",
    "creatable",
    "find_auth_operations",
    "post_body",
    "row_key",
    "seed",
    "sign_up",
]
