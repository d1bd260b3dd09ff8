"""The generation plan: design.json turned into the small facts the templates print.

Everything a template needs that is more than a lookup is decided here, once, as plain data
(names of Python identifiers, SQLAlchemy expressions of each view's JSON document, pydantic
annotations of each request property). Templates then only lay the facts out.
"""

from __future__ import annotations

import json
import keyword
import re
from typing import Any

from backend_agent.generate.at_rest import at_rest_context, hook_stubs, write_extras
from backend_agent.generate.cli_plan import check_auth, cli_plan, token_command
from backend_agent.generate.params_plan import plan_params
from backend_agent.generate.pyschema import SchemaTranslator
from backend_agent.generate.semantics import caller_check, caller_scope
from backend_agent.generate.text_pages import text_template_of
from backend_agent.generate.typed_handlers import typed_handler_plan

Json = dict[str, Any]

# Operations answering a page of rows.
LIST_KINDS = ("list", "feed", "query")


def snake(name: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    text = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_").lower()
    if not text or text[0].isdigit():
        text = "x_" + text
    return text + "_" if keyword.iskeyword(text) else text


# Names the generated routes and services already use for their own values: a parameter (e.g. `userId`)
# or table spelled like one of them gets a trailing underscore instead of shadowing it.
_TAKEN = frozenset({"user_id", "user", "principal", "conn", "data", "query", "request", "body"})


def identifier(name: str) -> str:
    """A Python identifier for a JSON key or table name."""
    text = snake(name)
    return text + "_" if text in _TAKEN else text


# -- tables ----------------------------------------------------------------------------------------------


def _column_type(col: Json) -> str:
    sql = col["sql_type"]["postgresql"].upper()
    py = col["python_type"]
    if py == "int":
        if col["source"] in ("id", "fk", "join") or sql == "BIGINT":
            return "BigInteger().with_variant(Integer(), \"sqlite\")"
        return "BigInteger()" if sql == "BIGINT" else ("SmallInteger()" if sql == "SMALLINT" else "Integer()")
    if py == "str":
        match = re.match(r"VARCHAR\((\d+)\)", sql)
        return f"String({match.group(1)})" if match else "Text()"
    if py == "Decimal":
        match = re.match(r"NUMERIC\((\d+),\s*(\d+)\)", sql)
        return f"Numeric({match.group(1)}, {match.group(2)})" if match else "Numeric()"
    if py == "float":
        return "Double()"
    if py == "bool":
        return "Boolean()"
    if py == "datetime":
        return "DateTime(timezone=True)"
    if py == "date":
        return "Date()"
    if py == "time":
        return "Time()"
    if py in ("UUID", "uuid"):
        return "Uuid(as_uuid=False).with_variant(CHAR(36), \"sqlite\")"  # CHAR(36) text on SQLite, as the DDL says
    if py == "bytes":
        return "LargeBinary()"
    return "JSON().with_variant(JSONB(), \"postgresql\")"


def table_plan(table: Json) -> Json:
    fks = {fk["column"]: fk for fk in table["foreign_keys"]}
    columns = []
    for col in table["columns"]:
        args = [repr(col["name"]), _column_type(col)]
        fk = fks.get(col["name"])
        if fk:
            args.append(f"ForeignKey({fk['ref_table'] + '.' + fk['ref_column']!r}, ondelete={fk['on_delete']!r})")
        if col["primary_key"] or col["name"] in table["primary_key"]:
            args.append("primary_key=True")
            if col["autoincrement"]:
                args.append("autoincrement=True")
        else:
            args.append(f"nullable={col['nullable']}")
        columns.append(", ".join(args))
    # The design's indexes, declared on the table too, so Alembic's drift check sees what the DDL made.
    indexes = []
    for index in table.get("indexes", []):
        args = [repr(index["name"]), *(repr(c) for c in index["columns"])]
        if index["unique"]:
            args.append("unique=True")
        if index.get("where"):
            args += [f"sqlite_where=text({index['where']!r})", f"postgresql_where=text({index['where']!r})"]
        indexes.append(", ".join(args))
    return {"name": table["name"], "var": identifier(table["name"]), "columns": columns, "indexes": indexes,
            "comment": (f"entity {table['entity']}" if table["entity"] else f"join table of {table['relation']}")}


# -- JSON documents of views ------------------------------------------------------------------------


def _scale(field_type: str) -> int:
    match = re.search(r"decimal\(\s*\d+\s*,\s*(\d+)\s*\)", field_type)
    return int(match.group(1)) if match else 2


def value_expr(kind: str, python_type: str, field_type: str, expr: str) -> str:
    """The SQL expression of one stored value as its JSON form (timestamps, booleans, decimals...)."""
    if python_type == "datetime":
        return f"json_timestamp({expr})"
    if python_type == "bool":
        return f"json_bool({expr})"
    if python_type == "Decimal":
        return f"json_decimal({expr}, {_scale(field_type)})"
    if python_type == "time":
        return f"json_time({expr})"
    if python_type == "bytes":
        return f"json_base64({expr})"
    if python_type == "Any":
        return f"json_value({expr})"
    return expr


class DocumentPlanner:
    """Writes, per entity view, the SQLAlchemy expression building its JSON document in SQL."""

    def __init__(self, design: Json) -> None:
        self.design = design
        self.entities: dict[str, Json] = design["entities"]
        self.tables = {t["name"]: t for t in design["tables"]}

    def func_name(self, entity: str, view: str) -> str:
        return f"{snake(entity)}_{snake(view)}_document"

    def field_expr(self, entity: Json, name: str, alias: str) -> str:
        field = next((f for f in entity["fields"] if f["name"] == name), None)
        if field is None:
            return f"{alias}.c.{name}"
        return value_expr(field["kind"], field["python_type"], field["type"], f"{alias}.c.{field['column']}")

    def view_functions(self, entity: Json) -> list[Json]:
        out = []
        for view in entity["views"].values():
            aliases: list[str] = []
            pairs: list[tuple[str, str]] = []
            for vf in view["fields"]:
                if vf["source"] == "token":
                    continue
                pairs.append((vf["json_name"], self._view_field(entity, vf, aliases)))
            out.append({"name": view["name"], "func": self.func_name(entity["name"], view["name"]),
                        "aliases": aliases, "pairs": pairs,
                        "has_token": any(vf["source"] == "token" for vf in view["fields"])})
        return out

    def _new_alias(self, aliases: list[str], table: str) -> str:
        var = f"{identifier(table)}_{len(aliases) + 1}"
        aliases.append(f"{var} = {identifier(table)}.alias()")
        return var

    def _view_field(self, entity: Json, vf: Json, aliases: list[str]) -> str:
        if vf["source"] == "field":
            return self.field_expr(entity, vf["name"], "t")
        if vf["source"] == "const":  # a value the contract fixes, e.g. "ok": true
            return f"json_const({json.dumps(vf.get('value'))!r})"
        if vf["source"] == "computed":
            comp = next(c for c in entity["computed"] if c["name"] == vf["name"])
            if comp["kind"] == "membership":
                table = identifier(comp["table"])
                return (f"json_bool(exists().where({table}.c.{comp['key_column']} == t.c.id, "
                        f"{table}.c.{comp['user_column']} == viewer))")
            return self._aggregate_expr(entity, comp, vf.get("json_schema") or comp.get("json_schema") or {}, aliases)
        rel = next(r for r in entity["relations"] if r["name"] == vf["name"])
        shown = vf.get("relation_as") or rel["response_as"]
        return self._relation_expr(rel, shown, aliases)

    def _aggregate_expr(self, entity: Json, comp: Json, shown: Json, aliases: list[str]) -> str:
        """A count or an aggregate of the related rows as a correlated scalar subquery of the document's statement.

        count and sum are 0 over no rows; avg, min and max are null. avg is a JSON number (double) on
        both dialects; sums, minima and maxima keep the aggregated field's JSON form (a decimal as the
        string the design shows, a timestamp in the service's format).
        """
        r = self._new_alias(aliases, comp["table"])
        where = [f"{r}.c.{comp['key_column']} == t.c.id"]
        rel = next((x for x in entity["relations"] if x["name"] == comp["relation"]), None)
        # the counted rows' entity (a many_to_many counts join-table rows, which have no conditions)
        target = None if rel and rel["kind"] == "many_to_many" else next(
            (e for e in self.entities.values() if e["table"] == comp["table"]), None)
        if target is not None:
            if target["soft_delete"]:
                where.append(f"{r}.c.deleted_at.is_(None)")  # soft-deleted rows do not count
            where += [condition_sql(target, cond, r) for cond in comp.get("conditions") or []]
        clause = ", ".join(where)
        if comp["kind"] == "count":
            return f"select(func.count()).select_from({r}).where({clause}).scalar_subquery()"
        field = next(f for f in (target or {}).get("fields", []) if f["name"] == comp["field"])
        column = f"{r}.c.{field['column']}"
        if comp["kind"] == "avg":
            return f"select(cast(func.avg({column}), Double())).where({clause}).scalar_subquery()"
        value = f"select(func.{comp['kind']}({column})).where({clause}).scalar_subquery()"
        if comp["kind"] == "sum":
            value = f"func.coalesce({value}, 0)"
        declared = shown.get("type")
        types = declared if isinstance(declared, list) else [declared]
        if field["python_type"] == "Decimal" and "string" not in types:
            return value  # the contract shows this decimal as a JSON number
        return value_expr(field["kind"], field["python_type"], field["type"], value)

    def _target_value(self, rel: Json, shown: str, r: str) -> str:
        target = self.entities[rel["target"]]
        if shown == "id":
            return f"{r}.c.id"
        if shown == "values":
            return self.field_expr(target, rel["response_field"], r)
        if shown == "view":
            return f"{self.func_name(target['name'], rel['response_view'])}({r}, viewer)"
        pairs = [("id", f"{r}.c.id")]
        for name in rel["response_fields"]:
            field = next(f for f in target["fields"] if f["name"] == name)
            pairs.append((field["json_name"], self.field_expr(target, name, r)))
        return "json_object(" + ", ".join(f"{k!r}, {v}" for k, v in pairs) + ")"

    def _relation_expr(self, rel: Json, shown: str, aliases: list[str]) -> str:
        target_table = rel["target_table"]
        if rel["fk_column"]:  # many_to_one or the owning side of one_to_one
            if shown == "id":
                return f"t.c.{rel['fk_column']}"
            r = self._new_alias(aliases, target_table)
            value = self._target_value(rel, shown, r)
            subquery = f"select({value}).where({r}.c.id == t.c.{rel['fk_column']}).scalar_subquery()"
            return subquery if shown == "values" else f"json_nested({subquery})"
        r = self._new_alias(aliases, target_table)
        value = self._target_value(rel, shown, r)
        if rel["kind"] == "many_to_many":
            j = self._new_alias(aliases, rel["join_table"])
            return (f"json_nested(select(json_array_agg({value}))"
                    f".select_from({j}.join({r}, {r}.c.id == {j}.c.{rel['join_target_column']}))"
                    f".where({j}.c.{rel['join_self_column']} == t.c.id).scalar_subquery())")
        where = f"{r}.c.{rel['remote_fk_column']} == t.c.id"
        if self.entities[rel["target"]]["soft_delete"]:
            where += f", {r}.c.deleted_at.is_(None)"
        if rel["kind"] == "one_to_one":
            subquery = f"select({value}).where({where}).limit(1).scalar_subquery()"
            return subquery if shown in ("id", "values") else f"json_nested({subquery})"
        return f"json_nested(select(json_array_agg({value})).where({where}).scalar_subquery())"


# -- operations ----------------------------------------------------------------------------------------


def _py_default(schema: Json) -> Any:
    return schema.get("default")


def build_context(design: Json, openapi: Json) -> tuple[Json, list[Json]]:
    """The template context and the per-entity plans."""
    service = design["service"]
    auth = design.get("auth")
    planner = DocumentPlanner(design)
    translator = SchemaTranslator(openapi)
    entity_plans: list[Json] = []
    ops_by_entity: dict[str, list[Json]] = {}
    for op in design["operations"]:
        ops_by_entity.setdefault(op["entity"], []).append(op)
    for entity in design["entities"].values():
        entity_plans.append(_entity_plan(design, entity, ops_by_entity.get(entity["name"], []), planner,
                                         translator))
    # view functions must be defined after the ones they call (a view embedding another entity's view)
    ordered_views = _ordered_views(entity_plans)
    from backend_agent.generate.etag_plan import plan_etags

    plan_etags(entity_plans)
    handlers = sorted({op["handler"] for op in design["operations"] if op.get("handler")})
    custom_modules: dict[str, list[Json]] = {}
    for op in design["operations"]:
        if op.get("handler"):
            module, func = op["handler"].split(":", 1)
            custom_modules.setdefault(module, []).append({"func": func, "op": op})
    for module, hooks in hook_stubs(design).items():  # after-write hooks (at_rest.py)
        known = {item["func"] for item in custom_modules.get(module, [])}
        custom_modules.setdefault(module, []).extend(h for h in hooks if h["func"] not in known)
    auth_ops = [op for e in entity_plans for op in e["operations"] if op["kind"] in AUTH_KINDS]
    for op in auth_ops:
        # a refresh answers the contract's own keys (e.g. {"token", "refreshToken"}) when it names them
        op["pair_keys"] = op.get("_reply_keys") if op["kind"] == "refresh" else None
        op["reply_keys"] = op.get("_reply_keys") or [(k["key"], k["source"]) for k in op["response_keys"]]  # CONTRACT hook
    user_plan = next((e for e in entity_plans if auth and e["name"] == auth["user_entity"]), None)
    if user_plan is not None and auth:
        _auth_plan(openapi, auth, user_plan, auth_ops)
    context: Json = {
        "design": design,
        "service": service,
        "auth": auth,
        "openapi": openapi,
        "project": snake(service["name"]),
        "tables": [table_plan(t) for t in design["tables"]],
        "entities": entity_plans,
        "views": ordered_views,
        "view_tables": sorted({t["name"] and identifier(t["name"]) for t in design["tables"]
                               if any(re.search(rf"\b{identifier(t['name'])}\b", line)
                                      for v in ordered_views for line in v["aliases"] + [e for _, e in v["pairs"]])}),
        "schema_models": translator.render_models(),
        "handlers": handlers,
        "custom_modules": custom_modules,
        "typed_handlers": [op for e in entity_plans for op in e["operations"] if op["request_class"]],
        "user_entity": user_plan,
        "api_modules": sorted([e["module"] for e in entity_plans
                               if any(op["kind"] not in AUTH_KINDS for op in e["operations"])]
                              + (["auth"] if auth_ops else [])),
        "auth_ops": auth_ops,
        "auth_refresh_op": next((op for op in auth_ops if op["kind"] == "refresh"), None),
        "auth_body_models": sorted({op["body_model"] for op in auth_ops if op["body_model"]}),
        "form_bodies": any(op["form_body"] for e in entity_plans for op in e["operations"]),
        "at_rest": at_rest_context(design),
        "cli": cli_plan(design),
    }
    context["check_token_command"] = token_command(context["cli"])
    context["check_auth"] = None if context["check_token_command"] else check_auth(design)
    from backend_agent.generate.samples import PASSWORD
    from backend_agent.generate.testplan import (
        DEFAULT_STATUS,
        auth_test_plan,
        error_table,
        factory_plans,
        lifecycle_plans,
        operation_plans,
        success_statuses,
    )

    context["password_sample"] = PASSWORD
    from backend_agent.generate.text_pages import SCRIPT, page_test_plans

    context["page_tests"], context["script"] = page_test_plans(design), SCRIPT
    context["factories"] = factory_plans(design)
    context["test_ops"] = operation_plans(design, openapi)
    context["lifecycles"] = lifecycle_plans(design, context["test_ops"])
    context["auth_tests"] = auth_test_plan(design, openapi) if user_plan else None
    context["test_error_schemas"], context["test_errors"] = error_table(design)
    context["default_status"] = DEFAULT_STATUS
    context["test_success"] = success_statuses(design)
    from backend_agent.generate.check_options import (
        contract_accept_statuses,
        contract_disabled_checks,
        contract_disabled_checks_for,
        contract_max_examples,
        shared_operations,
    )

    context["contract_accept_statuses"] = contract_accept_statuses(design)
    context["contract_disabled_checks"] = contract_disabled_checks(design)
    context["contract_disabled_checks_for"] = contract_disabled_checks_for(design)
    context["contract_max_examples"] = contract_max_examples(design)
    context["shared_operations"] = shared_operations(design)
    from backend_agent.generate.aggregate_tests import aggregate_test_plans

    context["aggregate_tests"] = aggregate_test_plans(design)
    return context, [e for e in entity_plans if e["operations"]]


def _auth_plan(openapi: Json, auth: Json, user: Json, auth_ops: list[Json]) -> None:
    raw = user["raw"]
    password = next(f for f in raw["fields"] if f["name"] == auth["password_field"])
    user["password_key"] = password["json_name"]
    by_json = {f["json_name"]: f["column"] for f in raw["fields"] if f["name"] != auth["password_field"]}

    def columns_of(kind: str) -> dict[str, str]:
        op = next((o for o in auth_ops if o["kind"] == kind), None)
        if op is None or not op.get("request_schema"):
            return {}
        schema = op.get("_request_row") or openapi["components"]["schemas"].get(op["request_schema"], {})  # CONTRACT hook
        return {k: by_json[k] for k in schema.get("properties", {}) if k in by_json}

    user["register_columns"] = columns_of("register") or {
        f["json_name"]: f["column"] for f in raw["fields"] if f["in_create"] and f["name"] != auth["password_field"]}
    for key in auth["identity"]:
        field = next(f for f in raw["fields"] if f["name"] == key)
        user["register_columns"].setdefault(field["json_name"], field["column"])
    user["update_me_columns"] = columns_of("update_me")


def _ordered_views(entity_plans: list[Json]) -> list[Json]:
    all_views = {v["func"]: v for e in entity_plans for v in e["views"]}
    done: list[str] = []

    def visit(func: str, stack: tuple[str, ...]) -> None:
        if func in done or func in stack:
            return
        view = all_views[func]
        for other in all_views:
            if other != func and any(f"{other}(" in expr for _, expr in view["pairs"]):
                visit(other, (*stack, func))
        done.append(func)

    for func in all_views:
        visit(func, ())
    return [all_views[f] for f in done]


def _entity_plan(design: Json, entity: Json, ops: list[Json], planner: DocumentPlanner,
                 translator: SchemaTranslator) -> Json:
    views = planner.view_functions(entity)
    for view in views:
        view["table"] = identifier(entity["table"])
    fields_by_json = {f["json_name"]: f for f in entity["fields"]}
    rels_by_json = {r["request_json_name"]: r for r in entity["relations"] if r["request_json_name"]}
    plan: Json = {
        "name": entity["name"],
        "module": snake(entity["name"]),
        "table": identifier(entity["table"]),
        "raw": entity,
        "views": views,
        "view_funcs": {v["name"]: v["func"] for v in views},
        "default_view": planner.func_name(entity["name"], entity["default_view"]),
        "operations": [],
        "fields_by_json": fields_by_json,
        "rels_by_json": rels_by_json,
    }
    for op in ops:
        plan["operations"].append(_operation_plan(design, entity, op, planner, translator))
    _write_plan(design, entity, plan)
    auth = design.get("auth")
    user_table = design["entities"][auth["user_entity"]]["table"] if auth else entity["table"]
    plan["viewer_table"] = identifier(user_table)
    plan["visible_if"] = [condition_sql(entity, c) for c in entity.get("visible_if", [])]
    plan["sorts"] = {}
    for op in plan["operations"]:
        plan["sorts"].update({k: v for k, v in op["sort_columns"].items()})
        if op.get("default_sort"):
            plan["sorts"][op["default_sort"].lstrip("-")] = _column_of(entity, op["default_sort"])
    # clients sort by wire names (`?sort=-createdAt`); the services' defaults name fields
    wire_names = {f["name"]: f["json_name"] for f in entity["fields"]}
    plan["sorts"].update({wire_names[k]: v for k, v in list(plan["sorts"].items()) if wire_names.get(k, k) != k})
    text = "\n".join(
        [c for op in plan["operations"] for c in
         [k["expr"] for k in op["key_clauses"]] + [f["expr"] for f in op["filter_clauses"]]
         + op["condition_clauses"] + [op["scope_clause"] or ""]]
    )
    used = {identifier(t["name"]) for t in design["tables"] if re.search(rf"\b{identifier(t['name'])}\.c\.", text)}
    used |= {plan["table"], plan["viewer_table"]}
    plan["tables_used"] = sorted(used)
    return plan


def _no_such_key_status(op: Json) -> int:
    """What a path key no row can have (beyond 64 bits) answers: the operation's own not-found status,
    else its forbidden one (a caller rule on that key), else its invalid one."""
    wire = op.get("wire") or {}
    declared = {r.get("outcome"): int(r["status"]) for r in wire.get("responses", [])
                if r.get("declared") and r.get("outcome") and r.get("status")}
    statuses = declared if wire.get("responses") else {k: int(v) for k, v in (op.get("outcomes") or {}).items()}
    for outcome in ("not_found", "forbidden", "invalid"):
        if outcome in statuses:
            return statuses[outcome]
    return 404


AUTH_KINDS = ("register", "login", "me", "update_me", "refresh", "logout", "verify_email", "request_password_reset",
              "reset_password")


def _py_key(key: str) -> str:
    from backend_agent.generate.pyschema import py_name

    return py_name(key)


def _write_plan(design: Json, entity: Json, plan: Json) -> None:
    fields = entity["fields"]
    # secrets (passwords) are never stored as sent: the service hashes them (SECRET_COLUMNS)
    plan["create_columns"] = {f["json_name"]: f["column"] for f in fields if f["in_create"] and not f["secret"]}
    plan["update_columns"] = {f["json_name"]: f["column"] for f in fields if f["in_update"] and not f["secret"]}
    plan["secret_columns"] = {f["json_name"]: f["column"] for f in fields
                              if f["secret"] and (f["in_create"] or f["in_update"])}
    plan["field_columns"] = {f["name"]: f["column"] for f in fields}
    plan["values_column"] = {f["name"]: f["column"] for f in fields}
    plan["row_columns"] = "*t.c"
    plan["relations_by_name"] = {
        r["name"]: {**r, "join_table": identifier(r["join_table"]) if r["join_table"] else None}
        for r in entity["relations"]
    }
    request_relations = []
    tables = {plan["table"]}
    for rel in entity["relations"]:
        if rel["request_as"] in ("none", None) or not rel["request_json_name"]:
            continue
        target = design["entities"][rel["target"]]
        field_column = _column_of(target, rel["request_field"]) if rel.get("request_field") else "id"
        request_relations.append({
            "key": rel["request_json_name"], "kind": rel["kind"], "request_as": rel["request_as"],
            "create_missing": rel["create_missing"], "target": rel["target"],
            "target_table": identifier(rel["target_table"]), "field_column": field_column,
            "field": rel.get("request_field") or "id", "fk_column": rel["fk_column"],
            "join_table": identifier(rel["join_table"]) if rel["join_table"] else None,
            "join_self": rel["join_self_column"], "join_target": rel["join_target_column"],
        })
        tables.add(identifier(rel["target_table"]))
        if rel["join_table"]:
            tables.add(identifier(rel["join_table"]))
    for op in plan["operations"]:
        if op["parent"]:
            tables.add(op["parent"]["table"])
        if op["kind"] in ("toggle_add", "toggle_remove"):
            rel = plan["relations_by_name"][op["relation"]]
            tables.add(rel["join_table"])
        if op.get("caller_table"):
            tables.add(op["caller_table"])
    plan["request_relations"] = request_relations
    plan["write_tables"] = sorted(tables)
    plan["derived"] = [
        {"column": f["column"], "transform": f["derive_transform"], "unique": f["derive_unique"],
         "on_update": f["derive_on_update"], "source_column": _column_of(entity, f["derive_from"])}
        for f in fields if f.get("derive_from")
    ]
    ops = plan["operations"]
    plan["uses_cache"] = any(op.get("cache_ttl") for op in ops)
    plan["uses_idempotency"] = any(op.get("idempotent") for op in ops if op["kind"] not in AUTH_KINDS)
    plan["uses_rate_limit"] = any(op.get("rate_limit") for op in ops if op["kind"] not in AUTH_KINDS)
    # app.core.pages functions the router uses: a row rendered, or a page of rows
    plan["page_renderers"] = sorted({"render_rows" if op["kind"] in LIST_KINDS else "render_row"
                                     for op in ops if op["text_template"]})
    plan["body_models"] = sorted({op["body_model"] for op in ops if op["body_model"] and op["kind"] not in AUTH_KINDS})
    plan["form_bodies"] = any(op["form_body"] for op in ops if op["kind"] not in AUTH_KINDS)
    plan["custom_imports"] = sorted({op["handler"].split(":")[0] for op in plan["operations"] if op.get("handler")})
    for op in plan["operations"]:
        if op.get("handler"):
            module, func = op["handler"].split(":", 1)
            op["handler_call"] = f"{module.replace('.', '_')}.{func}"
    write_extras(design, entity, plan)


def _literal(entity: Json, column: str, value: Any) -> str:
    field = next((f for f in entity["fields"] if f["column"] == column), None)
    py = field["python_type"] if field else "str"
    if value is None:
        return "None"
    if py == "int":
        return repr(int(value))
    if py == "float":
        return repr(float(value))
    if py == "Decimal":
        return f"Decimal({str(value)!r})"
    if py == "bool":
        return repr(value in (True, "true", "True", 1, "1"))
    return repr(value)


def condition_sql(entity: Json, cond: Json, alias: str = "t") -> str:
    column = f"{alias}.c.{cond['column']}"
    if cond.get("other_column"):
        return f"{column} {_OPS.get(cond['op'], '==')} {alias}.c.{cond['other_column']}"
    value = cond.get("value")
    if cond["op"] == "in":
        return f"{column}.in_({list(value or [])!r})"
    if value is None:
        return f"{column}.is_(None)" if cond["op"] == "eq" else f"{column}.is_not(None)"
    literal = _literal(entity, cond["column"], value)
    if literal in ("True", "False") and cond["op"] in ("eq", "ne"):
        return f"{column}.is_({literal})" if cond["op"] == "eq" else f"{column}.is_not({literal})"
    return f"{column} {_OPS.get(cond['op'], '==')} {literal}"


def condition_python(entity: Json, cond: Json) -> str:
    """The same condition on a fetched row (transition guards)."""
    column = f"row.{cond['column']}"
    if cond.get("other_column"):
        return f"{column} {_OPS.get(cond['op'], '==')} row.{cond['other_column']}"
    value = cond.get("value")
    if cond["op"] == "in":
        return f"{column} in {list(value or [])!r}"
    if value is None:
        return f"{column} is None" if cond["op"] == "eq" else f"{column} is not None"
    return f"{column} is not None and {column} {_OPS.get(cond['op'], '==')} {_literal(entity, cond['column'], value)}"


def _template_names(entity: Json, view: str | None) -> dict[str, str]:
    """Wire name -> field name of each value a rendered row shows (its view's fields)."""
    fields = entity["views"].get(view or entity.get("default_view") or "default", {}).get("fields", [])
    return {f["json_name"]: f["name"] for f in fields}


def _operation_plan(design: Json, entity: Json, op: Json, planner: DocumentPlanner,
                    translator: SchemaTranslator) -> Json:
    out: Json = dict(op)
    out["func"] = snake(op["operation_id"])
    out["text_template"] = text_template_of(op)  # (file in app/templates/, content type) of a rendered answer
    if out["text_template"] and op["kind"] in LIST_KINDS:
        # the page is built as a JSON document for its template: `rows` and, when paged, `page.total`
        out["list_key"], out["count_key"] = "rows", ("total" if op.get("paginated") else None)
    # the start of a list's envelope: constants the contract fixes beside the rows ("ok": true), then the rows' key
    out["list_prefix"] = "{" + "".join(f"{json.dumps(k)}:{json.dumps(v)}," for k, v in out.get("_list_consts", [])) \
        + f"{json.dumps(out.get('list_key'))}:"
    out["view_func"] = planner.func_name(entity["name"], op["view"]) if op.get("view") else None
    if out["text_template"]:
        # a rendered row or list: built as its JSON document, and the template sees the values by field
        # name, not by wire name
        out["template_names"] = _template_names(entity, op.get("view"))
        out["response_envelope"] = None
    out["path_params"] = [p for p in op["parameters"] if p["location"] == "path"]
    out["query_params"] = []
    for p in op["parameters"]:
        if p["location"] != "query":
            continue
        py = identifier(p["name"])
        annotation, default = translator.param_annotation(p["json_schema"], p["required"],
                                                          alias=None if py == p["name"] else p["name"])
        out["query_params"].append({**p, "py": py, "annotation": annotation.replace("{where}", "Query"),
                                    "default": default})
    for p in out["path_params"]:
        p["py"] = identifier(p["name"])
        annotation, _ = translator.param_annotation(p["json_schema"], True,
                                                    alias=None if p["py"] == p["name"] else p["name"])
        p["annotation"] = annotation.replace("{where}", "Path")
    out["request_envelope_py"] = _py_key(op["request_envelope"]) if op.get("request_envelope") else None
    out["body_model"] = translator.request_model(op) if op.get("request_schema") or op.get("_body_select") else None
    # A body the OpenAPI document lets the client leave out (every key optional) reads as an empty one.
    documented = openapi_of(translator).get("paths", {}).get(op["path"], {}).get(op["method"].lower(), {})
    optional = out["body_model"] and "requestBody" in documented and not documented["requestBody"].get("required")
    out["body_annotation"] = (f"Annotated[{out['body_model']}, Body(default_factory={out['body_model']})]"
                              if optional else out["body_model"])
    out["form_body"] = bool(out["body_model"]) and ((op.get("wire") or {}).get("request") or {}).get(
        "content_type") == "application/x-www-form-urlencoded"
    if out["form_body"]:  # HTML form fields, read into the same model (app/core/forms.py)
        out["body_annotation"] = f"Annotated[{out['body_model']}, Depends(form_body({out['body_model']}))]"
    out["key_clauses"], out["parent"] = _key_clauses(design, entity, op)
    out["filter_clauses"] = [_filter_clause(design, entity, f) for f in op.get("filters", [])]
    out["sort_columns"] = {name: _column_of(entity, name) for name in op.get("sort", [])}
    out["search_columns"] = [_column_of(entity, name) for name in op.get("search", [])]
    out["response_keys"] = _response_keys(openapi_of(translator), op)
    out["condition_clauses"] = [condition_sql(entity, c) for c in op.get("conditions", [])
                                if op["kind"] == "query"]
    out["guards"] = [{"check": condition_python(entity, c), "message": c.get("message")
                      or f"{c['field']} must be {c['op']} {c.get('value') if c.get('value') is not None else c.get('other_column')}",
                      "column": c["column"], "other": c.get("other_column")}
                     for c in op.get("conditions", []) if op["kind"] == "transition"]
    out["scope_clause"] = _scope_clause(design, entity, op) if op["kind"] == "feed" else None
    out["paths_route"] = op["path"][len(design["service"]["base_path"]):] or "/"
    out["caller_value"], out["caller_expected"], out["caller_table"] = caller_check(design, out)
    out["caller_scope"] = caller_scope(design, entity, op)
    out["no_such_key_status"] = _no_such_key_status(op)
    plan_params(design, entity, op, out)
    typed_handler_plan(out, op, translator)  # contract-mode custom handlers (typed_handlers.py)
    return out


def openapi_of(translator: SchemaTranslator) -> Json:
    return translator.openapi


def _column_of(entity: Json, field_name: str) -> str:
    name = field_name.lstrip("-")
    field = next((f for f in entity["fields"] if f["name"] == name), None)
    if field is not None:
        return field["column"]
    rel = next((r for r in entity["relations"] if r["name"] == name and r["fk_column"]), None)
    return rel["fk_column"] if rel else name


def _key_clauses(design: Json, entity: Json, op: Json) -> tuple[list[Json], Json | None]:
    """Per path parameter: the Python condition selecting the row (``value`` is the parameter)."""
    clauses: list[Json] = []
    parent: Json | None = None
    entities = design["entities"]
    for param in op["parameters"]:
        if param["location"] != "path" or not param.get("maps_to"):
            continue
        owner_name, field_name = param["maps_to"].split(".", 1)
        py = identifier(param["name"])
        if owner_name == entity["name"]:
            clauses.append({"param": py, "expr": f"t.c.{_column_of(entity, field_name)} == {py}", "own": True})
            continue
        rel = next((r for r in entity["relations"] if r["target"] == owner_name and r["fk_column"]
                    and (entity.get("parent") in (None, r["name"]))), None)
        if rel is None:
            continue
        owner = entities[owner_name]
        table = identifier(owner["table"])
        lookup = f"select({table}.c.id).where({table}.c.{_column_of(owner, field_name)} == {py})"
        if owner["soft_delete"]:
            lookup += f".where({table}.c.deleted_at.is_(None))"
        clauses.append({"param": py, "expr": f"t.c.{rel['fk_column']} == {lookup}.scalar_subquery()",
                        "own": False})
        parent = {"fk": rel["fk_column"], "lookup": lookup, "param": py, "entity": owner_name,
                  "table": table, "module": snake(owner_name)}
    for key, field_name in op.get("_body_select", []):  # RPC style: a request body value selects the row
        py = identifier(key)
        clauses.append({"param": py, "expr": f"t.c.{_column_of(entity, field_name)} == {py}", "own": True,
                        "body_attr": _py_key(key)})
    return clauses, parent


_OPS = {"eq": "==", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def _compare(column: str, op: str) -> str:
    if op in ("contains", "icontains"):
        return f"{column}.icontains(value, autoescape=True)"
    if op == "in":
        return f"{column}.in_(value)"
    return f"{column} {_OPS.get(op, '==')} value"


def _filter_clause(design: Json, entity: Json, flt: Json) -> Json:
    py = identifier(flt["param"])
    if flt.get("field"):
        return {"param": py, "expr": _compare(f"t.c.{_column_of(entity, flt['field'])}", flt["op"])}
    rel = next(r for r in entity["relations"] if r["name"] == flt["relation"])
    target = design["entities"][rel["target"]]
    r = identifier(rel["target_table"])
    key = _compare(f"{r}.c.{_column_of(target, flt['key'] or 'id')}", flt["op"])
    if rel["fk_column"]:
        expr = f"t.c.{rel['fk_column']}.in_(select({r}.c.id).where({key}))"
    elif rel["kind"] == "many_to_many":
        j = identifier(rel["join_table"])
        expr = (f"t.c.id.in_(select({j}.c.{rel['join_self_column']})"
                f".join({r}, {r}.c.id == {j}.c.{rel['join_target_column']}).where({key}))")
    else:
        expr = f"t.c.id.in_(select({r}.c.{rel['remote_fk_column']}).where({key}))"
    return {"param": py, "expr": expr}


def _scope_clause(design: Json, entity: Json, op: Json) -> str | None:
    rel = next(r for r in entity["relations"] if r["name"] == op["scope_relation"])
    auth = design.get("auth")
    if not auth or not rel["fk_column"]:
        return None
    user = design["entities"][auth["user_entity"]]
    through = next(r for r in user["relations"] if r["name"] == op["scope_through"])
    if through["kind"] == "many_to_many":
        j = identifier(through["join_table"])
        return (f"t.c.{rel['fk_column']}.in_(select({j}.c.{through['join_target_column']})"
                f".where({j}.c.{through['join_self_column']} == user_id(viewer)))")
    return None


REPLY_SOURCES = {"$user": "document", "$token": "token", "$refresh_token": "refresh_token",
                 "$token_type": "token_type", "$expires_in": "expires_in"}


def _response_keys(openapi: Json, op: Json) -> list[Json]:
    """The top-level keys of an auth operation's response and what fills each."""
    if op.get("reply") is not None:  # the blueprint's reply template, key by key
        return [{"key": key, "source": REPLY_SOURCES.get(value, "value:" + json.dumps(value))}
                if isinstance(value, str) else {"key": key, "source": "value:" + json.dumps(value)}
                for key, value in op["reply"].items()]
    operation = openapi.get("paths", {}).get(op["path"], {}).get(op["method"].lower(), {})
    response = operation.get("responses", {}).get(str(op["status_code"]), {})
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    keys = []
    for key, prop in (schema.get("properties") or {}).items():
        if "$ref" in prop:
            keys.append({"key": key, "source": "document"})
        elif key in ("token", "access_token"):
            keys.append({"key": key, "source": "token"})
        elif key == "refresh_token":
            keys.append({"key": key, "source": "refresh_token"})
        elif key == "token_type":
            keys.append({"key": key, "source": "token_type"})
        elif key == "message":
            keys.append({"key": key, "source": "message"})
    return keys


__all__ = ["LIST_KINDS", "DocumentPlanner", "build_context", "identifier", "snake", "table_plan", "value_expr"]
