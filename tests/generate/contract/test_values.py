"""A contract list of one field's values (a bare JSON array of strings), bound with ``values_of``."""

from __future__ import annotations

from pathlib import Path

import httpx

from backend_agent.generate import generate_service
from tests.generate.conftest import run_project_tests
from tests.generate.contract.conftest import service_env, start_service

CONTRACT = """\
openapi: 3.1.0
info: {title: Tags, version: 1.0.0}
paths:
  /tags:
    get:
      operationId: listTags
      responses:
        '200':
          description: every tag name, sorted
          content:
            application/json:
              schema: {type: array, items: {type: string}}
    post:
      operationId: addTag
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [name], properties: {name: {type: string, maxLength: 40}}}
      responses:
        '201':
          description: added
          content:
            application/json:
              schema: {type: object, required: [name], properties: {name: {type: string}}}
        '409': {description: taken}
        '422': {description: invalid}
"""
BLUEPRINT = """\
service: {name: tags, contract: openapi.yaml}
entities:
  Tag:
    options: {timestamps: false}
    fields:
      name: {type: string, required: true, unique: true, max_length: 40}
    api:
      operations:
        list: {public: true, paginate: false}
        create: {public: true}
bindings:
  listTags: {operation: Tag.list, values_of: name}
  addTag: Tag.create
"""


def test_a_bare_array_of_values_is_served_as_values(tmp_path: Path) -> None:
    folder = tmp_path / "bp"
    folder.mkdir()
    (folder / "openapi.yaml").write_text(CONTRACT)
    (folder / "tags.blueprint.yaml").write_text(BLUEPRINT)
    result = generate_service(folder / "tags.blueprint.yaml", tmp_path / "service")
    for url in start_service(result.out_dir, tmp_path, service_env(tmp_path)):
        assert httpx.get(f"{url}/tags").json() == []
        for name in ("rust", "go", "python"):
            assert httpx.post(f"{url}/tags", json={"name": name}).status_code == 201
        assert httpx.get(f"{url}/tags").json() == ["go", "python", "rust"]  # the values, not rows
    done = run_project_tests(result.out_dir)
    assert done.returncode == 0, done.stdout[-3000:]
