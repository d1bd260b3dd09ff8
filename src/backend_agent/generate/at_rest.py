"""Plans of what a write does besides storing the request's values: generated values, encryption at
rest and after-write hooks (``generate``, ``encrypted`` and ``hooks`` in ``design.json``).

* generated values (``token``, ``uuid``, ``now``) are set on create and never read from a request;
* encrypted fields are encrypted before the statement is built and decrypted, after the fetch,
  only in the documents of the views that name them (documents are built in SQL);
* hooks ``module:function`` in ``app/custom/`` run after the write in its transaction.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

HOOK_EVENTS = ("after_create", "after_update", "after_delete")
_GENERATED = {
    "token": "new_token(32)",  # 43 URL-safe characters
    "uuid": "str(new_uuid())",
    "now": "utcnow()",
}
_IMPORTS = {"token": "from secrets import token_urlsafe as new_token", "uuid": "from uuid import uuid4 as new_uuid"}


def at_rest_context(design: Json) -> Json:
    """Service-wide facts the templates need (settings, the crypto module, the context module)."""
    entities = design["entities"].values()
    encrypted = any(f.get("encrypted") for e in entities for f in e["fields"])
    hooks = any(e.get("hooks") for e in entities)
    name = design["service"]["name"]
    key_env = design["service"].get("encryption_key_env") or name.upper().replace("-", "_") + "_ENCRYPTION_KEY"
    handlers = any(op.get("handler") for op in design["operations"])
    return {"encrypted": encrypted, "key_env": key_env, "hooks": hooks, "context": hooks or handlers}


def where_of(entity: Json, field: Json) -> str:
    """The associated data binding a ciphertext to its column: ``table.column``."""
    return f"{entity['table']}.{field['column']}"


def write_extras(design: Json, entity: Json, plan: Json) -> None:
    """``generated``, ``encrypted_columns``, ``reveal`` and ``hooks`` of one entity's plan."""
    fields = entity["fields"]
    generated = []
    for f in fields:
        kind = f.get("generate")
        if not kind:
            continue
        expr = _GENERATED[kind]
        if kind == "now" and f["python_type"] == "date":
            expr = "utcnow().date()"
        generated.append({"column": f["column"], "expr": expr})
        for columns in ("create_columns", "update_columns"):  # never accepted from clients
            plan[columns] = {k: v for k, v in plan[columns].items() if v != f["column"]}
    plan["generated"] = generated
    plan["generated_imports"] = sorted({_IMPORTS[f["generate"]] for f in fields if f.get("generate") in _IMPORTS})
    plan["encrypted_columns"] = {f["column"]: where_of(entity, f) for f in fields if f.get("encrypted")}
    plan["reveal"] = {}
    by_name = {f["name"]: f for f in fields}
    for view in entity["views"].values():
        shown = tuple((vf["json_name"], where_of(entity, by_name[vf["name"]])) for vf in view["fields"]
                      if vf["source"] == "field" and by_name.get(vf["name"], {}).get("encrypted"))
        if shown:
            plan["reveal"][view["name"]] = shown
    _refuse_nested_encrypted(design, entity)
    plan["hooks"] = {}
    for event in HOOK_EVENTS:
        target = (entity.get("hooks") or {}).get(event)
        if target:
            module, func = target.split(":", 1)
            plan["hooks"][event] = f"{module.replace('.', '_')}.{func}"
            if module not in plan["custom_imports"]:
                plan["custom_imports"] = sorted([*plan["custom_imports"], module])


def _refuse_nested_encrypted(design: Json, entity: Json) -> None:
    """A view embedding another entity's encrypted field would show its ciphertext: not generated."""
    relations = {rel["name"]: rel for rel in entity["relations"]}
    for view in entity["views"].values():
        for vf in view["fields"]:
            rel = relations.get(vf["name"]) if vf["source"] == "relation" else None
            if rel is None or (vf.get("relation_as") or rel.get("response_as")) != "view":
                continue
            target = design["entities"][rel["target"]]
            shown = target["views"].get(rel.get("response_view") or "", {"fields": []})["fields"]
            encrypted = {f["name"] for f in target["fields"] if f.get("encrypted")}
            if any(tf["source"] == "field" and tf["name"] in encrypted for tf in shown):
                raise ValueError(f"{entity['name']}.{rel['name']} embeds encrypted fields of {target['name']}; "
                                 "show them from the entity's own operations")


def hook_stubs(design: Json) -> dict[str, list[Json]]:
    """module -> hook functions the design names (``custom/module.py.j2`` stubs them until written)."""
    out: dict[str, list[Json]] = {}
    for entity in design["entities"].values():
        for event in HOOK_EVENTS:
            target = (entity.get("hooks") or {}).get(event)
            if not target:
                continue
            module, func = target.split(":", 1)
            items = out.setdefault(module, [])
            if all(item["func"] != func for item in items):
                items.append({"func": func, "hook": event, "entity": entity["name"], "op": None})
    return out


__all__ = ["HOOK_EVENTS", "at_rest_context", "hook_stubs", "where_of", "write_extras"]
