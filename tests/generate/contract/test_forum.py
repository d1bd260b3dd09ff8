"""examples/forum generated and served: HTML pages for readers (a paged listing and a thread, rendered
from autoescaped templates), a JSON API for members with sign-up, sign-in and 400-style errors."""

from __future__ import annotations

import re

import httpx

from tests.generate.contract.conftest import (
    RunningService,
    assert_serves_its_contract,
    assert_text,
    assert_wire,
)

SCRIPT = "<script>alert(1)</script>"


def _join(forum: RunningService, client: httpx.Client, email: str, name: str) -> dict[str, str]:
    body = {"email": email, "password": "correct horse", "displayName": name}
    session = assert_wire(forum, "joinForum", client.post("/api/members", json=body), 201)
    assert session["member"]["displayName"] == name and set(session["member"]) == {"id", "displayName"}
    return {"Authorization": f"Bearer {session['accessToken']}"}


def test_forum_serves_its_contract(forum: RunningService) -> None:
    assert_serves_its_contract(forum)


def test_members_join_and_sign_in(forum: RunningService) -> None:
    with httpx.Client(base_url=forum.base_url) as client:
        _join(forum, client, "ada@example.com", "Ada")
        again = {"email": "ada@example.com", "password": "correct horse", "displayName": "Ada again"}
        assert "error" in assert_wire(forum, "joinForum", client.post("/api/members", json=again), 409)
        assert_wire(forum, "joinForum", client.post("/api/members", json={"email": "x@example.com"}), 400)
        short = {"email": "bo@example.com", "password": "short", "displayName": "Bo"}
        assert_wire(forum, "joinForum", client.post("/api/members", json=short), 400)

        signed = client.post("/api/sessions", json={"email": "ada@example.com", "password": "correct horse"})
        session = assert_wire(forum, "signIn", signed, 200)
        assert session["accessToken"] and session["member"]["displayName"] == "Ada"
        wrong = client.post("/api/sessions", json={"email": "ada@example.com", "password": "wrong horse!"})
        assert_wire(forum, "signIn", wrong, 401)
        assert_wire(forum, "signIn", client.post("/api/sessions", json={"password": "x"}), 400)


def test_threads_and_replies_over_json(forum: RunningService) -> None:
    with httpx.Client(base_url=forum.base_url) as client:
        author = _join(forum, client, "cy@example.com", "Cy")
        other = _join(forum, client, "di@example.com", "Di")
        started = client.post("/api/threads", json={"title": "First", "body": "Hello"}, headers=author)
        thread = assert_wire(forum, "startThread", started, 201)
        assert thread["replyCount"] == 0 and thread["author"]["displayName"] == "Cy"
        assert thread["createdAt"].endswith("Z")
        assert_wire(forum, "startThread", client.post("/api/threads", json={"title": "x", "body": "y"}), 401)
        assert_wire(forum, "startThread", client.post("/api/threads", json={"title": ""}, headers=author), 400)

        replies = f"/api/threads/{thread['id']}/replies"
        for text, who in (("one", other), ("two", author)):
            assert_wire(forum, "postReply", client.post(replies, json={"body": text}, headers=who), 201)
        assert_wire(forum, "postReply", client.post(replies, json={"body": "x"}), 401)
        assert_wire(forum, "postReply", client.post("/api/threads/999999/replies", json={"body": "x"},
                                                    headers=author), 404)
        page = assert_wire(forum, "listReplies", client.get(replies), 200)
        assert [r["body"] for r in page["replies"]] == ["one", "two"] and page["total"] == 2  # oldest first
        assert [r["author"]["displayName"] for r in page["replies"]] == ["Di", "Cy"]
        assert_wire(forum, "listReplies", client.get(replies, params={"limit": 0}), 400)

        got = assert_wire(forum, "getThread", client.get(f"/api/threads/{thread['id']}"), 200)
        assert got["replyCount"] == 2
        assert_wire(forum, "getThread", client.get("/api/threads/999999"), 404)
        second = assert_wire(forum, "startThread", client.post("/api/threads", json={"title": "Second", "body": "b"},
                                                               headers=other), 201)
        listed = assert_wire(forum, "listThreads", client.get("/api/threads", params={"limit": 1}), 200)
        assert [t["id"] for t in listed["threads"]] == [second["id"]] and listed["total"] >= 2  # newest first

        # only its author deletes a thread; its replies go with it
        assert_wire(forum, "deleteThread", client.delete(f"/api/threads/{thread['id']}", headers=other), 403)
        assert_wire(forum, "deleteThread", client.delete(f"/api/threads/{thread['id']}"), 401)
        assert_wire(forum, "deleteThread", client.delete(f"/api/threads/{thread['id']}", headers=author), 204)
        assert_wire(forum, "getThread", client.get(f"/api/threads/{thread['id']}"), 404)
        assert_wire(forum, "listReplies", client.get(replies), 404)


def test_pages_render_escaped_html(forum: RunningService) -> None:
    with httpx.Client(base_url=forum.base_url) as client:
        author = _join(forum, client, "ed@example.com", "Ed")
        started = client.post("/api/threads", json={"title": f"Markup {SCRIPT}", "body": "Fish & <b>chips</b>"},
                              headers=author)
        thread = assert_wire(forum, "startThread", started, 201)
        client.post(f"/api/threads/{thread['id']}/replies", json={"body": "me too"}, headers=author)

        front = assert_text(forum, "frontPage", client.get("/"), 200)
        assert "<script>" not in front and "Markup &lt;script&gt;alert(1)&lt;/script&gt;" in front
        assert f'<a href="/threads/{thread["id"]}">' in front and "(1 replies)" in front  # the computed count
        total = assert_wire(forum, "listThreads", client.get("/api/threads"), 200)["total"]
        assert f"<p>{total} threads</p>" in front  # page.total of the paged listing
        one = assert_text(forum, "frontPage", client.get("/", params={"limit": 1}), 200)
        assert len(re.findall(r"<li>", one)) == 1
        assert_text(forum, "frontPage", client.get("/", params={"limit": 0}), 400)

        page = assert_text(forum, "threadPage", client.get(f"/threads/{thread['id']}"), 200)
        assert "<h1>Markup &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in page
        assert "Fish &amp; &lt;b&gt;chips&lt;/b&gt;" in page and "<script>" not in page
        assert f"Started {thread['createdAt']}, 1 replies" in page  # the JSON document's values, by field name
        assert "not found" in assert_text(forum, "threadPage", client.get("/threads/999999"), 404)
        assert_text(forum, "threadPage", client.get("/threads/not-a-number"), 400)
