"""Loaded into the checked service by the performance doctor (its folder is put on PYTHONPATH).

Only active when BA_DOCTOR_TRACE_DIR is set. It records every SQL statement SQLAlchemy sends
(wall-clock start, duration, text, parameters) and samples the stacks of busy threads every few
milliseconds, classifying each sample as database or Python time. Both go to JSON-lines files in
that folder, one pair per process, written line by line so nothing is lost when the service is
killed. It must work in any interpreter the project uses, so it imports nothing outside the
standard library except SQLAlchemy, and only when the project has it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any

_DIR = os.environ.get("BA_DOCTOR_TRACE_DIR")
_ROOT = os.environ.get("BA_DOCTOR_PROJECT_ROOT", "")
_INTERVAL_S = float(os.environ.get("BA_DOCTOR_SAMPLE_INTERVAL_S", "0.004"))
_IDLE_FILES = ("selectors.py", "threading.py", "queue.py", "socket.py", "base_events.py")
_DB_FUNCS = frozenset(
    {
        "do_execute",
        "do_execute_no_params",
        "do_executemany",
        "fetchall",
        "fetchone",
        "fetchmany",
        "_fetchall_impl",
        "_fetchone_impl",
        "_fetchmany_impl",
    }
)
_SERVING = ("/starlette/", "/fastapi/", "/sqlalchemy/", "/django/", "/flask/")
_DB_PACKAGES = ("/psycopg/", "/psycopg2/", "/asyncpg/", "/pymysql/", "/aiosqlite/", "/sqlite3/")


class _Lines:
    """An append-only JSON-lines file shared by the threads of one process."""

    def __init__(self, path: str) -> None:
        self._file = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - lives with the process
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, default=str)
        with self._lock:
            self._file.write(line + "\n")


def _jsonable(params: Any) -> Any:
    if isinstance(params, dict):
        return {str(k): _jsonable(v) for k, v in params.items()}
    if isinstance(params, list | tuple):
        return [_jsonable(v) for v in params]
    if params is None or isinstance(params, bool | int | float | str):
        return params
    return str(params)


def _install_sql_events(out: _Lines) -> None:
    try:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
    except Exception:  # the project does not use SQLAlchemy: samples only
        return
    local = threading.local()

    def before(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        local.start = (time.time(), time.perf_counter())

    def after(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        wall, began = getattr(local, "start", (time.time(), time.perf_counter()))
        out.write(
            {
                "t": wall,
                "d": time.perf_counter() - began,
                "sql": statement,
                "p": None if executemany else _jsonable(parameters),
                "many": executemany,
                "dialect": conn.dialect.name,
            }
        )

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)


def _classify(frame: Any) -> tuple[str, str] | None:
    """("db" | "py", where) for a busy thread's stack, None when the thread is idle."""
    top = frame.f_code.co_filename
    if top.endswith(_IDLE_FILES) and frame.f_code.co_name in (
        "select",
        "wait",
        "get",
        "_wait_for_tstate_lock",
        "accept",
        "run_forever",
        "_run_once",
        "poll",
    ):
        return None
    kind, where, serving = "py", "", False
    innermost = f"{_short(top)}:{frame.f_code.co_name}"
    while frame is not None:
        code = frame.f_code
        name = code.co_filename
        serving = (
            serving or any(part in name for part in _SERVING) or (bool(_ROOT) and name.startswith(_ROOT))
        )
        if kind == "py" and (
            (code.co_name in _DB_FUNCS and "/sqlalchemy/engine/" in name)
            or any(p in name for p in _DB_PACKAGES)
        ):
            kind = "db"
        if not where and _ROOT and name.startswith(_ROOT) and "/site-packages/" not in name:
            where = f"{os.path.relpath(name, _ROOT)}:{code.co_name}"
        frame = frame.f_back
    if not serving:  # a thread that is not handling a request (relays, pools, the sampler's peers)
        return None
    return kind, where or innermost


def _short(filename: str) -> str:
    marker = "site-packages" + os.sep
    return filename.split(marker, 1)[1] if marker in filename else os.path.basename(filename)


def _sampler(out: _Lines) -> None:
    me = threading.get_ident()
    while True:
        time.sleep(_INTERVAL_S)
        now = time.time()
        for ident, frame in sys._current_frames().items():
            if ident == me:
                continue
            found = _classify(frame)
            if found is not None:
                out.write({"t": now, "k": found[0], "w": found[1]})


def _start(directory: str) -> None:
    pid = os.getpid()
    _install_sql_events(_Lines(os.path.join(directory, f"sql-{pid}.jsonl")))
    samples = _Lines(os.path.join(directory, f"samples-{pid}.jsonl"))
    threading.Thread(target=_sampler, args=(samples,), name="ba-doctor-sampler", daemon=True).start()


if _DIR and os.path.isdir(_DIR):
    try:
        _start(_DIR)
    except Exception as exc:  # never break the service being measured
        sys.stderr.write(f"backend-agent doctor: tracing disabled: {exc}\n")
