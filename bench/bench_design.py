"""Benchmark: design() of a generated 60-entity blueprint and of the largest shipped example,
contract-first included (target < 2 s each).

Baseline, measured in the same run: yaml.safe_load + pydantic validation of the same text (for a
contract-first example, of the blueprint and its contract).
Run: .venv/bin/python bench/bench_design.py
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from backend_agent.blueprint import Blueprint, parse_blueprint
from backend_agent.design import design

ENTITIES = 60
TARGET_SECONDS = 2.0
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def generate(n: int = ENTITIES) -> str:
    """A blueprint with every relation kind: many_to_one, one_to_many, one_to_one, many_to_many (and self)."""
    entities: dict[str, Any] = {
        "Member": {
            "lookup": "handle",
            "fields": {
                "email": {"type": "email", "required": True, "unique": True},
                "handle": {"type": "string", "required": True, "unique": True, "max_length": 40},
                "password": {"type": "string", "required": True, "secret": True},
            },
            "relations": {"follows": {"kind": "many_to_many", "target": "Member", "inverse": "followers"}},
            "computed": {"following": {"kind": "membership", "relation": "followers"}},
            "views": {"card": {"fields": ["handle", "following"], "path": "/cards/{handle}"}},
            "actions": {"follow": {"kind": "toggle", "relation": "followers", "path": "/cards/{handle}/follow",
                                   "view": "card"}},
        }
    }
    for i in range(1, n):
        name = f"Thing{i:02d}"
        prev = f"Thing{i - 1:02d}" if i > 1 else "Member"
        relations: dict[str, Any] = {
            "owner": {"kind": "many_to_one", "target": "Member", "required": True, "on_delete": "cascade"},
            "parent": {"kind": "many_to_one", "target": prev, "inverse": f"children_{i:02d}"},
            "buddy": {"kind": "one_to_one", "target": prev, "on_delete": "set_null"},
            "likers": {"kind": "many_to_many", "target": "Member", "inverse": f"liked_{i:02d}"},
            "peers": {"kind": "many_to_many", "target": name},
        }
        if i + 1 < n:
            relations["kids"] = {"kind": "one_to_many", "target": f"Thing{i + 1:02d}", "via": "parent"}
        entities[name] = {
            "owner": "owner",
            "lookup": "code",
            "fields": {
                "code": {"type": "string", "required": True, "unique": True, "max_length": 32},
                "title": {"type": "string", "required": True, "min_length": 1, "max_length": 200},
                "amount": {"type": "decimal(12,2)", "min": 0},
                "count": {"type": "int", "min": 0, "max": 1000, "default": 0},
                "state": {"type": "enum", "values": ["new", "done"], "required": True, "default": "new",
                          "read_only": True},
                "due": {"type": "date"},
                "meta": {"type": "json"},
            },
            "relations": relations,
            "computed": {"like_count": {"kind": "count", "relation": "likers"},
                         "liked": {"kind": "membership", "relation": "likers"}},
            "indexes": [{"fields": ["state", "due"], "reason": "work queue"}],
            "api": {"filters": [{"param": "state", "field": "state"},
                                {"param": "liker", "relation": "likers", "key": "handle"}],
                    "sort": ["title", "due"], "search": ["title"], "default_sort": "-created_at"},
            "actions": {
                "like": {"kind": "toggle", "relation": "likers"},
                "finish": {"kind": "transition", "field": "state", "from": ["new"], "to": "done",
                           "guards": [{"field": "count", "op": "gte", "value": 0}]},
                "overdue": {"kind": "query", "where": [{"field": "count", "op": "gt", "value": 10}]},
                "recalc": {"kind": "custom", "handler": "rules:recalc"},
            },
        }
    doc = {
        "service": {"name": "bench", "base_path": "/api", "naming": "camelCase"},
        "auth": {"user_entity": "Member", "identity": ["email"]},
        "entities": entities,
    }
    return yaml.safe_dump(doc, sort_keys=False)


def measure(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    text = generate()
    bp = parse_blueprint(text, source="bench.blueprint.yaml")
    repeat = 7
    baseline = measure(lambda: Blueprint.model_validate(yaml.safe_load(text)), repeat)
    parse = measure(lambda: parse_blueprint(text, source="bench.blueprint.yaml"), repeat)
    designed = measure(lambda: design(bp), repeat)
    result = design(bp)
    base_med, parse_med, design_med = (statistics.median(t) for t in (baseline, parse, designed))
    print(f"blueprint: {len(bp.entities)} entities, {len(text.splitlines())} YAML lines")
    print(f"design: {len(result.tables)} tables, {len(result.operations)} operations, "
          f"{len(result.schemas)} schemas")
    print(f"baseline yaml.safe_load + pydantic validation: median {base_med * 1000:8.1f} ms")
    print(f"parse_blueprint (located errors + checks):     median {parse_med * 1000:8.1f} ms "
          f"(x{parse_med / base_med:.2f} baseline)")
    print(f"design():                                      median {design_med * 1000:8.1f} ms "
          f"(x{design_med / base_med:.2f} baseline)")
    print(f"target design() < {TARGET_SECONDS:.1f} s: {'met' if design_med < TARGET_SECONDS else 'MISSED'}")
    largest_example(repeat)
    return 0


def largest_example(repeat: int) -> None:
    """design() of the shipped example with the most operations (a contract's parsing included)."""
    files = [*EXAMPLES.glob("*.blueprint.yaml"), *EXAMPLES.glob("*/*.blueprint.yaml")]
    loaded = []
    for file in files:
        try:
            bp = parse_blueprint(file.read_text(), source=str(file)).with_base_dir(file.parent)
            loaded.append((len(design(bp).operations), file, bp))
        except Exception as exc:
            print(f"skipped {file.name}: {exc}".splitlines()[0])
    count, file, bp = max(loaded, key=lambda item: item[0])
    texts = [file.read_text()]
    if bp.service.contract:
        texts.append((file.parent / bp.service.contract).read_text())

    def baseline() -> None:
        Blueprint.model_validate(yaml.safe_load(texts[0]))
        for extra in texts[1:]:
            yaml.safe_load(extra)

    base_med = statistics.median(measure(baseline, repeat))
    design_med = statistics.median(measure(lambda: design(bp), repeat))
    print(f"largest example: {file.relative_to(EXAMPLES)} ({count} operations)")
    print(f"baseline yaml.safe_load + pydantic validation: median {base_med * 1000:8.1f} ms")
    print(f"design():                                      median {design_med * 1000:8.1f} ms "
          f"(x{design_med / base_med:.2f} baseline)")
    print(f"target design() < {TARGET_SECONDS:.1f} s: {'met' if design_med < TARGET_SECONDS else 'MISSED'}")


if __name__ == "__main__":
    sys.exit(main())
