"""Pure parts of the doctor: statement shapes, check constraints, plans, the chart."""

from __future__ import annotations

from backend_agent.gates.doctor.analyze import equality_columns, normalize, scanned_tables
from backend_agent.gates.doctor.model import DoctorPass, DoctorReport, OperationProfile
from backend_agent.gates.doctor.render import p95_chart
from backend_agent.gates.doctor.seed import check_hints, openapi_hints


def test_equality_columns_resolve_aliases_and_both_sides() -> None:
    sql = (
        "SELECT tags.id FROM tags, task_tags AS tt WHERE ? = tt.task_id AND tags.id = tt.tag_id "
        "AND tags.owner_id = %(owner_id_1)s"
    )
    assert equality_columns(sql) == {"tags": ["owner_id"], "task_tags": ["task_id"]}


def test_in_lists_of_any_length_have_one_shape() -> None:
    assert normalize("SELECT * FROM t WHERE t.id IN (?, ?, ?)") == normalize(
        "SELECT * FROM t  WHERE t.id IN (?, ?)"
    )


def test_check_constraints_in_sqlite_and_postgres_spelling() -> None:
    hints = check_hints(
        [
            "status IN ('todo', 'in_progress', 'done')",
            "priority BETWEEN 0 AND 5",
            "length(title) <= 200",
            "(status2 = ANY (ARRAY['a'::text, 'b'::text]))",
            "((score >= 1) AND (score <= 9))",
            "(length(name) <= 50)",
        ]
    )
    assert hints["status"].choices == ["todo", "in_progress", "done"]
    assert (hints["priority"].minimum, hints["priority"].maximum) == (0, 5)
    assert hints["title"].max_length == 200 and hints["name"].max_length == 50
    assert hints["status2"].choices == ["a", "b"]
    assert (hints["score"].minimum, hints["score"].maximum) == (1, 9)


def test_openapi_hints_read_enums_bounds_and_lengths() -> None:
    doc = {
        "components": {
            "schemas": {
                "Task": {
                    "properties": {
                        "status": {"enum": ["todo", "done"]},
                        "priority": {"type": "integer", "minimum": 0, "maximum": 5},
                        "title": {"anyOf": [{"type": "string", "maxLength": 200}, {"type": "null"}]},
                        "name": {"type": "string", "example": "Write the launch plan"},
                    }
                }
            }
        }
    }
    hints = openapi_hints(doc)
    assert hints["status"].choices == ["todo", "done"]
    assert hints["priority"].maximum == 5 and hints["title"].max_length == 200
    assert hints["name"].examples == ["Write the launch plan"]


def test_full_scans_are_read_from_both_plan_dialects() -> None:
    assert scanned_tables(
        ["SCAN tasks", "SEARCH tags USING INDEX ix (id=?)", "SCAN users USING INDEX ix_u"], "sqlite"
    ) == ["tasks"]
    assert scanned_tables(
        ["Seq Scan on tasks  (cost=0.00..200.00 rows=10 width=8)", "  Filter: (project_id = 5)"], "postgresql"
    ) == ["tasks"]


def test_p95_chart_has_a_bar_per_operation_and_pass_and_escapes_labels() -> None:
    def op(label: str, p95: float) -> OperationProfile:
        return OperationProfile(
            operation=label, path="/x", requests=10, p50_ms=1, p95_ms=p95, statements_per_request=1
        )

    before = DoctorPass(
        label="before", database="sqlite", operations=[op("GET /a<b>", 40.0), op("GET /c", 5.0)]
    )
    after = DoctorPass(
        label="after", database="sqlite", operations=[op("GET /a<b>", 10.0), op("GET /c", 5.0)]
    )
    svg = p95_chart(DoctorReport(project="p", before=before, after=after))
    assert svg.count("<rect") == 2 + 4  # legend + before/after bars
    assert "GET /a&lt;b&gt;" in svg and "<b>" not in svg
