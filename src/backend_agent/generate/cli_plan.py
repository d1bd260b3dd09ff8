"""What the generated ``app/cli.py`` needs: how to find, create and sign a token for a user from a shell.

A service whose contract has no sign-in (an API whose tokens an operator hands out) still needs a way
to mint one; so does check, whose gates sign in a test user (``auth.token_command`` in the generated
pyproject.toml).
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def cli_plan(design: Json) -> Json | None:
    """The user table's columns the CLI writes, or None when the service has no auth."""
    from backend_agent.generate.context import snake  # context imports this module

    auth = design.get("auth")
    if not auth:
        return None
    user = design["entities"][auth["user_entity"]]
    columns = {f["name"]: f["column"] for f in user["fields"]}
    identity = auth["identity"][0]
    written = {identity, auth["password_field"], auth.get("role_field")}
    needed = [f for f in user["fields"]
              if f["required"] and not f["builtin"] and not f["has_default"] and f["name"] not in written]
    # required text the operator passes as an option (--full-name "Ann Lee"); any other required field or
    # relation is one the CLI cannot fill: such users are created through the API instead
    options = [{"name": f["name"], "column": f["column"], "flag": "--" + f["name"].replace("_", "-"),
                "sample": _sample_text(f)}
               for f in needed if f["kind"] in ("string", "text") and not f["unique"]]
    blocking = [f["name"] for f in needed if f["name"] not in {o["name"] for o in options}]
    blocking += [r["name"] for r in user.get("relations", []) if r.get("fk_column") and r.get("required")]
    names = {f["name"] for f in user["fields"]}
    kinds = {f["name"]: f["kind"] for f in user["fields"]}
    return {
        "factory": "make_" + snake(auth["user_entity"]),  # tests/factories.py
        "identity_is_email": kinds.get(identity) == "email",
        "table": user["table"],
        "identity": identity,
        "identity_column": columns[identity],
        "password_column": auth["password_column"],
        "role_column": columns.get(auth["role_field"]) if auth.get("role_field") else None,
        "roles": auth.get("roles") or [],
        "uuid": user.get("id_type") == "uuid",
        "timestamps": [name for name in ("created_at", "updated_at") if name in names],
        "blocking": blocking,
        "options": options,
        "has_login": any(op["kind"] == "login" for op in design["operations"]),
        "has_register": any(op["kind"] == "register" for op in design["operations"]),
    }


def token_command(plan: Json | None) -> list[str] | None:
    """The command check's gates run to sign in a test user when the API has no sign-up of its own."""
    if plan is None or plan["has_register"] or plan["blocking"]:
        return None  # the gates sign up over HTTP, or cannot create a user at all
    command = ["{python}", "-m", "app.cli", "token", "{email}", "--create"]
    for option in plan["options"]:
        command += [option["flag"], option["sample"]]
    return command


def _sample_text(field: Json) -> str:
    """A value for a required text field of a user check creates: its documented example, else a name."""
    examples = (field.get("json_schema") or {}).get("examples") or []
    if examples and isinstance(examples[0], str):
        return examples[0]
    return "Check user"


def check_auth(design: Json) -> dict[str, str] | None:
    """``METHOD /path`` of the sign-up and sign-in operations, for check's gates to sign up a test user.

    Named rather than left to the gates' guess: a contract may call them anything (``POST /api/members``).
    """
    found = {op["kind"]: f"{op['method']} {op['path']}" for op in design["operations"]
             if op["kind"] in ("register", "login")}
    return found if len(found) == 2 else None

