"""examples/cards (RPC style: a row selected by a request body value, every failure a 400 with
``ok: false``, a constant ``ok: true`` in every answer) and examples/wiki (HTML pages rendered from
a Jinja2 template with autoescaping, an HTML 404, a JSON editing API) generated and served."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import httpx
import pytest

from backend_agent.errors import BlueprintError
from backend_agent.generate import GenerationResult, generate_service
from tests.generate.conftest import run_project_tests
from tests.generate.contract.conftest import (
    REPO_ROOT,
    RunningService,
    assert_serves_its_contract,
    assert_text,
    assert_wire,
    service_env,
    start_service,
)

NUMBER = "4000123412341234"


def test_cards_serves_its_contract(cards: RunningService) -> None:
    assert_serves_its_contract(cards)


def test_cards_lookup_by_a_body_value(cards: RunningService) -> None:
    with httpx.Client(base_url=f"{cards.base_url}/rpc") as client:
        issued = assert_wire(cards, "issueCard", client.post("/cards.issue", json={"number": NUMBER,
                                                                                  "balanceCents": 2500}), 200)
        assert issued == {"ok": True, "number": NUMBER, "balanceCents": 2500, "blocked": False}
        conflict = assert_wire(cards, "issueCard", client.post("/cards.issue", json={"number": NUMBER,
                                                                                    "balanceCents": 1}), 400)
        assert conflict["ok"] is False and conflict["error"]
        bad = assert_wire(cards, "issueCard", client.post("/cards.issue", json={"number": "12",
                                                                               "balanceCents": -1}), 400)
        assert bad["ok"] is False

        found = assert_wire(cards, "lookupCard", client.post("/cards.lookup", json={"number": NUMBER}), 200)
        assert found == issued
        missing = assert_wire(cards, "lookupCard", client.post("/cards.lookup", json={"number": "9" * 16}), 400)
        assert missing == {"ok": False, "error": missing["error"]} and "not found" in missing["error"]
        assert_wire(cards, "lookupCard", client.post("/cards.lookup", json={"number": "not a number"}), 400)
        assert_wire(cards, "lookupCard", client.post("/cards.lookup", json={}), 400)
        assert_wire(cards, "lookupCard", client.post("/cards.lookup", content=b"{", headers={
            "content-type": "application/json"}), 400)

        listed = assert_wire(cards, "listCards", client.post("/cards.list"), 200)
        assert listed["ok"] is True and issued in listed["cards"]


def _editor_token(wiki: RunningService) -> str:
    """An editor row written directly (the contract has no sign-up) and a token from the service's own code."""
    return wiki.run_python(
        "from sqlalchemy import insert\n"
        "from app.core.database import engine\n"
        "from app.core.security import create_access_token, hash_password\n"
        "from app.core.http import utcnow\n"
        "from app.models.tables import editors\n"
        "with engine.begin() as conn:\n"
        "    now = utcnow()\n"
        "    row = conn.execute(insert(editors).values(email='ed@example.com', password_hash=hash_password('x' * 12),"
        " created_at=now, updated_at=now)).inserted_primary_key\n"
        "print(create_access_token(row[0]))\n")


def test_wiki_serves_its_contract(wiki: RunningService) -> None:
    assert_serves_its_contract(wiki)


def test_wiki_pages_as_escaped_html(wiki: RunningService) -> None:
    headers = {"Authorization": f"Bearer {_editor_token(wiki)}"}
    with httpx.Client(base_url=wiki.base_url) as client:
        page = {"title": "Release <script>alert(1)</script>", "body": "Steps & <b>notes</b>"}
        created = assert_wire(wiki, "createPage", client.post("/api/pages", json=page, headers=headers), 201)
        slug = created["slug"]
        assert created["title"] == page["title"] and created["updatedAt"].endswith("Z")
        assert_wire(wiki, "createPage", client.post("/api/pages", json=page), 401)
        assert_wire(wiki, "createPage", client.post("/api/pages", json={"title": "x"}, headers=headers), 400)

        html = assert_text(wiki, "readPage", client.get(f"/wiki/{slug}"), 200)
        assert "<h1>Release &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in html
        assert "<script>" not in html and "Steps &amp; &lt;b&gt;notes&lt;/b&gt;" in html
        missing = assert_text(wiki, "readPage", client.get("/wiki/no-such-page"), 404)
        assert "not found" in missing
        # a slug outside the contract's pattern names no page: the contract declares 404 and no 4xx for
        # invalid input, so that is the answer (an undeclared 422 would break the contract)
        assert "not found" in assert_text(wiki, "readPage", client.get("/wiki/Not_A_Slug!"), 404)

        edited = client.put(f"/api/pages/{slug}", json={"body": "<i>new</i>"}, headers=headers)
        assert assert_wire(wiki, "editPage", edited, 200)["body"] == "<i>new</i>"
        assert "&lt;i&gt;new&lt;/i&gt;" in assert_text(wiki, "readPage", client.get(f"/wiki/{slug}"), 200)
        assert_wire(wiki, "editPage", client.put(f"/api/pages/{slug}", json={"title": "y" * 200},
                                                 headers=headers), 400)
        assert_wire(wiki, "editPage", client.put(f"/api/pages/{slug}", json={"body": "x"}), 401)
        assert_wire(wiki, "editPage", client.put("/api/pages/none-such", json={"body": "x"}, headers=headers), 404)

        found = assert_wire(wiki, "searchPages", client.get("/api/pages", params={"q": "release"}), 200)
        assert [p["slug"] for p in found] == [slug]
        assert assert_wire(wiki, "searchPages", client.get("/api/pages", params={"q": "nothing-like-it"}), 200) == []
        assert_wire(wiki, "searchPages", client.get("/api/pages", params={"q": "x" * 101}), 400)  # the contract declares 400 for a bad search


def test_cards_custom_handler_gets_a_typed_request(cards: RunningService) -> None:
    with httpx.Client(base_url=f"{cards.base_url}/rpc") as client:
        number = "4000999988887777"
        assert_wire(cards, "issueCard", client.post("/cards.issue", json={"number": number, "balanceCents": 700}), 200)
        blocked = assert_wire(cards, "blockCard", client.post("/cards.block", json={"number": number,
                                                                                   "reason": "lost"}), 200)
        assert blocked == {"ok": True, "number": number, "balanceCents": 700, "blocked": True}
        looked_up = assert_wire(cards, "lookupCard", client.post("/cards.lookup", json={"number": number}), 200)
        assert looked_up["blocked"] is True
        missing = assert_wire(cards, "blockCard", client.post("/cards.block", json={"number": "1" * 16}), 400)
        assert missing["ok"] is False and "not found" in missing["error"]
        assert_wire(cards, "blockCard", client.post("/cards.block", json={"number": number, "reason": "x" * 201}),
                    400)
        assert_wire(cards, "blockCard", client.post("/cards.block", json={}), 400)


def _cards_with_handler(tmp_path: Path, handler: str | None) -> tuple[Path, GenerationResult]:
    """examples/cards copied with ``handler`` as its cards_rules.py (None: no custom code at all)."""
    folder = tmp_path / "cards"
    folder.mkdir()
    for name in ("cards.blueprint.yaml", "openapi.yaml"):
        shutil.copy(REPO_ROOT / "examples" / "cards" / name, folder / name)
    if handler is not None:
        (folder / "cards_rules.py").write_text(handler)
    return folder, generate_service(folder / "cards.blueprint.yaml", tmp_path / "service")


def test_cards_answer_outside_the_contract_is_a_500_never_sent(tmp_path: Path) -> None:
    wrong = ('def block_card(conn, user, request):\n'
             '    return {"ok": True, "number": request.body.number, "balanceCents": "lots", "pin": "1234"}\n')
    _, result = _cards_with_handler(tmp_path, wrong)
    env = service_env(tmp_path)
    design = json.loads((result.out_dir / "design/design.json").read_text())
    for url in start_service(result.out_dir, tmp_path, env):
        cards = RunningService(result.out_dir, url, design, env)
        response = httpx.post(f"{url}/rpc/cards.block", json={"number": NUMBER})
        assert response.status_code == 500
        body = response.json()
        assert "1234" not in response.text and "lots" not in response.text
        assert "blockCard answered a body its contract does not allow" in json.dumps(body)
        assert cards.wire("blockCard")  # the operation is served; only its answer was refused
    log = (tmp_path / "uvicorn.log").read_text()
    assert "blockCard: the custom handler's answer does not fit the contract" in log
    assert "balanceCents" in log and "1234" not in log


def test_cards_missing_handler_is_a_listed_stub_answering_501(tmp_path: Path) -> None:
    _, result = _cards_with_handler(tmp_path, None)
    assert result.stubs == ["app/custom/cards_rules.py:block_card"]
    stub = (result.out_dir / "app/custom/cards_rules.py").read_text()
    assert "def block_card(conn: Connection, user: Principal | None, request: BlockCardRequest) -> Any:" in stub
    env = service_env(tmp_path)
    for url in start_service(result.out_dir, tmp_path, env):
        response = httpx.post(f"{url}/rpc/cards.block", json={"number": NUMBER})
        assert response.status_code == 501
        assert "blockCard is not implemented yet: write block_card in app/custom/cards_rules.py" in response.text


# -- the generated projects' own suites -------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cards", "wiki", "forum"])
def test_the_generated_suites_pass_on_sqlite_and_postgresql(name: str, tmp_path: Path,
                                                            postgres_database: str) -> None:
    result = generate_service(REPO_ROOT / "examples" / name / f"{name}.blueprint.yaml", tmp_path / name)
    assert result.stubs == []  # the cards' blockCard handler is the example's own cards_rules.py
    for extra in ({}, {"TEST_DATABASE_URL": postgres_database}):
        done = run_project_tests(result.out_dir, extra, args=("-rA",))
        assert done.returncode == 0, f"{name} {extra}: {done.stdout[-4000:]}{done.stderr[-2000:]}"
        assert re.search(r"\b\d+ passed", done.stdout) and not re.search(r"\b\d+ failed", done.stdout)
        pages = {"wiki": ["readPage"], "forum": ["frontPage", "threadPage"]}.get(name, [])
        for page in pages:  # the stored <script> comes back escaped, on both databases
            assert f"PASSED tests/test_pages.py::test_rendered_answers_escape_stored_markup[{page}]" in done.stdout


def test_wiki_without_its_template_is_a_located_error(tmp_path: Path) -> None:
    folder = tmp_path / "wiki"
    folder.mkdir()
    for name in ("wiki.blueprint.yaml", "openapi.yaml"):
        shutil.copy(REPO_ROOT / "examples" / "wiki" / name, folder / name)
    with pytest.raises(BlueprintError) as caught:
        generate_service(folder / "wiki.blueprint.yaml", tmp_path / "service")
    text = str(caught.value)
    assert "(bindings.readPage.template): template file not found" in text and "wiki.blueprint.yaml:" in text
    assert not (tmp_path / "service").exists()
