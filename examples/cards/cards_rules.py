"""Custom code of the cards service (copied into app/custom/): blocking a lost or stolen card."""

from sqlalchemy import Connection, update

from app.core.errors import ApiError
from app.models.tables import cards
from app.schemas.handlers import BlockCardRequest
from app.services.access import Principal


def block_card(conn: Connection, user: Principal | None, request: BlockCardRequest) -> dict[str, object]:
    """Block the card with this number (its balance stays); the answer is checked against the contract."""
    blocked = update(cards).where(cards.c.number == request.body.number).values(blocked=True)
    row = conn.execute(blocked.returning(cards.c.number, cards.c.balance_cents)).first()
    if row is None:
        raise ApiError(404, "card not found")  # the binding answers not_found with the contract's 400
    return {"ok": True, "number": row.number, "balanceCents": row.balance_cents, "blocked": True}
