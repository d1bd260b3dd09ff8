"""Custom code of the card lookup service: the RPC calls that select a card by a body value."""

from app.custom.context import ActionContext, ActionError
from app.models import Card
from sqlalchemy import select


async def lookup_card(ctx: ActionContext, data: dict) -> dict:
    card = (await ctx.session.execute(select(Card).where(Card.number == data["number"]))).scalar_one_or_none()
    if card is None:
        raise ActionError(400, "no card with this number")
    return {"ok": True, "number": card.number, "balanceCents": card.balance_cents, "blocked": card.blocked}
