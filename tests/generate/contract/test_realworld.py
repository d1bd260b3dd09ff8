"""examples/realworld generated contract-first: its /openapi.json is the contract and every operation
answers as its `wire` says (HTTP against the started service on SQLite)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.generate.contract.conftest import RunningService, assert_serves_its_contract, assert_wire

API = "/api"
PASSWORD = "correct horse battery staple"


def _register(client: httpx.Client, service: RunningService, name: str) -> dict[str, Any]:
    body = {"user": {"username": name, "email": f"{name}@example.com", "password": PASSWORD}}
    user: dict[str, Any] = assert_wire(service, "CreateUser", client.post(f"{API}/users", json=body), 201)["user"]
    return user


def _auth(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Token {user['token']}"}


def test_openapi_json_is_the_designs_normalized_contract(realworld: RunningService) -> None:
    assert_serves_its_contract(realworld)


def test_register_login_and_current_user(realworld: RunningService) -> None:
    with httpx.Client(base_url=realworld.base_url) as client:
        user = _register(client, realworld, "alice")
        assert user["username"] == "alice" and user["email"] == "alice@example.com" and user["token"]
        taken = client.post(f"{API}/users", json={"user": {"username": "alice", "email": "a2@example.com",
                                                           "password": PASSWORD}})
        body = assert_wire(realworld, "CreateUser", taken, 422)
        assert body["errors"]["body"]
        invalid = client.post(f"{API}/users", json={"user": {"username": "bob"}})
        assert_wire(realworld, "CreateUser", invalid, 422)

        login = client.post(f"{API}/users/login", json={"user": {"email": "alice@example.com", "password": PASSWORD}})
        logged = assert_wire(realworld, "Login", login, 200)["user"]
        wrong = client.post(f"{API}/users/login", json={"user": {"email": "alice@example.com", "password": "nope" * 3}})
        assert_wire(realworld, "Login", wrong, 401)

        me = assert_wire(realworld, "GetCurrentUser", client.get(f"{API}/user", headers=_auth(logged)), 200)
        assert me["user"]["username"] == "alice"
        assert_wire(realworld, "GetCurrentUser", client.get(f"{API}/user"), 401)
        updated = client.put(f"{API}/user", headers=_auth(logged), json={"user": {"bio": "hi", "image": "x.png"}})
        assert assert_wire(realworld, "UpdateCurrentUser", updated, 200)["user"]["bio"] == "hi"


def test_profiles_and_follow(realworld: RunningService) -> None:
    with httpx.Client(base_url=realworld.base_url) as client:
        carol = _register(client, realworld, "carol")
        dave = _register(client, realworld, "dave")
        profile = client.get(f"{API}/profiles/dave", headers=_auth(carol))
        assert assert_wire(realworld, "GetProfileByUsername", profile, 200)["profile"]["following"] is False
        followed = client.post(f"{API}/profiles/dave/follow", headers=_auth(carol))
        assert assert_wire(realworld, "FollowUserByUsername", followed, 200)["profile"]["following"] is True
        anonymous = client.get(f"{API}/profiles/dave")
        assert assert_wire(realworld, "GetProfileByUsername", anonymous, 200)["profile"]["following"] is False
        unfollowed = client.delete(f"{API}/profiles/dave/follow", headers=_auth(carol))
        assert assert_wire(realworld, "UnfollowUserByUsername", unfollowed, 200)["profile"]["following"] is False
        assert_wire(realworld, "FollowUserByUsername", client.post(f"{API}/profiles/dave/follow"), 401)
        missing = client.get(f"{API}/profiles/nobody-here", headers=_auth(dave))
        assert_wire(realworld, "GetProfileByUsername", missing, 404)


def test_articles_feed_favorites_comments_and_tags(realworld: RunningService) -> None:
    with httpx.Client(base_url=realworld.base_url) as client:
        erin = _register(client, realworld, "erin")
        frank = _register(client, realworld, "frank")
        new = {"article": {"title": "How to train your dragon", "description": "Ever wonder how?",
                           "body": "You have to believe", "tagList": ["dragons", "training"]}}
        created = assert_wire(realworld, "CreateArticle",
                              client.post(f"{API}/articles", json=new, headers=_auth(erin)), 201)["article"]
        slug = created["slug"]
        assert created["title"] == new["article"]["title"] and sorted(created["tagList"]) == ["dragons", "training"]
        assert created["author"]["username"] == "erin" and created["favoritesCount"] == 0
        assert_wire(realworld, "CreateArticle", client.post(f"{API}/articles", json=new), 401)
        assert_wire(realworld, "CreateArticle",
                    client.post(f"{API}/articles", json={"article": {"title": "x"}}, headers=_auth(erin)), 422)

        got = assert_wire(realworld, "GetArticle", client.get(f"{API}/articles/{slug}"), 200)["article"]
        assert got["body"] == "You have to believe"
        assert_wire(realworld, "GetArticle", client.get(f"{API}/articles/no-such-article"), 404)

        listed = assert_wire(realworld, "GetArticles", client.get(f"{API}/articles", params={"tag": "dragons"}), 200)
        assert listed["articlesCount"] == 1 and listed["articles"][0]["slug"] == slug
        by_author = client.get(f"{API}/articles", params={"author": "frank"})
        assert assert_wire(realworld, "GetArticles", by_author, 200)["articlesCount"] == 0

        assert_wire(realworld, "UpdateArticle", client.put(f"{API}/articles/{slug}", headers=_auth(frank),
                                                           json={"article": {"body": "mine now"}}), 403)
        changed = client.put(f"{API}/articles/{slug}", headers=_auth(erin), json={"article": {"body": "Believe."}})
        assert assert_wire(realworld, "UpdateArticle", changed, 200)["article"]["body"] == "Believe."

        favorite = client.post(f"{API}/articles/{slug}/favorite", headers=_auth(frank))
        fav = assert_wire(realworld, "CreateArticleFavorite", favorite, 200)["article"]
        assert fav["favorited"] is True and fav["favoritesCount"] == 1
        favorited = client.get(f"{API}/articles", params={"favorited": "frank"}, headers=_auth(frank))
        assert assert_wire(realworld, "GetArticles", favorited, 200)["articles"][0]["favorited"] is True
        unfavorite = client.delete(f"{API}/articles/{slug}/favorite", headers=_auth(frank))
        assert assert_wire(realworld, "DeleteArticleFavorite", unfavorite, 200)["article"]["favoritesCount"] == 0

        assert_wire(realworld, "FollowUserByUsername", client.post(f"{API}/profiles/erin/follow",
                                                                   headers=_auth(frank)), 200)
        feed = assert_wire(realworld, "GetArticlesFeed", client.get(f"{API}/articles/feed", headers=_auth(frank)), 200)
        assert [a["slug"] for a in feed["articles"]] == [slug] and feed["articlesCount"] == 1
        assert feed["articles"][0]["author"]["following"] is True
        assert_wire(realworld, "GetArticlesFeed", client.get(f"{API}/articles/feed"), 401)

        comment = client.post(f"{API}/articles/{slug}/comments", headers=_auth(frank),
                              json={"comment": {"body": "Thank you so much!"}})
        said = assert_wire(realworld, "CreateArticleComment", comment, 200)["comment"]
        assert said["body"] == "Thank you so much!" and said["author"]["username"] == "frank"
        comments = assert_wire(realworld, "GetArticleComments", client.get(f"{API}/articles/{slug}/comments"), 200)
        assert [c["id"] for c in comments["comments"]] == [said["id"]]
        assert_wire(realworld, "GetArticleComments", client.get(f"{API}/articles/nothing/comments"), 404)
        assert_wire(realworld, "DeleteArticleComment",
                    client.delete(f"{API}/articles/{slug}/comments/{said['id']}", headers=_auth(erin)), 403)
        assert_wire(realworld, "DeleteArticleComment",
                    client.delete(f"{API}/articles/{slug}/comments/{said['id']}", headers=_auth(frank)), 204)

        tags = assert_wire(realworld, "GetTags", client.get(f"{API}/tags"), 200)
        assert {"dragons", "training"} <= set(tags["tags"])

        assert_wire(realworld, "DeleteArticle", client.delete(f"{API}/articles/{slug}", headers=_auth(frank)), 403)
        assert_wire(realworld, "DeleteArticle", client.delete(f"{API}/articles/{slug}", headers=_auth(erin)), 204)
        assert_wire(realworld, "GetArticle", client.get(f"{API}/articles/{slug}"), 404)
