"""Custom code of the orders service (copied into app/custom/): payment capture and shipping quotes."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, select

from app.core.errors import ApiError
from app.models.tables import orders, payments
from app.services.access import Principal


def provider_confirms(conn: Connection, user: Principal | None, row_id: Any) -> None:
    """Guard of POST .../payments/{payment_id}/capture: only a payment in its order's currency is captured."""
    row = conn.execute(
        select(payments.c.currency, orders.c.currency.label("order_currency"))
        .join(orders, orders.c.id == payments.c.order_id)
        .where(payments.c.id == row_id)
    ).first()
    if row is not None and row.currency != row.order_currency:
        raise ApiError(409, f"the payment is in {row.currency} but the order is in {row.order_currency}")


def quote_shipping(conn: Connection, user: Principal | None, row_id: Any, data: dict[str, Any]) -> Any:
    """POST /v1/orders/{id}/quote-shipping: the order as the carrier in ``data`` would ship it.

    The service has already found the order and checked the caller may see it; the answer is the
    order document (the operation's 200 body), read as GET /v1/orders/{id} reads it.
    """
    from app.services import order as order_service  # the service module imports this one

    return orjson.loads(order_service.orders_get(conn, user, row_id))
