"""Contract-mode custom handlers: the typed request each receives and the check of what it answers.

A contract operation bound to ``{operation: custom, handler: module:function}`` calls the function in
``app/custom/`` with the request as the contract types it (``<OperationId>Request``: every path,
query and header parameter by its Python name, and ``body`` as the request body model). What the
handler returns is validated against the contract's success schema inside the request's
transaction; an answer that does not fit is logged and answered 500 with the service's error body
(and the transaction is rolled back), so no body the contract does not describe reaches the wire.
A handler whose contract answers text/html or text/plain returns that text as a ``str``; HTML is
written as the handler returns it, so it escapes what it did not write itself.
"""

from __future__ import annotations

import re
from typing import Any

from backend_agent.generate.pyschema import SchemaTranslator, _pascal, py_name

Json = dict[str, Any]
# names in annotations that are not the contract's models (typing, pydantic and standard types)
_NOT_MODELS = frozenset({"Annotated", "Any", "AwareDatetime", "Base64Bytes", "Decimal", "Field", "Literal", "None", "Rfc3339Datetime",
                         "JsonInt", "StrictBool", "StrictFloat", "StrictInt", "UUID"})


def typed_handler_plan(out: Json, op: Json, translator: SchemaTranslator) -> None:
    """Fill ``request_class``, ``typed_params``, ``response_adapter`` and ``response_annotation`` of ``out``."""
    from backend_agent.generate.context import identifier

    out["request_class"] = op.get("_request_class")
    out["typed_params"] = []
    out["header_params"] = []
    if not out["request_class"]:
        return
    for param in op["parameters"]:
        annotation, _ = translator._annotation(param["json_schema"])
        # parameters arrive as text and are parsed by the route: plain types here
        annotation = annotation.replace("JsonInt", "int").replace("StrictBool", "bool").replace("StrictFloat", "float")
        always = param["required"] or param["json_schema"].get("default") is not None
        plain = annotation if always or "| None" in annotation else f"{annotation} | None"
        py = identifier(param["name"])  # the name the router's signature gives it
        out["typed_params"].append({"py": py, "annotation": plain, "location": param["location"],
                                    "name": param["name"], "required": param["required"]})
        if param["location"] == "header":
            where, default = translator.param_annotation(param["json_schema"], param["required"],
                                                         alias=param["name"])
            out["header_params"].append({**param, "py": py, "annotation": where.replace("{where}", "Header"),
                                         "default": default})
    operation = translator.openapi["paths"][op["path"]][op["method"].lower()]
    response = (operation.get("responses") or {}).get(str(op["status_code"])) or {}
    schema = ((response.get("content") or {}).get("application/json") or {}).get("schema")
    out["response_adapter"] = f"{py_name(op['operation_id']).upper()}_RESPONSE"
    # text/html or text/plain: the handler returns the text itself (HTML it escapes, e.g. markupsafe.escape)
    out["text_answer"] = op.get("_text_answer")
    if out["text_answer"]:
        out["response_annotation"] = "str"
    elif schema is None:
        out["response_annotation"] = "None"  # no body: the handler returns None
    else:
        annotation, _ = translator._annotation(schema, owner=_pascal(op["operation_id"]) + "Response")
        out["response_annotation"] = annotation
    texts = [p["annotation"] for p in out["typed_params"]] + [out["response_annotation"], out.get("body_model") or ""]
    out["model_names"] = sorted({name for text in texts for name in re.findall(r"\b[A-Z]\w*", re.sub(r"'[^']*'", "", text))
                                 if name not in _NOT_MODELS})


__all__ = ["typed_handler_plan"]
