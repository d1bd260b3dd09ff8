"""A contract-first service served over HTTP: a list whose caller rule reads a query value (``?owner=<me>``)
answers only the caller's rows and refuses anyone else's id, and after-write hooks run on the
find-or-create and upsert paths (after_create when a row is inserted, after_update when one is updated)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend_agent.generate import generate_service
from tests.generate.contract.conftest import RunningService, assert_wire, service_env, start_service

CONTRACT = Path(__file__).with_name("data") / "journal.openapi.yaml"
BLUEPRINT = """\
service: {name: journal, contract: openapi.yaml}
auth:
  user_entity: User
  identity: [email]
  operations:
    register: {token: beside, response_envelope: user}
    login: {enabled: false}
    me: {enabled: false}
    update_me: {enabled: false}
entities:
  User:
    fields:
      email: {type: email, required: true, unique: true}
      password: {type: string, required: true, secret: true}
    api: {operations: []}
  Note:
    owner: author
    unique_together: [[author, title]]
    fields:
      title: {type: string, required: true, min_length: 1, max_length: 80}
      body: {type: text, required: true}
    relations:
      author: {kind: many_to_one, target: User, required: true}
    hooks:
      after_create: "journal_rules:noted"
      after_update: "journal_rules:changed"
    api:
      operations:
        list: {paginate: false}
        create: {existing: {match: [author, title], then: update}}
  Label:
    fields:
      name: {type: string, required: true, unique: true, min_length: 1, max_length: 40}
    hooks:
      after_create: "journal_rules:labelled"
    api:
      operations:
        create: {existing: {match: [name]}}
bindings:
  signUp: auth.register
  listNotes: {operation: Note.list, caller: {in: query, name: owner, status: 403}}
  saveNote: Note.create
  findOrCreateLabel: Label.create
"""
RULES = '''\
import logging

from app.custom.context import ActionContext

log = logging.getLogger("journal.rules")


def noted(ctx: ActionContext, row: object) -> None:
    log.warning("hook created %s %s=%s", ctx.entity, getattr(row, "title", "?"), getattr(row, "body", "?"))


def changed(ctx: ActionContext, row: object) -> None:
    log.warning("hook updated %s %s=%s", ctx.entity, getattr(row, "title", "?"), getattr(row, "body", "?"))


def labelled(ctx: ActionContext, row: object) -> None:
    log.warning("hook created %s %s", ctx.entity, getattr(row, "name", "?"))
'''
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    root = tmp_path_factory.mktemp("journal")
    (root / "openapi.yaml").write_text(CONTRACT.read_text())
    (root / "journal.blueprint.yaml").write_text(BLUEPRINT)
    (root / "journal_rules.py").write_text(RULES)
    result = generate_service(root / "journal.blueprint.yaml", root / "service")
    assert result.stubs == []
    design = json.loads((result.out_dir / "design/design.json").read_text())
    env = service_env(root)
    for url in start_service(result.out_dir, root, env):
        yield RunningService(result.out_dir, url, design, env)


def _sign_up(service: RunningService, client: httpx.Client, email: str) -> tuple[int, dict[str, str]]:
    session = assert_wire(service, "signUp", client.post("/signup", json={"email": email, "password": PASSWORD}), 201)
    return session["user"]["id"], {"Authorization": f"Bearer {session['token']}"}


def _hook_lines(service: RunningService) -> list[str]:
    log = (service.project.parent / "uvicorn.log").read_text()
    return re.findall(r"hook (?:created|updated) [^\"\n]*", log)


def test_a_list_whose_caller_rule_reads_a_query_value_answers_only_the_callers_rows(journal: RunningService) -> None:
    with httpx.Client(base_url=f"{journal.base_url}/api") as client:
        ann_id, ann = _sign_up(journal, client, "ann@example.com")
        bob_id, bob = _sign_up(journal, client, "bob@example.com")
        for title in ("a1", "a2"):
            assert_wire(journal, "saveNote", client.put("/notes", json={"title": title, "body": "x"}, headers=ann), 201)
        assert_wire(journal, "saveNote", client.put("/notes", json={"title": "b1", "body": "y"}, headers=bob), 201)

        mine = assert_wire(journal, "listNotes", client.get("/notes", params={"owner": ann_id}, headers=ann), 200)
        assert sorted(n["title"] for n in mine) == ["a1", "a2"]  # not bob's note, though notes are readable
        theirs = assert_wire(journal, "listNotes", client.get("/notes", params={"owner": bob_id}, headers=bob), 200)
        assert [n["title"] for n in theirs] == ["b1"]
        # another user's id: the declared status, not their rows and not an empty list
        refused = client.get("/notes", params={"owner": bob_id}, headers=ann)
        assert_wire(journal, "listNotes", refused, 403)
        assert "b1" not in refused.text
        assert_wire(journal, "listNotes", client.get("/notes", params={"owner": 10**6}, headers=ann), 403)
        assert_wire(journal, "listNotes", client.get("/notes", params={"owner": ann_id}), 401)
        assert_wire(journal, "listNotes", client.get("/notes", headers=ann), 422)  # required by the contract


def test_hooks_run_on_upsert_and_find_or_create(journal: RunningService) -> None:
    with httpx.Client(base_url=f"{journal.base_url}/api") as client:
        _, cid = _sign_up(journal, client, "cid@example.com")
        before = len(_hook_lines(journal))
        assert_wire(journal, "saveNote", client.put("/notes", json={"title": "diary", "body": "one"}, headers=cid), 201)
        assert_wire(journal, "saveNote", client.put("/notes", json={"title": "diary", "body": "two"}, headers=cid), 200)
        assert_wire(journal, "findOrCreateLabel", client.post("/labels", json={"name": "hooked"}, headers=cid), 201)
        assert_wire(journal, "findOrCreateLabel", client.post("/labels", json={"name": "hooked"}, headers=cid), 200)
    lines = _hook_lines(journal)[before:]
    # inserted: after_create; updated: after_update with the stored values; found: no hook (nothing written)
    assert lines == ["hook created Note diary=one", "hook updated Note diary=two", "hook created Label hooked"]
