"""Blueprint-first text/html pages: `template:` on a get, rendered with autoescaping, and located errors."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from backend_agent.errors import BlueprintError, GenerationError
from backend_agent.generate import generate_service
from tests.generate.conftest import run_project_tests
from tests.generate.contract.conftest import service_env, start_service

BLUEPRINT = """\
service:
  name: notes
  base_path: /api
entities:
  Note:
    lookup: slug
    fields:
      slug: {type: string, required: true, unique: true, max_length: 80, pattern: "^[a-z0-9-]+$"}
      title: {type: string, required: true, max_length: 120}
      body: {type: text, required: true}
    api:
      operations:
        create: {public: true}
        get: {public: true, template: note.html.j2}
"""
TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ row.title }}</title></head>
<body><h1>{{ row.title }}</h1><pre>{{ row.body }}</pre></body></html>
"""


def _notes(folder: Path, blueprint: str = BLUEPRINT, template: str | None = TEMPLATE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.blueprint.yaml").write_text(blueprint)
    if template is not None:
        (folder / "templates").mkdir(exist_ok=True)
        (folder / "templates" / "note.html.j2").write_text(template)
    return folder / "notes.blueprint.yaml"


def test_a_get_answers_its_row_as_escaped_html(tmp_path: Path) -> None:
    result = generate_service(_notes(tmp_path / "bp"), tmp_path / "service")
    design = json.loads((result.out_dir / "design/design.json").read_text())
    assert design["templates"] == {"note.html.j2": TEMPLATE}
    assert (result.out_dir / "app/templates/note.html.j2").read_text() == TEMPLATE
    get = next(op for op in design["operations"] if op["kind"] == "get")
    assert get["wire"]["responses"][0]["content_type"] == "text/html"
    env = service_env(tmp_path)
    for url in start_service(result.out_dir, tmp_path, env):
        openapi = httpx.get(f"{url}/openapi.json").json()
        assert openapi["paths"]["/api/notes/{slug}"]["get"]["responses"]["200"]["content"] == {
            "text/html": {"schema": {"type": "string"}}}
        note = {"slug": "release", "title": "<script>alert(1)</script>", "body": "a & <b>b</b>"}
        assert httpx.post(f"{url}/api/notes", json=note).status_code == 201
        page = httpx.get(f"{url}/api/notes/release")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in page.text and "<script>" not in page.text
        assert "a &amp; &lt;b&gt;b&lt;/b&gt;" in page.text
        assert httpx.get(f"{url}/api/notes/none-such").status_code == 404


@pytest.mark.slow
def test_the_generated_suite_checks_the_escaping(tmp_path: Path) -> None:
    result = generate_service(_notes(tmp_path / "bp"), tmp_path / "service")
    done = run_project_tests(result.out_dir, args=("-rA",))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "PASSED tests/test_pages.py::test_rendered_answers_escape_stored_markup[notes_get]" in done.stdout


def test_a_missing_template_is_a_located_error(tmp_path: Path) -> None:
    out = tmp_path / "service"
    with pytest.raises((BlueprintError, GenerationError)) as caught:
        generate_service(_notes(tmp_path / "bp", template=None), out)
    text = str(caught.value)
    assert "notes.blueprint.yaml:14:" in text and "(entities.Note.api.operations.get.template)" in text
    assert "template file not found" in text and "create templates/note.html.j2" in text
    assert not out.exists()


def test_only_a_get_renders_a_template(tmp_path: Path) -> None:
    blueprint = BLUEPRINT.replace("create: {public: true}", "create: {public: true, template: note.html.j2}")
    with pytest.raises((BlueprintError, GenerationError)) as caught:
        generate_service(_notes(tmp_path / "bp", blueprint), tmp_path / "service")
    assert "(entities.Note.api.operations.create.template): create cannot answer a rendered template" in str(
        caught.value)


def test_a_txt_template_answers_text_plain_unescaped(tmp_path: Path) -> None:
    blueprint = BLUEPRINT.replace("note.html.j2", "note.txt.j2")
    folder = tmp_path / "bp"
    _notes(folder, blueprint, template=None)
    (folder / "templates").mkdir()
    (folder / "templates" / "note.txt.j2").write_text("{{ row.title }}: {{ row.body }}\n")
    result = generate_service(folder / "notes.blueprint.yaml", tmp_path / "service")
    for url in start_service(result.out_dir, tmp_path, service_env(tmp_path)):
        assert httpx.post(f"{url}/api/notes", json={"slug": "a", "title": "1 < 2", "body": "x & y"}).status_code == 201
        page = httpx.get(f"{url}/api/notes/a")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
        assert page.text == "1 < 2: x & y\n"  # plain text is not HTML: nothing to escape


LIST_TEMPLATE = """<ul>{% for note in rows %}<li>{{ note.title }} ({{ note.created_at }})</li>{% endfor %}</ul>
{% if page.next_cursor %}<a href="?cursor={{ page.next_cursor }}">more</a>{% endif %}
"""


def test_a_list_answers_its_rows_as_escaped_html(tmp_path: Path) -> None:
    blueprint = BLUEPRINT.replace("create: {public: true}",
                                  "create: {public: true}\n        list: {public: true, template: notes.html.j2}")
    folder = tmp_path / "bp"
    _notes(folder, blueprint)
    (folder / "templates" / "notes.html.j2").write_text(LIST_TEMPLATE)
    result = generate_service(folder / "notes.blueprint.yaml", tmp_path / "service")
    for url in start_service(result.out_dir, tmp_path, service_env(tmp_path)):
        created = []
        for slug, title in (("a", "<script>alert(1)</script>"), ("b", "Fish & chips")):
            answer = httpx.post(f"{url}/api/notes", json={"slug": slug, "title": title, "body": "x"})
            assert answer.status_code == 201, answer.text
            created.append(answer.json())
        page = httpx.get(f"{url}/api/notes")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "<li>&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>" not in page.text
        assert "<li>Fish &amp; chips" in page.text and "more</a>" not in page.text
        assert f"({created[0]['created_at']})" in page.text  # the JSON list's values: RFC 3339 text
        first = httpx.get(f"{url}/api/notes", params={"limit": 1}).text  # cursor paging: page.next_cursor
        assert first.count("<li>") == 1 and "more</a>" in first
        cursor = first.split('?cursor=')[1].split('"')[0]
        rest = httpx.get(f"{url}/api/notes", params={"limit": 1, "cursor": cursor}).text
        assert rest.count("<li>") == 1 and rest != first


CONTRACT = """\
openapi: 3.1.0
info: {title: Notes, version: 1.0.0}
paths:
  /notes:
    get:
      operationId: notesPage
      responses:
        '200': {description: The notes, content: {text/html: {schema: {type: string}}}}
    post:
      operationId: addNote
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [title]
              properties: {title: {type: string, maxLength: 100}}
      responses:
        '201':
          description: Added
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Note'}
        '422': {description: Invalid}
  /notes/{id}:
    get:
      operationId: notePage
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses:
        '200': {description: The note, content: {text/html: {schema: {type: string}}}}
        '404': {description: No such note}
        '422': {description: Invalid id}
components:
  schemas:
    Note:
      type: object
      required: [id, title]
      properties: {id: {type: integer}, title: {type: string}}
"""


def test_from_openapi_drafts_starter_templates_for_a_row_and_a_list(tmp_path: Path) -> None:
    from backend_agent.blueprint import from_openapi

    (tmp_path / "openapi.yaml").write_text(CONTRACT)
    draft = tmp_path / "notes.blueprint.yaml"
    text, report = from_openapi(tmp_path / "openapi.yaml", output=draft)
    draft.write_text(text)
    assert sorted(report.templates) == ["templates/note.html.j2", "templates/note_list.html.j2"]
    assert report.custom == []
    result = generate_service(draft, tmp_path / "service")
    for url in start_service(result.out_dir, tmp_path, service_env(tmp_path)):
        note = httpx.post(f"{url}/notes", json={"title": "<script>alert(1)</script>"})
        assert note.status_code == 201, note.text
        for path in ("/notes", f"/notes/{note.json()['id']}"):
            page = httpx.get(f"{url}{path}")
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), page.text
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>" not in page.text


def test_a_name_the_row_lacks_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises((BlueprintError, GenerationError)) as caught:
        generate_service(_notes(tmp_path / "bp", template=TEMPLATE.replace("row.body", "row.bodyy")),
                         tmp_path / "service")
    text = str(caught.value)
    assert "(entities.Note.api.operations.get.template): templates/note.html.j2:3: the template reads 'bodyy'" in text
    assert "did you mean 'body'?" in text and not (tmp_path / "service").exists()
