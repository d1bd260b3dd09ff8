"""The auth operations (register, login, me, update_me, refresh) and the auth settings."""

from __future__ import annotations

from backend_agent.blueprint import Auth, Blueprint, auth_operation
from backend_agent.design.model import AuthDesign, AuthRule, EntityDesign, OperationDesign
from backend_agent.design.tables import secret_column

_DEFAULTS = {
    "register": ("POST", "/auth/register", 201, "Register a new user"),
    "login": ("POST", "/auth/login", 200, "Sign in and receive a token"),
    "me": ("GET", "/users/me", 200, "The current user"),
    "update_me": ("PATCH", "/users/me", 200, "Update the current user"),
    "refresh": ("POST", "/auth/refresh", 200, "Exchange a refresh token for a new access token"),
    "logout": ("POST", "/auth/logout", 204, "Sign out: revoke the token and its refresh token"),
    "verify_email": ("POST", "/auth/verify-email", 204, "Confirm the email address with the mailed token"),
    "request_password_reset": ("POST", "/auth/password-reset", 202, "Mail a one-time password reset token"),
    "reset_password": ("POST", "/auth/password-reset/confirm", 204, "Set a new password with the mailed token"),
}
_NO_BODY = ("logout", "verify_email", "request_password_reset", "reset_password")  # answers carry no body
SECURITY_SCHEME = "tokenAuth"


def auth_design(auth: Auth) -> AuthDesign:
    policy = auth.password_policy
    ops = auth.operations
    return AuthDesign(
        user_entity=auth.user_entity, identity=list(auth.identity), password_field=auth.password_field,
        password_column=secret_column(auth.password_field), scheme=auth.tokens.scheme,
        algorithm=auth.tokens.algorithm, access_ttl_minutes=auth.tokens.access_ttl_minutes,
        refresh=auth.tokens.refresh, refresh_ttl_days=auth.tokens.refresh_ttl_days, roles=list(auth.roles),
        default_role=auth.default_role, admin_role=auth.admin_role, role_field=auth.role_field,
        password_min_length=policy.min_length, password_max_length=policy.max_length,
        password_require_letter=policy.require_letter, password_require_digit=policy.require_digit,
        password_require_symbol=policy.require_symbol, security_scheme=auth.tokens.security_scheme,
        logout=ops.logout.enabled, refresh_rotation=auth.tokens.refresh,
        email_verification=ops.verify_email.enabled, password_reset=ops.reset_password.enabled,
        require_verified_email=auth.require_verified_email, email_field=email_field(auth),
    )


def email_field(auth: Auth) -> str | None:
    """The field mailed for verification and resets: ``email_field``, else the first identity field named
    like an address (the checks make sure it is an email field when a mail flow is on)."""
    if auth.email_field:
        return auth.email_field
    return next((name for name in auth.identity if "mail" in name), None)


def auth_request_schema(user: str, name: str) -> str:
    return {"register": f"{user}Register", "login": "LoginRequest", "update_me": f"{user}UpdateMe",
            "refresh": "RefreshRequest", "verify_email": "VerifyEmailRequest",
            "request_password_reset": "PasswordResetRequest", "reset_password": "PasswordResetConfirm"}.get(name, "")


def auth_response_schema(name: str) -> str:
    return {"register": "AuthRegisterResponse", "login": "AuthLoginResponse", "me": "AuthMeResponse",
            "update_me": "AuthUpdateMeResponse", "refresh": "TokenPair"}.get(name, "")


def auth_operations(bp: Blueprint, entities: dict[str, EntityDesign]) -> list[tuple[OperationDesign, str]]:
    """Operations of the auth section; their responses are described by dedicated wrapper schemas."""
    auth = bp.auth
    if auth is None:
        return []
    user = entities[auth.user_entity]
    out = []
    for name, (method, path, status, summary) in _DEFAULTS.items():
        spec = auth_operation(auth.operations, name)
        if not spec.enabled or (name == "refresh" and not auth.tokens.refresh):
            continue
        public = name not in ("me", "update_me", "logout")
        view = spec.view or user.default_view
        token = spec.token or ("beside" if name in ("register", "login") else "none")
        if name == "refresh":
            token = "beside"
        if name in _NO_BODY:
            token = "none"
        if spec.reply is not None:  # the reply template places the token itself ($token)
            token = "in_object" if spec.token == "in_object" else "none"
        op = OperationDesign(
            operation_id=f"auth_{name}", name=name, kind=name, entity=auth.user_entity, method=spec.method or method,
            path=bp.service.base_path + (spec.path or path), tag="auth", summary=summary,
            auth=AuthRule(public, [], False, None), status_code=status,
            request_schema=auth_request_schema(auth.user_entity, name) or None,
            request_envelope=spec.request_envelope, response_schema=auth_response_schema(name) or None,
            response_envelope=spec.response_envelope, view=None if name in ("refresh", *_NO_BODY) else view,
            rate_limit=spec.rate_limit, token=token, message=spec.message,
            reply=dict(spec.reply) if spec.reply is not None else None,
        )
        out.append((op, f"auth.operations.{name}"))
    return out


__all__ = ["SECURITY_SCHEME", "auth_design", "auth_operations", "auth_request_schema", "auth_response_schema", "email_field"]
