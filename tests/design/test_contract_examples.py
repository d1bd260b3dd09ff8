"""The contract-first examples: each designs with no difference from its contract, and every
single-token change of an example gives located errors, never a traceback."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from backend_agent.blueprint import from_openapi, load_contract, parse_blueprint
from backend_agent.design import design, openapi_diff, wire_openapi
from backend_agent.errors import BlueprintError

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
OWN = sorted(p for p in EXAMPLES.glob("*/*.blueprint.yaml") if p.parent.name != "realworld")
REALWORLD = EXAMPLES / "realworld" / "realworld.blueprint.yaml"
SHARED = REPO.parent / "shared" / "contracts" / "realworld-openapi.yml"
ALL = [*OWN, *([REALWORLD] if SHARED.is_file() else [])]
# Stated in each example's README: lines of custom code (non-blank, non-comment, outside docstrings).
CUSTOM_LINES = {"secrets": 5, "cards": 11}


def _contract_of(blueprint: Path) -> Path:
    source = yaml.safe_load(blueprint.read_text())["service"]["contract"]
    return (blueprint.parent / source).resolve()


def _code_lines(folder: Path) -> int:
    count = 0
    for file in folder.rglob("*.py"):
        in_doc = False
        for line in file.read_text().splitlines():
            text = line.strip()
            if text.startswith('"""'):
                in_doc = not (in_doc or (text.count('"""') == 2))
                continue
            if in_doc or not text or text.startswith("#"):
                continue
            count += 1
    return count


def test_there_are_at_least_eight_own_contract_examples() -> None:
    assert len(OWN) >= 8
    for blueprint in OWN:
        assert (blueprint.parent / "README.md").is_file(), blueprint.parent


@pytest.mark.parametrize("blueprint", ALL, ids=lambda p: p.parent.name)
def test_example_designs_with_no_difference_from_its_contract(blueprint: Path) -> None:
    result = design(parse_blueprint(blueprint.read_text(), source=str(blueprint)).with_base_dir(blueprint.parent))
    contract = load_contract(_contract_of(blueprint))
    raw = yaml.safe_load(_contract_of(blueprint).read_text())
    assert openapi_diff(raw, result.openapi) == []
    assert openapi_diff(contract.normalized, wire_openapi(result)) == []
    assert result.mode == "contract" and len(result.operations) == len(contract.operations)
    assert "## Contract conformance" in result.design_md
    if blueprint != REALWORLD:  # our contracts state the bounds their services keep; RealWorld's do not
        assert [str(c) for c in result.cautions] == []
    else:
        assert any("user.password has no minLength" in c.message for c in result.cautions)


@pytest.mark.parametrize("blueprint", OWN, ids=lambda p: p.parent.name)
def test_custom_code_is_small_and_counted(blueprint: Path) -> None:
    lines = _code_lines(blueprint.parent)
    assert lines == CUSTOM_LINES.get(blueprint.parent.name, 0)
    assert lines <= 20
    assert f"{lines} line" in (blueprint.parent / "README.md").read_text()


@pytest.mark.parametrize("blueprint", ALL, ids=lambda p: p.parent.name)
def test_from_openapi_drafts_a_valid_blueprint(blueprint: Path, tmp_path: Path) -> None:
    out = tmp_path / "draft.blueprint.yaml"
    text, report = from_openapi(_contract_of(blueprint), output=out)
    out.write_text(text)
    bp = parse_blueprint(text, source=str(out)).with_base_dir(tmp_path)
    drafted = design(bp)
    assert len(drafted.operations) == report.operations
    assert "# guess:" in text
    print(f"{blueprint.parent.name}: from-openapi bound {report.bound}/{report.operations} ({report.share:.0%})")


# -- single-token mutations ---------------------------------------------------------------------------


def _tokens(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    """(path, kind) of every key and every scalar value."""
    out: list[tuple[tuple[Any, ...], str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            out.append(((*path, key), "key"))
            out.extend(_tokens(value, (*path, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(_tokens(value, (*path, index)))
    elif path:
        out.append((path, "value"))
    return out


def _changes(value: Any) -> list[Any]:
    if isinstance(value, bool):
        return ["maybe"]
    if isinstance(value, int | float):
        return [-1, 10**9, "many"]
    if isinstance(value, str):
        return [value + "x", 12345]
    return ["x"]


def _mutants(doc: Any, path: tuple[Any, ...], kind: str) -> list[Any]:
    out = []
    for change in ([None] if kind == "key" else _changes(_get(doc, path))):
        copy = yaml.safe_load(yaml.safe_dump(doc))
        parent = _get(copy, path[:-1])
        if kind == "key":
            parent[f"{path[-1]}x"] = parent.pop(path[-1])
        else:
            parent[path[-1]] = change
        out.append(copy)
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _check_mutant(doc: Any, blueprint: Path) -> bool:
    """True when the mutant was rejected with located problems; never raises anything else."""
    text = yaml.safe_dump(doc, sort_keys=False)
    try:
        bp = parse_blueprint(text, source="mutant.yaml").with_base_dir(blueprint.parent)
        design(bp)
    except BlueprintError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.location is not None
            assert problem.location.line is not None or problem.location.key_path, problem
            assert problem.message and (problem.expected or problem.hint), problem
        return True
    return False


def _run_mutations(blueprint: Path, sample: int | None) -> tuple[int, int]:
    doc = yaml.safe_load(blueprint.read_text())
    slots = _tokens(doc)
    if sample is not None:
        slots = random.Random(blueprint.name).sample(slots, min(sample, len(slots)))
    rejected = total = 0
    for path, kind in slots:
        for mutant in _mutants(doc, path, kind):
            total += 1
            rejected += _check_mutant(mutant, blueprint)
    return rejected, total


@pytest.mark.parametrize("blueprint", ALL, ids=lambda p: p.parent.name)
def test_single_token_changes_give_located_errors(blueprint: Path) -> None:
    rejected, total = _run_mutations(blueprint, sample=12)
    assert total >= 12 and rejected >= total // 2


@pytest.mark.slow
@pytest.mark.parametrize("blueprint", ALL, ids=lambda p: p.parent.name)
def test_every_single_token_change_gives_located_errors(blueprint: Path) -> None:
    rejected, total = _run_mutations(blueprint, sample=None)
    print(f"{blueprint.parent.name}: {rejected}/{total} single-token changes rejected, none crashed")
    assert rejected >= total // 2


def test_select_by_a_body_value_is_checked(tmp_path: Path) -> None:
    source = EXAMPLES / "cards" / "cards.blueprint.yaml"
    text = source.read_text()
    assert "select: {number: number}" in text
    for wrong, words in (("select: {numbr: number}", "did you mean 'number'"),
                         ("select: {number: balance_cents}", "is integer"),
                         ("select: {number: blocked}", "not unique")):
        bp = parse_blueprint(text.replace("select: {number: number}", wrong), source=str(source))
        with pytest.raises(BlueprintError) as info:
            design(bp.with_base_dir(source.parent))
        found = " ".join(f"{p.message} {p.expected} {p.hint}" for p in info.value.problems)
        assert words in found, found
        assert all(p.location and (p.location.key_path or "").startswith("bindings.lookupCard")
                   for p in info.value.problems)


def test_camel_case_token_keys_are_the_tokens() -> None:
    # the forum's Session is {"accessToken", "member"}: a camelCase contract names the token its own way
    source = EXAMPLES / "forum" / "forum.blueprint.yaml"
    resolved = design(parse_blueprint(source.read_text(), source=str(source)).with_base_dir(source.parent)).resolved()
    for op in (o for o in resolved["operations"] if o["operation_id"] in ("joinForum", "signIn")):
        success = next(r for r in op["wire"]["responses"] if r["outcome"] == "success")
        sources = {key: prop.get("x-source") for key, prop in success["schema"]["properties"].items()}
        assert sources == {"accessToken": "access_token", "member": "row"}, (op["operation_id"], sources)


def test_from_openapi_recognises_every_auth_flow(tmp_path: Path) -> None:
    text, report = from_openapi(EXAMPLES / "login" / "openapi.yaml", output=tmp_path / "draft.blueprint.yaml")
    bindings = yaml.safe_load(text)["bindings"]
    assert {key: bindings[key] for key in ("signOut", "refreshSession", "verifyEmail", "forgotPassword",
                                           "resetPassword")} == {
        "signOut": "auth.logout", "refreshSession": "auth.refresh", "verifyEmail": "auth.verify_email",
        "forgotPassword": "auth.request_password_reset", "resetPassword": "auth.reset_password"}
    assert report.custom == [] and "tokens: {refresh: true}" in text
    user = yaml.safe_load(text)["entities"]["User"]["fields"]
    assert "refresh_token" not in user and "account" not in user  # issued values and the envelope are not stored
    forum, _ = from_openapi(EXAMPLES / "forum" / "openapi.yaml", output=tmp_path / "forum.blueprint.yaml")
    assert yaml.safe_load(forum)["bindings"]["joinForum"] == "auth.register"  # POST /api/members answering a token
