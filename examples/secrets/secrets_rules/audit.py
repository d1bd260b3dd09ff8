"""After-write hook of the secret store: a log line per deleted secret (never its value)."""

import logging

from app.custom.context import ActionContext

log = logging.getLogger("secrets.audit")


def forget(ctx: ActionContext, row: object) -> None:
    log.info("secret %s deleted by %s", getattr(row, "name", "?"), getattr(ctx.user, "name", "?"))
