"""The resolved model the service generator consumes: tables, columns, operations, computed fields."""

from __future__ import annotations

import time

from backend_agent.blueprint import parse_blueprint
from backend_agent.design import Design, design


def test_tables_and_columns_per_dialect(conduit: Design) -> None:
    users = conduit.table("users")
    assert [c.name for c in users.columns][:4] == ["id", "email", "username", "password_hash"]
    assert users.column("id").sql_type == {"sqlite": "INTEGER", "postgresql": "BIGINT"}
    assert users.column("password_hash").source == "secret"
    assert users.column("bio").default_sql == {"sqlite": "''", "postgresql": "''"}
    assert not users.column("bio").nullable and not users.column("email").nullable  # RealWorld: bio is a string
    follows = conduit.table("follows")
    assert follows.kind == "join" and follows.primary_key == ["user_id", "followed_user_id"]
    assert [ix.columns for ix in follows.indexes] == [["followed_user_id"]]
    order = [t.name for t in conduit.tables]
    assert order.index("users") < order.index("articles") < order.index("comments")


def test_entities_relations_and_views(conduit: Design) -> None:
    article = conduit.entities["Article"]
    assert (article.table, article.lookup, article.lookup_param) == ("articles", "slug", "slug")
    assert article.item_path == "/api/articles/{slug}" and article.owner_column == "author_id"
    tags = article.relation("tag_list")
    assert (tags.join_table, tags.join_self_column, tags.join_target_column) == ("article_tags", "article_id",
                                                                                 "tag_id")
    assert tags.request_as == "values" and tags.request_json_name == "tagList" and tags.create_missing
    author = article.relation("author")
    assert author.fk_column == "author_id" and author.response_view == "profile" and author.request_as == "none"
    assert "selectinload" in author.loading
    slug = article.field("slug")
    assert slug.derive_from == "title" and slug.derive_unique and not slug.in_create
    followers = conduit.entities["User"].relation("followers")
    assert (followers.join_self_column, followers.join_target_column) == ("followed_user_id", "user_id")
    comment = conduit.entities["Comment"]
    assert comment.collection_path == "/api/articles/{slug}/comments" and comment.parent == "article"


def test_computed_strategies(conduit: Design) -> None:
    computed = {c.name: c for c in conduit.entities["Article"].computed}
    assert computed["favorites_count"].kind == "count" and computed["favorites_count"].table == "favorites"
    assert computed["favorited"].user_column == "user_id" and ":user_id" in computed["favorited"].sql
    assert "per page" in computed["favorited"].strategy


def test_operations_carry_every_decision(conduit: Design) -> None:
    ops = {op.operation_id: op for op in conduit.operations}
    feed = ops["articles_feed"]
    assert (feed.scope_relation, feed.scope_through, feed.paginated) == ("author", "followed_users", True)
    assert (feed.list_key, feed.count_key) == ("articles", "articlesCount")
    paths = [op.path for op in conduit.operations]
    assert paths.index("/api/articles/feed") < paths.index("/api/articles/{slug}")
    update = ops["articles_update"]
    assert update.method == "PUT" and update.auth.owner_only and update.auth.admin_bypass == "admin"
    # D6: no 409, the only unique value (slug) is derived with a -2, -3 suffix and cannot conflict;
    # 412: an If-Match naming an older ETag (optimistic concurrency)
    assert update.request_envelope == "article" and update.error_statuses == [401, 403, 404, 412, 422]
    assert update.writable == ["title", "description", "body"]
    login = ops["auth_login"]
    assert (login.token, login.request_envelope, login.response_envelope) == ("in_object", "user", "user")
    assert ops["tags_list"].values_of == "name" and not ops["tags_list"].paginated
    fav = ops["articles_favorite_add"]
    assert fav.relation == "favorited_by" and fav.response_envelope == "article"
    flt = {f.param: f for f in ops["articles_list"].filters}
    assert "article_tags" in flt["tag"].strategy and "favorites" in flt["favorited"].strategy
    assert conduit.service.error_style == "field_list" and conduit.service.error_key == "errors"
    assert conduit.auth is not None and conduit.auth.scheme == "Token"
    assert any(d.topic == "route order" for d in conduit.decisions)


def test_transition_and_custom_operations(designs: dict[str, Design]) -> None:
    ops = {op.operation_id: op for op in designs["inventory"].operations}
    post = ops["stock_movements_post"]
    assert (post.transition_field, post.transition_from, post.transition_to) == ("status", ["draft"], "posted")
    assert post.handler == "inventory_rules:stock_available" and post.set_now == "posted_at"
    assert post.conditions[0].op == "gt" and post.auth.roles == ["manager", "admin"]
    low = ops["stock_levels_low_stock"]
    assert low.conditions[0].other_column == "reorder_level"
    custom = ops["stock_movements_import_csv"]
    assert custom.request_schema == "StockMovementImportCsvInput" and custom.status_code == 201


def test_cycles_self_references_and_long_names() -> None:
    text = """
service: {name: cyc}
entities:
  Department:
    fields: {name: string}
    relations:
      head: {kind: many_to_one, target: Employee}
  Employee:
    fields: {name: string}
    relations:
      department: {kind: many_to_one, target: Department}
      mentor: {kind: many_to_one, target: Employee, inverse: mentees}
  AVeryLongEntityNameThatKeepsGoingAndGoingForeverMore:
    fields: {a_very_long_field_name_that_keeps_going_and_going: {type: string, unique: true}}
"""
    d = design(parse_blueprint(text, source="x"))
    assert "ALTER TABLE" in d.ddl["postgresql"] and "ALTER TABLE" not in d.ddl["sqlite"]
    assert all(len(ix.name) <= 63 for t in d.tables for ix in t.indexes)
    assert d.entities["Employee"].relation("mentees").kind == "one_to_many"


def test_design_is_fast_enough(conduit: Design) -> None:
    from backend_agent.blueprint import load_blueprint
    from tests.design.conftest import EXAMPLES_DIR

    bp = load_blueprint(EXAMPLES_DIR / "inventory.blueprint.yaml")
    start = time.perf_counter()
    design(bp)
    assert time.perf_counter() - start < 1.0
