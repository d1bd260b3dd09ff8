"""Contract-mode custom handlers: the typed request (path, query and header parameters, body) and the
contract's error statuses for the outcomes a handler raises."""

from __future__ import annotations

from pathlib import Path

import httpx

from backend_agent.generate import generate_service
from tests.generate.contract.conftest import service_env, start_service

CONTRACT = """\
openapi: 3.1.0
info: {title: Counters, version: 1.0.0}
servers: [{url: /v1}]
paths:
  /counters/{name}/bump:
    post:
      operationId: bumpCounter
      parameters:
        - {name: name, in: path, required: true, schema: {type: string, pattern: '^[a-z0-9]+$'}}
        - {name: by, in: query, required: false, schema: {type: integer, minimum: 1, maximum: 10, default: 1}}
        - {name: X-Trace, in: header, required: false, schema: {type: string, maxLength: 20}}
      responses:
        '200':
          description: bumped
          content:
            application/json:
              schema:
                type: object
                required: [name, value]
                properties:
                  name: {type: string}
                  value: {type: integer}
                  trace: {type: [string, 'null']}
        '404':
          description: no such counter
          content:
            application/json:
              schema: {type: object, required: [message], properties: {message: {type: string}}}
  /counters:
    post:
      operationId: createCounter
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [name], properties: {name: {type: string}}}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {type: object, required: [name, value], properties: {name: {type: string}, value: {type: integer}}}
"""
BLUEPRINT = """\
service: {name: counters, contract: openapi.yaml}
entities:
  Counter:
    lookup: name
    options: {timestamps: false}
    fields:
      name: {type: string, required: true, unique: true, max_length: 40}
      value: {type: int, required: true, default: 0, read_only: true}
    api:
      operations:
        create: {public: true}
bindings:
  createCounter: Counter.create
  bumpCounter: {operation: custom, handler: "counter_rules:bump", entity: Counter}
"""
HANDLER = """\
from sqlalchemy import update

from app.core.errors import ApiError
from app.models.tables import counters
from app.schemas.handlers import BumpCounterRequest


def bump(conn, user, request: BumpCounterRequest):
    bumped = update(counters).where(counters.c.name == request.name).values(value=counters.c.value + request.by)
    row = conn.execute(bumped.returning(counters.c.value)).first()
    if row is None:
        raise ApiError(404, "no such counter")
    return {"name": request.name, "value": row.value, "trace": request.x_trace}
"""


def test_a_handler_gets_path_query_and_header_values_typed(tmp_path: Path) -> None:
    folder = tmp_path / "bp"
    folder.mkdir()
    (folder / "openapi.yaml").write_text(CONTRACT)
    (folder / "counters.blueprint.yaml").write_text(BLUEPRINT)
    (folder / "counter_rules.py").write_text(HANDLER)
    result = generate_service(folder / "counters.blueprint.yaml", tmp_path / "service")
    assert result.stubs == []
    typed = (result.out_dir / "app/schemas/handlers.py").read_text()
    assert "    name: str  # path parameter 'name'" in typed
    assert "    by: int  # query parameter 'by'" in typed
    assert "    x_trace: str | None  # header parameter 'X-Trace'" in typed
    for url in start_service(result.out_dir, tmp_path, service_env(tmp_path)):
        with httpx.Client(base_url=f"{url}/v1") as client:
            assert client.post("/counters", json={"name": "hits"}).status_code == 201
            bumped = client.post("/counters/hits/bump", params={"by": 3}, headers={"X-Trace": "t-1"})
            assert bumped.status_code == 200 and bumped.json() == {"name": "hits", "value": 3, "trace": "t-1"}
            again = client.post("/counters/hits/bump")
            assert again.json() == {"name": "hits", "value": 4, "trace": None}  # the default of `by`
            missing = client.post("/counters/nothing/bump")
            assert missing.status_code == 404 and missing.json() == {"message": "no such counter"}
            assert client.post("/counters/hits/bump", params={"by": 11}).status_code == 422
            assert client.post("/counters/hits/bump", headers={"X-Trace": "x" * 21}).status_code == 422


TEXT_CONTRACT = CONTRACT.replace("""  /counters:
    post:""", """  /counters/{name}/badge:
    get:
      operationId: counterBadge
      parameters:
        - {name: name, in: path, required: true, schema: {type: string, pattern: '^[a-z0-9]+$'}}
      responses:
        '200': {description: the counter as an HTML badge, content: {text/html: {schema: {type: string}}}}
        '404': {description: no such counter, content: {text/html: {schema: {type: string}}}}
  /counters/{name}.txt:
    get:
      operationId: counterText
      parameters:
        - {name: name, in: path, required: true, schema: {type: string, pattern: '^[a-z0-9]+$'}}
      responses:
        '200': {description: the value as text, content: {text/plain: {schema: {type: string}}}}
  /counters:
    post:""")
TEXT_HANDLER = HANDLER + '''

from markupsafe import escape
from sqlalchemy import select


def badge(conn, user, request):
    row = conn.execute(select(counters.c.name, counters.c.value).where(counters.c.name == request.name)).first()
    if row is None:
        raise ApiError(404, "no such counter")
    return f"<span title='{escape(request.name)}'>{row.value}</span>"


def as_text(conn, user, request):
    return {"not": "text"}  # a wrong answer: the contract says text/plain
'''


def _text_service(tmp_path: Path, module: str, handlers: str) -> Path:
    """The counters with a badge (text/html) and a text/plain value, answered by ``module``'s handlers."""
    folder = tmp_path / "bp"
    folder.mkdir()
    (folder / "openapi.yaml").write_text(TEXT_CONTRACT)
    (folder / "counters.blueprint.yaml").write_text(BLUEPRINT + f"""\
  counterBadge: {{operation: custom, handler: "{module}:badge", entity: Counter}}
  counterText: {{operation: custom, handler: "{module}:as_text", entity: Counter}}
""")
    (folder / "counter_rules.py").write_text(handlers)
    return generate_service(folder / "counters.blueprint.yaml", tmp_path / "service").out_dir


def test_a_handler_answers_the_contracts_text(tmp_path: Path) -> None:
    project = _text_service(tmp_path, "counter_rules", TEXT_HANDLER)
    assert "def badge(" in (project / "app/custom/counter_rules.py").read_text()  # the example's own code
    for url in start_service(project, tmp_path, service_env(tmp_path)):
        with httpx.Client(base_url=f"{url}/v1") as client:
            assert client.post("/counters", json={"name": "hits"}).status_code == 201
            badge = client.get("/counters/hits/badge")
            assert badge.status_code == 200 and badge.headers["content-type"].startswith("text/html")
            assert badge.text == "<span title='hits'>0</span>"
            missing = client.get("/counters/none/badge")
            assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
            wrong = client.get("/counters/hits.txt")  # not a str: refused, never written to the wire
            assert wrong.status_code == 500 and '"not":' not in wrong.text


def test_a_text_handler_stub_says_what_to_return(tmp_path: Path) -> None:
    stub = (_text_service(tmp_path, "badges", HANDLER) / "app/custom/badges.py").read_text()
    assert "def badge(conn: Connection, user: Principal | None, request: CounterBadgeRequest) -> str:" in stub
    assert "escape every value you\n    did not write yourself (markupsafe.escape)" in stub
    assert "Return the text of the 200 response (text/plain) as a str." in stub
