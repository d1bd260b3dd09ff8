"""Optimistic concurrency: which reads send an ETag and which updates check ``If-Match``.

An item read (``get``) answers with ``ETag`` (a hash of its document). An update checks the
client's ``If-Match`` against the ETag of the row's current document, read in the update's own
transaction, when the design declares the 412 answer (always in blueprint mode; in contract mode
only when the contract lists 412, since a service may answer only declared statuses). Without the
header, an update goes ahead as before.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def declares_412(op: Json) -> bool:
    responses = (op.get("wire") or {}).get("responses", [])
    return any(int(r.get("status") or 0) == 412 for r in responses) or 412 in op.get("error_statuses", [])


def plan_etags(entity_plans: list[Json]) -> None:
    """Set ``etag`` on item reads and ``etag_get`` (the read's function) on updates that check ``If-Match``."""
    for entity in entity_plans:
        ops = entity["operations"]
        reads = {op["path"]: op for op in ops
                 if op["kind"] == "get" and not op.get("text_template") and not op.get("request_class")
                 and not op.get("handler")}
        for op in ops:
            op["etag"] = op["path"] in reads and reads[op["path"]] is op
            read = reads.get(op["path"])
            checked = (op["kind"] == "update" and read is not None and declares_412(op)
                       and not op.get("idempotent") and not op.get("request_class") and not op.get("handler")
                       and not op.get("existing"))
            op["etag_get"] = read["func"] if checked and read else None
            # the update's answer is the read's document: its hash is the new ETag
            op["etag_same_view"] = bool(checked and read and read.get("view") == op.get("view")
                                        and read.get("response_envelope") == op.get("response_envelope")
                                        and [k["param"] for k in read["key_clauses"]]
                                        == [k["param"] for k in op["key_clauses"]])


__all__ = ["declares_412", "plan_etags"]
