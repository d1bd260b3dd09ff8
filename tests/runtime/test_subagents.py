"""The Agent/Task tool delegates to another definition with its own, narrower tools."""

from __future__ import annotations

from pathlib import Path

from backend_agent.runtime import SessionStore
from tests.runtime.conftest import write_script


def add_agent(workspace: Path, name: str, tools: str, body: str = "You read files.") -> None:
    folder = workspace / ".claude" / "agents"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(
        f"---\nname: {name}\ndescription: {name} agent\ntools: {tools}\n---\n{body}\n"
    )


def test_delegation_with_a_narrower_tool_set(workspace: Path, run_agent) -> None:
    add_agent(workspace, "reader", "Read, Grep")
    add_agent(workspace, "lead", "Read, Agent(reader)")
    (workspace / "facts.txt").write_text("the answer is 42\n")
    write_script(
        workspace,
        [
            {"tool_calls": [{"tool": "Agent", "input": {"subagent_type": "reader", "prompt": "find the answer", "description": "find"}}]},
            {"expect": {"tool": "Agent", "ok": True, "contains": "answer is 42"}, "text": "The reader found 42."},
        ],
        subagents={"reader": [
            {"tool_calls": [{"tool": "Read", "input": {"file_path": "facts.txt"}},
                            {"tool": "Bash", "input": {"command": "touch hacked"}}]},
            {"expect": [{"tool": "Read", "ok": True, "contains": "42"}, {"tool": "Bash", "ok": False}],
             "text": "the answer is 42"},
        ]},
    )  # fmt: skip
    result, events = run_agent(workspace, agent="lead", permission_mode="bypassPermissions")
    assert result.status == "success", result.error
    assert not (workspace / "hacked").exists()
    sub_results = [e for e in events.of("tool_result") if e.agent == "reader"]
    assert [e.name for e in sub_results] == ["Read"]  # Bash was not offered to the reader at all
    assert result.usage.input_tokens > 0
    with SessionStore.for_workspace(workspace) as store:
        children = store.export(result.session_id)["subagent_sessions"]
        assert len(children) == 1
        child = store.get(children[0])
        assert child.agent == "reader" and child.parent_id == result.session_id and child.status == "success"


def test_subagent_is_never_more_permissive(workspace: Path, run_agent) -> None:
    folder = workspace / ".claude" / "agents"
    folder.mkdir(parents=True)
    (folder / "writer.md").write_text(
        "---\nname: writer\ndescription: writes\ntools: Write\npermissionMode: bypassPermissions\n---\nWrite files.\n"
    )
    add_agent(workspace, "boss", "Agent")
    write_script(
        workspace,
        [
            {"tool_calls": [{"tool": "Agent", "input": {"subagent_type": "writer", "prompt": "write x"}}]},
            {"expect": {"tool": "Agent", "ok": True, "contains": "denied"}, "text": "done"},
        ],
        subagents={"writer": [
            {"tool_calls": [{"tool": "Write", "input": {"file_path": "x.txt", "content": "x"}}]},
            {"expect": {"tool": "Write", "ok": False}, "text": "write was denied"},
        ]},
    )  # fmt: skip
    # the parent runs headless in default mode; the writer's bypassPermissions is clamped to it
    result, _ = run_agent(workspace, agent="boss", permission_mode="default", allow=["Agent"])
    assert result.status == "success", result.error
    assert not (workspace / "x.txt").exists()


def test_independent_delegations_run_concurrently(workspace: Path, run_agent) -> None:
    add_agent(workspace, "sleeper", "Bash")
    add_agent(workspace, "lead", "Agent")
    call = {"tool": "Agent", "input": {"subagent_type": "sleeper", "prompt": "sleep"}}
    write_script(
        workspace,
        [{"tool_calls": [call, call]}, {"expect": {"tool": "Agent", "ok": True}, "text": "both done"}],
        subagents={"sleeper": [
            {"tool_calls": [{"tool": "Bash", "input": {"command": "sleep 1"}}]},
            {"text": "slept"},
        ]},
    )  # fmt: skip
    result, events = run_agent(workspace, agent="lead", permission_mode="bypassPermissions")
    assert result.status == "success", result.error
    bash = [e for e in events.of("tool_result") if e.name == "Bash"]
    assert len(bash) == 2
    # both sleeps started before either finished
    order = [(e.type, e.name) for e in events.events if getattr(e, "name", None) == "Bash"]
    assert order[:2] == [("tool_call", "Bash"), ("tool_call", "Bash")]


def test_task_alias_and_definition_hooks_apply_to_that_agent_only(workspace: Path, run_agent) -> None:
    folder = workspace / ".claude" / "agents"
    folder.mkdir(parents=True)
    (folder / "guarded.md").write_text(
        "---\nname: guarded\ndescription: reads nothing\ntools: Read\nhooks:\n  PreToolUse:\n"
        "    - matcher: Read\n      hooks:\n        - type: command\n          command: \"echo 'guarded agents may not read' >&2; exit 2\"\n"
        "---\nYou are guarded.\n"
    )
    add_agent(workspace, "lead", "Read, Task")
    (workspace / "a.txt").write_text("alpha\n")
    write_script(
        workspace,
        [
            {"tool_calls": [{"tool": "Read", "input": {"file_path": "a.txt"}},
                            {"tool": "Task", "input": {"subagent_type": "guarded", "prompt": "read a.txt"}}]},
            {"expect": [{"tool": "Read", "ok": True, "contains": "alpha"},
                        {"tool": "Task", "ok": True, "contains": "blocked: guarded agents may not read"}],
             "text": "done"},
        ],
        subagents={"guarded": [
            {"tool_calls": [{"tool": "Read", "input": {"file_path": "a.txt"}}]},
            {"expect": {"tool": "Read", "ok": False, "contains": "guarded agents may not read"},
             "text": "blocked: guarded agents may not read"},
        ]},
    )  # fmt: skip
    result, events = run_agent(workspace, agent="lead", permission_mode="acceptEdits")
    assert result.status == "success", result.error
    assert {"Task", "Agent"} <= set(events.of("system")[0].tools)


def _nested_script(workspace: Path, *, middle_expects: dict) -> None:
    (workspace / "facts.txt").write_text("the answer is 42\n")
    write_script(
        workspace,
        [
            {"tool_calls": [{"tool": "Agent", "input": {"subagent_type": "middle", "prompt": "ask the reader"}}]},
            {"text": "lead done"},
        ],
        subagents={
            "middle": [
                {"tool_calls": [{"tool": "Agent", "input": {"subagent_type": "reader", "prompt": "read facts.txt"}}]},
                {"expect": middle_expects, "text": "middle done"},
            ],
            "reader": [
                {"tool_calls": [{"tool": "Read", "input": {"file_path": "facts.txt"}}]},
                {"text": "reader done"},
            ],
        },
    )  # fmt: skip


def test_default_depth_1_lets_only_the_lead_delegate(workspace: Path, run_agent) -> None:
    add_agent(workspace, "reader", "Read")
    add_agent(workspace, "middle", "Read, Agent")
    add_agent(workspace, "lead", "Agent")
    _nested_script(workspace, middle_expects={"tool": "Agent", "ok": False, "contains": "Unknown tool"})
    result, events = run_agent(workspace, agent="lead", permission_mode="bypassPermissions")
    assert result.status == "success", result.error
    assert [e.name for e in events.of("tool_result") if e.agent == "middle"] == []  # Agent was not offered
    assert not [e for e in events.of("tool_result") if e.agent == "reader"]


def test_depth_2_lets_a_subagent_delegate_and_subagent_stop_hooks_run(workspace: Path, run_agent) -> None:
    from backend_agent.settings import Settings

    add_agent(workspace, "reader", "Read")
    add_agent(workspace, "middle", "Read, Agent")
    add_agent(workspace, "lead", "Agent")
    _nested_script(workspace, middle_expects={"tool": "Agent", "ok": True, "contains": "reader done"})
    (workspace / ".backend-agent").mkdir(exist_ok=True)
    (workspace / ".backend-agent" / "settings.json").write_text(
        '{"hooks": {"SubagentStop": [{"hooks": [{"type": "command", "command": "cat >> stops.jsonl; echo >> stops.jsonl"}]}]}}'
    )
    result, events = run_agent(
        workspace, agent="lead", permission_mode="bypassPermissions", settings=Settings(subagent_depth=2)
    )
    assert result.status == "success", result.error
    reader = [e for e in events.of("tool_result") if e.agent == "reader"]
    assert [(e.name, e.ok) for e in reader] == [("Read", True)]
    stops = [line for line in (workspace / "stops.jsonl").read_text().splitlines() if line.strip()]
    assert len(stops) == 2 and all('"SubagentStop"' in line for line in stops)  # reader, then middle; not the lead


def test_the_roster_lists_name_description_and_tools(workspace: Path) -> None:
    from backend_agent.runtime.subagents import AgentTool

    add_agent(workspace, "reader", "Read, Grep")
    from backend_agent.agents import load_definition

    reader = load_definition(workspace / ".claude" / "agents" / "reader.md")
    tool = AgentTool({"reader": reader}, launcher=None)  # type: ignore[arg-type]
    assert "- reader: reader agent (tools: Read, Grep)" in tool.description
