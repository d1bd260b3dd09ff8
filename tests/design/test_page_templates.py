"""Page templates read only names their rows have: a misspelt name is a located error at design time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from backend_agent.blueprint import parse_blueprint
from backend_agent.design import design
from backend_agent.design.page_templates import check_page_template
from backend_agent.errors import BlueprintError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAMES = ["id", "title", "body", "reply_count"]


def test_a_row_page_reads_row_names_by_attribute_and_by_key() -> None:
    text = "<h1>{{ row.title }}</h1>\n{{ row['body'] }} {{ row.bodyy }}\n{% for k, v in row.items() %}{{ k }}{% endfor %}"
    problems = check_page_template(text, NAMES, list_page=False)
    assert [(p.line, p.message) for p in problems] == [(2, "the template reads 'bodyy', which row does not have")]
    assert problems[0].hint == "did you mean 'body'?"


def test_a_list_page_reads_the_names_of_its_loop_variable() -> None:
    text = "{{ page.total }}\n{% for t in rows %}\n<li>{{ t.title }} {{ t.replies }}</li>{% endfor %}"
    problems = check_page_template(text, NAMES, list_page=True)
    assert [(p.line, p.message) for p in problems] == [(3, "the template reads 'replies', which each row does not have")]
    assert check_page_template("{% for t in rows %}{{ t.reply_count }}{% endfor %}", NAMES, list_page=True) == []


def test_a_syntax_error_is_located() -> None:
    [problem] = check_page_template("<p>\n{{ row.title }\n", NAMES, list_page=False)
    assert problem.line == 2 and problem.message.startswith("template syntax error")


def test_a_misspelt_name_in_an_example_template_is_a_located_blueprint_error(tmp_path: Path) -> None:
    folder = tmp_path / "forum"
    shutil.copytree(EXAMPLES / "forum", folder)
    page = folder / "templates" / "thread.html.j2"
    page.write_text(page.read_text().replace("row.reply_count", "row.reply_cuont"))
    source = folder / "forum.blueprint.yaml"
    with pytest.raises(BlueprintError) as caught:
        design(parse_blueprint(source.read_text(), source=str(source)).with_base_dir(folder))
    [problem] = caught.value.problems
    assert problem.location is not None and problem.location.key_path == "bindings.threadPage.template"
    assert problem.message == "templates/thread.html.j2:7: the template reads 'reply_cuont', which row does not have"
    assert problem.hint == "did you mean 'reply_count'?"
