"""A nested resource may not silently be more visible than the parent it lives under."""

from __future__ import annotations

import pytest

from backend_agent.blueprint import parse_blueprint
from backend_agent.errors import BlueprintError

BASE = """\
service:
  name: notes
auth:
  user_entity: User
  identity: [email]
entities:
  User:
    fields:
      email: {type: email, required: true, unique: true}
      password: {type: string, required: true, secret: true}
  Notebook:
    owner: author
    fields:
      title: {type: string, required: true}
    relations:
      author: {kind: many_to_one, target: User, required: true}
    api:
      visibility: VIS
  Note:
    owner: author
    fields:
      body: text
    relations:
      notebook: {kind: many_to_one, target: Notebook, required: true}
      author: {kind: many_to_one, target: User, required: true}
    api:
      parent: notebook
"""


@pytest.mark.parametrize(("parent", "who", "fix"), [
    ("authenticated", "signed-in users", "authenticated"),
    ("owner", "its owner", "owner"),
])
def test_public_child_of_a_private_parent_is_reported(parent: str, who: str, fix: str) -> None:
    with pytest.raises(BlueprintError) as info:
        parse_blueprint(BASE.replace("VIS", parent), source="notes.blueprint.yaml")
    (problem,) = info.value.problems
    assert problem.location is not None
    assert problem.location.key_path == "entities.Note.api.parent"
    assert (problem.location.line, problem.location.column) == (27, 15)
    assert f"Note is nested under Notebook, which only {who} may read" in problem.message
    assert problem.expected == "an explicit api.visibility"
    assert problem.hint is not None and problem.hint.startswith(f"add visibility: {fix} to Note.api")


@pytest.mark.parametrize("child", ["public", "authenticated", "owner"])
def test_an_explicit_child_visibility_is_respected(child: str) -> None:
    text = BASE.replace("VIS", "owner").replace("parent: notebook\n", f"parent: notebook\n      visibility: {child}\n")
    parse_blueprint(text, source="notes.blueprint.yaml")


def test_public_parent_needs_nothing() -> None:
    parse_blueprint(BASE.replace("VIS", "public"), source="notes.blueprint.yaml")
