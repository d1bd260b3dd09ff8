"""Request bodies sent as HTML forms (``application/x-www-form-urlencoded``), bound to a standard create.

The form's text values become the JSON values the contract's schema types (``"3"`` an integer, ``"true"``
a boolean, a repeated key an array) and are validated by the same rules as a JSON body.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import httpx
import pytest

from backend_agent.gates._options import ContractOptions
from backend_agent.generate import generate_service
from tests.generate.conftest import run_project_tests
from tests.generate.contract.conftest import REPO_ROOT, service_env, start_service

FORM = "application/x-www-form-urlencoded"

CONTRACT = """\
openapi: 3.1.0
info: {title: Newsletter, version: 1.0.0}
paths:
  /subscriptions:
    get:
      operationId: listSubscriptions
      responses:
        '200':
          description: every subscription
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Subscription'}}
    post:
      operationId: subscribe
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [email]
              properties:
                email: {type: string, format: email, maxLength: 120}
                weekly: {type: boolean}
                copies: {type: integer, minimum: 1, maximum: 5}
                note: {type: string, maxLength: 200}
                topics: {type: array, maxItems: 5, items: {type: string, minLength: 1, maxLength: 20}}
                priority: {type: [integer, "null"], minimum: 1, maximum: 3}
                budget: {type: number, minimum: 0}
      responses:
        '201':
          description: subscribed
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Subscription'}
        '400':
          description: invalid form
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
        '409':
          description: already subscribed
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
components:
  schemas:
    Subscription:
      type: object
      required: [id, email, weekly, copies, note, topics, priority, budget]
      properties:
        id: {type: integer}
        email: {type: string}
        weekly: {type: boolean}
        copies: {type: integer}
        note: {type: string}
        topics: {type: array, items: {type: string}}
        priority: {type: [integer, "null"]}
        budget: {type: number}
    Error:
      type: object
      required: [message]
      properties:
        message: {type: string}
"""
BLUEPRINT = """\
service: {name: newsletter, contract: openapi.yaml}
entities:
  Subscription:
    options: {timestamps: false}
    fields:
      email: {type: email, required: true, unique: true, max_length: 120}
      weekly: {type: bool, required: true, default: false}
      copies: {type: int, required: true, default: 1, min: 1, max: 5}
      note: {type: string, required: true, default: "", max_length: 200}
      topics: {type: list, of: string, max_items: 5, item: {min_length: 1, max_length: 20}, required: true, default: []}
      priority: {type: int, min: 1, max: 3}
      budget: {type: float, required: true, default: 0, min: 0}
    api:
      operations:
        list: {public: true, paginate: false}
        create: {public: true}
bindings:
  listSubscriptions: Subscription.list
  subscribe: Subscription.create
"""


@pytest.fixture(scope="module")
def newsletter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("newsletter")
    (folder / "openapi.yaml").write_text(CONTRACT)
    (folder / "newsletter.blueprint.yaml").write_text(BLUEPRINT)
    return generate_service(folder / "newsletter.blueprint.yaml", folder / "service").out_dir


def test_a_form_creates_a_row_with_typed_values(newsletter: Path, tmp_path: Path) -> None:
    for url in start_service(newsletter, tmp_path, service_env(tmp_path)):
        made = httpx.post(f"{url}/subscriptions", data={"email": "ada@example.com", "weekly": "true", "copies": "3",
                                                        "note": "", "topics": ["rust", "sql"], "priority": "2",
                                                        "budget": "12.5e1"})
        assert made.status_code == 201, made.text
        assert made.json() == {"id": 1, "email": "ada@example.com", "weekly": True, "copies": 3, "note": "",
                               "topics": ["rust", "sql"], "priority": 2, "budget": 125}
        defaults = httpx.post(f"{url}/subscriptions", data={"email": "bob@example.com", "priority": ""})
        assert defaults.json() == {"id": 2, "email": "bob@example.com", "weekly": False, "copies": 1, "note": "",
                                   "topics": [], "priority": None, "budget": 0}
        taken = httpx.post(f"{url}/subscriptions", data={"email": "ada@example.com"})
        assert taken.status_code == 409 and set(taken.json()) == {"message"}
        assert [row["email"] for row in httpx.get(f"{url}/subscriptions").json()] == ["ada@example.com",
                                                                                     "bob@example.com"]


BAD_FORMS = [
    {},  # email is required
    {"email": "not an address"},
    {"email": "c@example.com", "copies": "x"},
    {"email": "c@example.com", "copies": "9"},  # maximum 5
    {"email": "c@example.com", "copies": "2.5"},
    {"email": "c@example.com", "copies": "1_0"},  # Python's int() would take it; JSON's syntax does not
    {"email": "c@example.com", "copies": "9" * 40},
    {"email": "c@example.com", "weekly": "yes"},
    {"email": "c@example.com", "budget": "nan"},
    {"email": "c@example.com", "budget": "1e999"},
    {"email": "c@example.com", "budget": "-1"},
    {"email": "c@example.com", "topics": ["a", "b", "c", "d", "e", "f"]},  # maxItems 5
    {"email": "c@example.com", "topics": [""]},  # items have minLength 1
]


def test_a_bad_form_is_refused_with_the_contract_status(newsletter: Path, tmp_path: Path) -> None:
    for url in start_service(newsletter, tmp_path, service_env(tmp_path)):
        for form in BAD_FORMS:
            refused = httpx.post(f"{url}/subscriptions", data=form)
            assert refused.status_code == 400, (form, refused.text)
            assert set(refused.json()) == {"message"}
        assert httpx.get(f"{url}/subscriptions").json() == []


def test_a_body_that_is_not_a_form_has_no_fields(newsletter: Path, tmp_path: Path) -> None:
    for url in start_service(newsletter, tmp_path, service_env(tmp_path)):
        as_json = httpx.post(f"{url}/subscriptions", json={"email": "d@example.com"})
        as_text = httpx.post(f"{url}/subscriptions", content=b"email=d@example.com",
                             headers={"Content-Type": "text/plain"})
        broken = httpx.post(f"{url}/subscriptions", content=b"email=%zz&&==",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        for answer in (as_json, as_text, broken):
            assert answer.status_code == 400, answer.text
        assert httpx.get(f"{url}/subscriptions").json() == []


def test_the_generated_suite_sends_forms_and_passes(newsletter: Path) -> None:
    pyproject = tomllib.loads((newsletter / "pyproject.toml").read_text())
    assert any(dep.startswith("python-multipart==") for dep in pyproject["project"]["dependencies"])
    # an array field of a form: schemathesis's "string instead of array" is a valid one-item array there
    contract = ContractOptions.model_validate(pyproject["tool"]["backend-agent"]["contract"])
    assert contract.disable_checks_for == {"subscribe": ["negative_data_rejection"]}
    done = run_project_tests(newsletter)
    assert done.returncode == 0, done.stdout[-3000:]


SIGN_IN_JSON = """      operationId: signIn
      tags: [account]
      requestBody:
        required: true
        content:
          application/json:"""


def test_sign_in_by_form(tmp_path: Path) -> None:
    """examples/login with its sign-in taking a form (as an OAuth2 password grant does)."""
    example = tmp_path / "login"
    shutil.copytree(REPO_ROOT / "examples" / "login", example)
    contract = example / "openapi.yaml"
    text = contract.read_text()
    assert text.count(SIGN_IN_JSON) == 1
    contract.write_text(text.replace(SIGN_IN_JSON, SIGN_IN_JSON.replace("application/json", FORM)))
    project = generate_service(example / "login.blueprint.yaml", tmp_path / "service").out_dir
    for url in start_service(project, tmp_path, service_env(tmp_path)):
        account = {"email": "cy@example.com", "password": "a-long-password-1", "displayName": "Cy"}
        assert httpx.post(f"{url}/auth/signup", json=account).status_code == 201
        signed_in = httpx.post(f"{url}/auth/signin", data={"email": account["email"], "password": account["password"]})
        assert signed_in.status_code == 200, signed_in.text
        me = httpx.get(f"{url}/auth/me", headers={"Authorization": f"Bearer {signed_in.json()['token']}"})
        assert me.json()["email"] == account["email"]
        wrong = httpx.post(f"{url}/auth/signin", data={"email": account["email"], "password": "not-the-password"})
        assert wrong.status_code == 401
        as_json = httpx.post(f"{url}/auth/signin", json={"email": account["email"], "password": account["password"]})
        assert as_json.status_code == 400, as_json.text
    done = run_project_tests(project)  # its sign-in tests send the form
    assert done.returncode == 0, done.stdout[-3000:]
