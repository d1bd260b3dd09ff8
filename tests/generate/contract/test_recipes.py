"""examples/recipes: computed aggregates (a count, an average, a count with a condition) built inside the
document's SQL statement, tags as a list of names, `?tag=`/`?q=`/`?sort=`, ratings created under a recipe
selected by its path id, per-field 400/404 error lists. Served on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend_agent.generate import generate_service
from tests.generate.conftest import run_project_tests
from tests.generate.contract.conftest import (
    REPO_ROOT,
    RunningService,
    assert_serves_its_contract,
    assert_wire,
    service_env,
    start_service,
)


@pytest.fixture(scope="module")
def recipes_pg(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """examples/recipes generated and started on a throwaway PostgreSQL database."""
    import psycopg

    name = f"recipes_{uuid.uuid4().hex[:12]}"
    admin = postgres_url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        root = tmp_path_factory.mktemp("contract-recipes-pg")
        result = generate_service(REPO_ROOT / "examples/recipes/recipes.blueprint.yaml", root / "service")
        design = json.loads((result.out_dir / "design/design.json").read_text())
        env = {**service_env(root), "DATABASE_URL": postgres_url.rsplit("/", 1)[0] + f"/{name}"}
        for url in start_service(result.out_dir, root, env):
            yield RunningService(result.out_dir, url, design, env)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def service(request: pytest.FixtureRequest) -> RunningService:
    running: RunningService = request.getfixturevalue("recipes" if request.param == "sqlite" else "recipes_pg")
    return running


def _add(service: RunningService, client: httpx.Client, **recipe: Any) -> dict[str, Any]:
    body = {"title": "Pancakes", "instructions": "Mix and fry.", **recipe}
    created: dict[str, Any] = assert_wire(service, "addRecipe", client.post("/recipes", json={"recipe": body}),
                                          201)["recipe"]
    return created


def _rate(service: RunningService, client: httpx.Client, recipe_id: int, stars: int) -> dict[str, Any]:
    response = client.post(f"/recipes/{recipe_id}/ratings", json={"rating": {"stars": stars}})
    rating: dict[str, Any] = assert_wire(service, "rateRecipe", response, 201)["rating"]
    return rating


def _get(service: RunningService, client: httpx.Client, recipe_id: int) -> dict[str, Any]:
    recipe: dict[str, Any] = assert_wire(service, "getRecipe", client.get(f"/recipes/{recipe_id}"), 200)["recipe"]
    return recipe


def test_recipes_serves_its_contract(service: RunningService) -> None:
    assert_serves_its_contract(service)


def test_average_count_and_conditional_count_follow_the_ratings(service: RunningService) -> None:
    with httpx.Client(base_url=f"{service.base_url}/api") as client:
        recipe = _add(service, client, minutes=20, tags=["breakfast", "sweet"])
        assert (recipe["ratingsCount"], recipe["averageStars"], recipe["fiveStarCount"]) == (0, None, 0)
        assert sorted(recipe["tags"]) == ["breakfast", "sweet"] and recipe["minutes"] == 20
        assert recipe["createdAt"].endswith("Z")

        rating = _rate(service, client, recipe["id"], 4)
        assert rating["stars"] == 4 and rating["comment"] is None and rating["createdAt"].endswith("Z")
        one = _get(service, client, recipe["id"])
        assert (one["ratingsCount"], one["averageStars"], one["fiveStarCount"]) == (1, 4, 0)
        assert isinstance(one["averageStars"], int | float) and not isinstance(one["averageStars"], bool)

        commented = client.post(f"/recipes/{recipe['id']}/ratings", json={"rating": {"stars": 5, "comment": "yum"}})
        assert assert_wire(service, "rateRecipe", commented, 201)["rating"]["comment"] == "yum"
        _rate(service, client, recipe["id"], 5)
        several = _get(service, client, recipe["id"])
        assert several["ratingsCount"] == 3 and several["fiveStarCount"] == 2
        assert several["averageStars"] == pytest.approx(14 / 3, abs=1e-9)

        other = _add(service, client, title="Unrated soup")
        assert _get(service, client, other["id"])["averageStars"] is None  # one recipe's ratings are its own
        listed = assert_wire(service, "listRecipes", client.get("/recipes", params={"limit": 50}), 200)
        by_id = {r["id"]: r for r in listed["recipes"]}
        assert by_id[recipe["id"]]["averageStars"] == pytest.approx(14 / 3, abs=1e-9)
        assert by_id[recipe["id"]]["fiveStarCount"] == 2 and by_id[other["id"]]["averageStars"] is None


def test_errors_have_the_contract_statuses(service: RunningService) -> None:
    with httpx.Client(base_url=f"{service.base_url}/api") as client:
        missing = assert_wire(service, "addRecipe", client.post("/recipes", json={"recipe": {"title": "x"}}), 400)
        assert "instructions" in missing["errors"]
        assert_wire(service, "addRecipe", client.post("/recipes", json={}), 400)
        long_title = {"recipe": {"title": "x" * 141, "instructions": "i"}}
        assert "title" in assert_wire(service, "addRecipe", client.post("/recipes", json=long_title), 400)["errors"]
        no_minutes = {"recipe": {"title": "t", "instructions": "i", "minutes": 0}}
        assert_wire(service, "addRecipe", client.post("/recipes", json=no_minutes), 400)

        assert_wire(service, "getRecipe", client.get("/recipes/99999999"), 404)
        assert_wire(service, "getRecipe", client.get("/recipes/not-a-number"), 400)

        recipe = _add(service, client)
        too_many = client.post(f"/recipes/{recipe['id']}/ratings", json={"rating": {"stars": 6}})
        assert "stars" in assert_wire(service, "rateRecipe", too_many, 400)["errors"]
        assert_wire(service, "rateRecipe", client.post(f"/recipes/{recipe['id']}/ratings", json={"rating": {}}), 400)
        unknown = client.post("/recipes/99999999/ratings", json={"rating": {"stars": 3}})
        assert_wire(service, "rateRecipe", unknown, 404)
        assert _get(service, client, recipe["id"])["ratingsCount"] == 0  # refused ratings are not stored

        assert_wire(service, "listRecipes", client.get("/recipes", params={"limit": 51}), 400)
        assert_wire(service, "listRecipes", client.get("/recipes", params={"sort": "minutes"}), 400)
        assert_wire(service, "listRecipes", client.get("/recipes", params={"offset": -1}), 400)


def test_list_filters_search_sort_and_pages(service: RunningService) -> None:
    tag = f"t{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=f"{service.base_url}/api") as client:
        first = _add(service, client, title="B risotto", instructions="Stir slowly.", tags=[tag])
        second = _add(service, client, title="A gnocchi", instructions="Boil, then brown.", tags=[tag, "pasta"])
        _add(service, client, title="C salad", instructions="Toss.")
        for stars in (2, 5):
            _rate(service, client, second["id"], stars)

        tagged = assert_wire(service, "listRecipes", client.get("/recipes", params={"tag": tag}), 200)
        assert tagged["count"] == 2 and {r["id"] for r in tagged["recipes"]} == {first["id"], second["id"]}
        by_title = assert_wire(service, "listRecipes", client.get("/recipes", params={"tag": tag, "sort": "title"}),
                               200)
        assert [r["title"] for r in by_title["recipes"]] == ["A gnocchi", "B risotto"]
        assert by_title["recipes"][0]["averageStars"] == pytest.approx(3.5)
        assert by_title["recipes"][1]["averageStars"] is None
        reverse = client.get("/recipes", params={"tag": tag, "sort": "-title"})
        assert [r["title"] for r in assert_wire(service, "listRecipes", reverse, 200)["recipes"]] == [
            "B risotto", "A gnocchi"]
        newest = client.get("/recipes", params={"tag": tag, "sort": "-createdAt"})
        assert [r["id"] for r in assert_wire(service, "listRecipes", newest, 200)["recipes"]] == [
            second["id"], first["id"]]
        oldest = client.get("/recipes", params={"tag": tag, "sort": "createdAt"})
        assert [r["id"] for r in assert_wire(service, "listRecipes", oldest, 200)["recipes"]] == [
            first["id"], second["id"]]

        page = client.get("/recipes", params={"tag": tag, "sort": "title", "limit": 1, "offset": 1})
        paged = assert_wire(service, "listRecipes", page, 200)
        assert paged["count"] == 2 and [r["title"] for r in paged["recipes"]] == ["B risotto"]
        searched = assert_wire(service, "listRecipes", client.get("/recipes", params={"tag": tag, "q": "brown"}), 200)
        assert [r["id"] for r in searched["recipes"]] == [second["id"]]
        none = assert_wire(service, "listRecipes", client.get("/recipes", params={"tag": "no-such-tag"}), 200)
        assert none == {"recipes": [], "count": 0}


@pytest.mark.slow
def test_generated_suite_passes_on_sqlite_and_postgresql(recipes: RunningService, postgres_database: str) -> None:
    sqlite = run_project_tests(recipes.project)
    assert sqlite.returncode == 0, sqlite.stdout[-4000:] + sqlite.stderr[-2000:]
    assert " passed" in sqlite.stdout
    postgresql = run_project_tests(recipes.project, {"TEST_DATABASE_URL": postgres_database})
    assert postgresql.returncode == 0, postgresql.stdout[-4000:] + postgresql.stderr[-2000:]
    assert " passed" in postgresql.stdout


@pytest.mark.slow
def test_generated_code_is_ruff_mypy_and_bandit_clean(recipes: RunningService) -> None:
    """Documents with aggregates and the generated tests/test_computed.py included (app/core is the platform's)."""
    assert (recipes.project / "tests/test_computed.py").is_file()
    bin_dir = Path(sys.executable).parent
    checks = [
        [str(bin_dir / "ruff"), "check", "--no-cache", "--exclude", "app/core", "."],
        [str(bin_dir / "mypy"), "--ignore-missing-imports", "--follow-imports", "silent", "--no-incremental",
         "--cache-dir", "/dev/null", "app", "tests/test_computed.py"],
        [str(bin_dir / "bandit"), "-q", "-r", "app", "-x", "app/core"],
    ]
    for command in checks:
        done = subprocess.run(command, cwd=recipes.project, capture_output=True, text=True, check=False, timeout=300)
        assert done.returncode == 0, f"{command[0]}: {done.stdout[-3000:]}{done.stderr[-1000:]}"
