"""``run``: drive one agent session from options to a ``RunResult`` (new, continued or resumed)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.exceptions import AgentRunError, UserError
from pydantic_ai.messages import ModelMessage, ModelResponse, repair_messages
from pydantic_ai.settings import ModelSettings

from backend_agent.agents import AgentDefinition, Roster
from backend_agent.backend_tools import backend_tools, stop_services
from backend_agent.errors import BackendAgentError, UsageError
from backend_agent.runtime import assembly
from backend_agent.runtime._engine import build_engine, engine_mode
from backend_agent.runtime.events import (
    EXIT_CODES,
    EventSink,
    RunResult,
    RunStarted,
    UsageReport,
    ignore_events,
)
from backend_agent.runtime.hooks import HookRunner, hook_scripts, load_hooks
from backend_agent.runtime.interaction import QUESTIONER_KEY, Questioner, interaction_tools
from backend_agent.runtime.loop import Budget, BudgetExceeded, LoopProgress, run_segment
from backend_agent.runtime.memory import load_memory
from backend_agent.runtime.models import ResolvedModel, resolve_model
from backend_agent.runtime.prompt import build_system_prompt
from backend_agent.runtime.redact import Redactor
from backend_agent.runtime.script import ScriptFailure
from backend_agent.runtime.sessions import SessionStore
from backend_agent.runtime.state import Asker, RunState
from backend_agent.runtime.subagents import AgentTool
from backend_agent.runtime.toolset import CURRENT_TOOL_USE_ID, GuardedToolset, RuntimeTool, ToolAdapter
from backend_agent.runtime.workflow import Workflow
from backend_agent.settings import Settings
from backend_agent.tools import Tool, ToolContext, ToolSession, default_tools, shutdown_background_jobs

MAX_STOP_CONTINUATIONS = 2


@dataclass
class RunOptions:
    """Everything ``backend-agent run`` can be told; the defaults are a headless run of the lead agent."""

    prompt: str | None = None
    cwd: Path = field(default_factory=Path.cwd)
    agent: str | None = None  # name, definition file, or "auto"
    model: str | None = None
    max_turns: int | None = None
    max_cost: float | None = None
    permission_mode: str | None = None
    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    resume: str | None = None
    continue_last: bool = False
    stream: bool = False  # forward text deltas (interactive rendering)
    compact_at_tokens: int | None = 150_000
    home: Path | None = None
    tools: Sequence[Tool[Any]] | None = None  # default: the built-in tools
    settings: Settings | None = None
    verify_with: list[str] | None = None  # gates that define done (--verify-with); see runtime/workflow.py
    questioner: Questioner | None = None  # answers AskUserQuestion (interactive runs); None: headless
    # Claude Code's command-line settings (docs/runtime.md, "Claude Code flags"):
    ask: list[str] = field(default_factory=list)  # permission rules that ask (from --settings)
    add_dirs: list[Path] = field(default_factory=list)  # --add-dir: more folders the tools may use
    hidden_tools: list[str] = field(default_factory=list)  # --disallowedTools names: not offered at all
    system_prompt: str | None = None  # --system-prompt: replaces the definition's body
    append_system_prompt: str | None = None  # --append-system-prompt
    extra_hooks: list[Any] = field(default_factory=list)  # hooks from --settings
    mcp_servers: dict[str, Any] = field(default_factory=dict)  # --mcp-config servers (approved by naming)
    strict_mcp_config: bool = False  # --strict-mcp-config: only the --mcp-config servers
    fork_session: bool = False  # --fork-session: resume into a new session id
    session_dir: Path | None = None  # --session-dir; default: the user's data folder (see sessions.py)
    checkpoint_key: str | None = None  # a subagent's Agent tool call id: its session is found again on resume


@dataclass
class _Parent:
    """What a subagent inherits from the run that launched it."""

    state: RunState
    model: ResolvedModel
    mode: str
    roster: Roster
    store: SessionStore
    options: RunOptions


async def run(
    options: RunOptions, *, emit: EventSink = ignore_events, asker: Asker | None = None
) -> RunResult:
    """Run (or resume) an agent session; every outcome becomes a RunResult with an exit code.

    Problems a human must fix before anything runs (bad options, unknown agent, no model) raise
    BackendAgentError; problems during the run end it with ``status`` error/max_turns/....
    """
    import pydantic_ai

    pydantic_ai.BANNER_ENABLED = False  # we own the terminal output
    settings = options.settings or Settings.model_validate({})
    workspace = options.cwd.resolve()
    if not workspace.is_dir():
        raise UsageError(f"--cwd {options.cwd} is not a folder", hint="pass an existing workspace folder")
    store = SessionStore.for_workspace(workspace, session_dir=options.session_dir, redactor=Redactor())
    try:
        return await _run(
            options, settings=settings, workspace=workspace, store=store, emit=emit, asker=asker, parent=None
        )
    finally:
        store.close()


async def _run(
    options: RunOptions, *, settings: Settings, workspace: Path, store: SessionStore, emit: EventSink,
    asker: Asker | None, parent: _Parent | None, definition: AgentDefinition | None = None,
) -> RunResult:  # fmt: skip
    warnings: list[str] = []
    prior = None
    if options.resume or options.continue_last:
        prior = store.get(options.resume) if options.resume else store.latest(workspace=workspace)
        if prior is None:
            raise UsageError("there is no earlier session in this workspace to continue",
                             hint="start one with 'backend-agent run \"TASK\"'")  # fmt: skip
    elif not options.prompt and parent is None:
        raise UsageError("a task is needed",
                         hint='pass it as an argument: backend-agent run -p "TASK", or on stdin: '
                              'echo "TASK" | backend-agent run -p')  # fmt: skip
    roster: Roster
    if definition is None:
        agent_name = options.agent or (prior.agent if prior else None)
        definition, roster = assembly.choose_definition(agent_name, prompt=options.prompt or "", cwd=workspace,
                                                        home=options.home, warn=warnings.append)  # fmt: skip
    else:
        assert parent is not None
        roster = parent.roster
    assembly.check_definition_usable(definition)
    model = resolve_model(
        options.model, (prior.model if prior else None), definition.model,
        settings=settings, cwd=workspace, parent=parent.model if parent else None,
        agent=definition.name if parent else None, on_warning=warnings.append, strict_first=options.model is not None,
    )  # fmt: skip
    mode = assembly.resolve_mode(
        options.permission_mode, definition, parent_mode=parent.mode if parent else None
    )
    depth = parent.state.depth + 1 if parent else 0
    available = list(options.tools) if options.tools is not None else default_tools() + backend_tools()
    available = [tool for tool in available if tool.name not in options.hidden_tools]
    plan = assembly.plan_tools(definition, available, may_delegate=depth < settings.subagent_depth)
    if plan.unknown:
        warnings.append(
            f"agent '{definition.name}' lists tools this runtime does not have: {', '.join(plan.unknown)}"
        )
    preloaded, offered = assembly.plan_skills(definition, workspace=workspace, home=options.home,
                                              state_dir_name=settings.state_dir_name, warn=warnings.append)  # fmt: skip
    mcp_toolsets = assembly.plan_mcp(definition, workspace=workspace, warn=warnings.append, home=options.home,
                                     extra=options.mcp_servers, only_extra=options.strict_mcp_config)  # fmt: skip

    if prior is not None:
        session_id, history = prior.id, store.load_messages(prior.id)
        tool_session = ToolSession.model_validate(prior.tool_session or {})
        if options.prompt is None and _finished(history):
            raise UsageError(f"session {prior.id} already finished its last task",
                             hint='pass a new task to continue it: backend-agent run --resume ID "TASK"')  # fmt: skip
        if options.fork_session:  # the same history under a new id; the original stays as it was
            session_id = store.create(workspace=workspace, agent=definition.name, model=model.reference,
                                      title=prior.title, parent_id=None)  # fmt: skip
            store.save_step(session_id, history, tool_session=tool_session.model_dump(mode="json"))
    else:
        title = options.prompt or ""
        session_id = store.create(workspace=workspace, agent=definition.name, model=model.reference, title=title,
                                  parent_id=parent.state.session_id if parent else None,
                                  checkpoint_key=options.checkpoint_key)  # fmt: skip
        history, tool_session = [], ToolSession()
    store.hold(session_id)  # a second `--resume` of this session while it runs is refused (released on close)
    tool_context = ToolContext(
        workspace=workspace, session=tool_session, state_dir=workspace / settings.state_dir_name
    )
    hooks = HookRunner(load_hooks(workspace, state_dir_name=settings.state_dir_name, definition_hooks=definition.hooks,
                                  definition_source=f"{definition.source_path or definition.name} (frontmatter)",
                                  home=options.home) + list(options.extra_hooks),
                       cwd=workspace, session_id=session_id,
                       transcript=lambda: store.write_transcript(session_id))  # fmt: skip
    tool_context.protected_extra = hook_scripts(hooks.commands, workspace)
    engine = build_engine(mode=mode, definition=definition, workspace=workspace, allow=options.allow, deny=options.deny,
                          home=options.home, ask=options.ask, extra_dirs=options.add_dirs)  # fmt: skip
    # --add-dir and the settings' additionalDirectories: the tools may use them like the workspace.
    tool_context.extra_dirs = list(getattr(engine, "roots", [workspace])[1:])
    mode = engine_mode(engine)
    if hasattr(engine, "extra_protected"):
        engine.extra_protected = list(tool_context.protected_extra)  # hook scripts: changing them needs approval
    tool_context.protect_settings = mode != "bypassPermissions"  # protected paths hold short of bypass
    workflow = _workflow(options, definition, depth=depth, session_id=session_id, workspace=workspace, emit=emit)
    if workflow is not None:
        emit = workflow.sink  # milestones are reported as the agent's tool calls complete phases
    state = RunState(session_id=session_id, agent_name=definition.name, tool_context=tool_context, store=store,
                     engine=engine, hooks=hooks, emit=emit, asker=asker, permission_mode=mode, depth=depth)  # fmt: skip

    me = _Parent(state, model, mode, roster, store, options)
    runtime_tools = _runtime_tools(
        plan, offered, definition=definition, parent=me, settings=settings, workspace=workspace
    )
    if parent is None:  # only the main agent talks to the user
        runtime_tools += interaction_tools(granted=definition.tools, permission_mode=mode,
                                           interactive=options.questioner is not None)  # fmt: skip
        state.extras[QUESTIONER_KEY] = options.questioner
    adapter = ToolAdapter(plan.builtins, runtime_tools)
    from pydantic_ai.toolsets import CombinedToolset

    guarded = GuardedToolset(CombinedToolset([adapter, *mcp_toolsets]))
    tool_names = adapter.names + [f"mcp:{getattr(t, 'id', None) or 'server'}" for t in mcp_toolsets]
    system_prompt = build_system_prompt(body=options.system_prompt or definition.system_prompt, workspace=workspace,
                                        tools=adapter.names, permission_mode=mode, skills=preloaded,
                                        extra=options.append_system_prompt or "",
                                        memory=load_memory(workspace, options.home))  # fmt: skip
    model_settings: ModelSettings = {}
    if definition.temperature is not None:
        model_settings["temperature"] = definition.temperature
    if definition.top_p is not None:
        model_settings["top_p"] = definition.top_p
    agent: Agent[RunState, str] = Agent(
        model.model, instructions=system_prompt, toolsets=[guarded], deps_type=RunState, output_type=str,
        retries={"tools": 3, "output": 2}, model_settings=model_settings or None, name=definition.name,
    )  # fmt: skip

    emit(RunStarted(session_id=session_id, agent=definition.name, model=model.reference, tools=tool_names,
                    cwd=str(workspace), permission_mode=mode, resumed=prior is not None))  # fmt: skip
    for warning in warnings:
        state.warn(warning)
    budget = Budget(
        max_turns=options.max_turns or definition.max_turns or settings.max_turns, max_cost=options.max_cost
    )
    started = time.monotonic()
    progress = LoopProgress(messages=list(history))
    status: str = "interrupted"  # unless _drive returns
    error: str | None = "the run was interrupted"

    def save(messages: list[ModelMessage]) -> None:
        store.save_step(session_id, messages, tool_session=tool_context.session.model_dump(mode="json"),
                        usage=_usage(progress, state).model_dump())  # fmt: skip

    try:
        status, error = await _drive(agent, options=options, history=history, state=state, budget=budget,
                                     progress=progress, save=save, hooks=hooks, prior=prior is not None)  # fmt: skip
        if workflow is not None:
            status, error = await _verify(workflow, status, error, agent=agent, state=state, budget=budget,
                                          progress=progress, save=save, options=options)  # fmt: skip
    finally:
        shutdown_background_jobs(tool_context.session)
        stop_services(tool_context.session)
        if status == "success" and state.last_call_denied and progress.turns:
            status = "permission_denied"
        result = _result(status, error, progress=progress, state=state, model=model, started=started)
        if workflow is not None:
            result.milestones, result.verification = workflow.milestones, workflow.verification
        # One redaction pass over what is stored and printed (the result text, errors, denials).
        result = RunResult.model_validate(store.redactor.data(result.model_dump(mode="json")))
        store.finish(session_id, status=status, result=result.model_dump(mode="json"))
        if parent is None and hooks.has("SessionEnd"):
            try:
                ended = await hooks.run("SessionEnd", payload={"reason": "other", "status": status})
                for warning in ended.warnings:
                    result.warnings.append(warning)
            except BaseException:  # a second interruption while ending: skip the hook
                pass
        emit(result)
    return result


async def _drive(
    agent: Agent[RunState, str], *, options: RunOptions, history: list[ModelMessage], state: RunState,
    budget: Budget, progress: LoopProgress, save: Any, hooks: HookRunner, prior: bool,
) -> tuple[str, str | None]:  # fmt: skip
    """Run segments until the agent stops (Stop hooks may send it back to work); (status, error)."""
    prompt = options.prompt
    start = await hooks.run("SessionStart", payload={"source": "resume" if prior else "startup"})
    for warning in [*start.warnings, *start.system_messages]:
        state.warn(warning)
    if start.stop:
        return "error", f"the SessionStart hook stopped the run: {start.stop_reason}"
    if prompt is not None:
        submitted = await hooks.run("UserPromptSubmit", payload={"prompt": prompt})
        for warning in [*submitted.warnings, *submitted.system_messages]:
            state.warn(warning)
        if submitted.stop:
            return "error", f"the UserPromptSubmit hook stopped the run: {submitted.stop_reason}"
        if submitted.blocked:
            return "error", f"the UserPromptSubmit hook blocked the prompt: {submitted.feedback}"
        extra = "\n".join(t for t in (start.context, submitted.context) if t.strip())
        prompt = f"{prompt}\n\n{extra.strip()}" if extra.strip() else prompt
    if prompt is not None and history and isinstance(history[-1], ModelResponse) and history[-1].tool_calls:
        history = repair_messages(history)  # a new prompt after an interrupted tool call
    stop_event = "SubagentStop" if state.depth else "Stop"
    compact_at = _compaction_limit(agent, options.compact_at_tokens)
    try:
        for attempt in range(MAX_STOP_CONTINUATIONS + 1):
            await run_segment(agent, prompt=prompt, history=history, state=state, budget=budget, progress=progress,
                              save=save, stream=options.stream, compact_at_tokens=compact_at)  # fmt: skip
            stop = await hooks.run(
                stop_event, payload={"stop_hook_active": attempt > 0, "result": progress.output}
            )
            for warning in [*stop.warnings, *stop.system_messages]:
                state.warn(warning)
            if stop.stop or not stop.blocked or attempt == MAX_STOP_CONTINUATIONS:
                return "success", None
            prompt, history = f"[{stop_event} hook] {stop.feedback}", progress.messages
    except BudgetExceeded as signal:
        return signal.kind, str(signal)
    except ScriptFailure as exc:
        return "error", str(exc)
    except (AgentRunError, UserError) as exc:
        return "error", f"{type(exc).__name__}: {exc}"
    except BackendAgentError as exc:
        return "error", str(exc)
    except BaseException:
        progress.output = progress.output or progress.last_text
        raise
    return "success", None


def _workflow(options: RunOptions, definition: AgentDefinition, *, depth: int, session_id: str, workspace: Path,
              emit: EventSink) -> Workflow | None:  # fmt: skip
    """The phased workflow of a top-level run of the lead agent, or of any run given --verify-with."""
    if depth or not (options.verify_with or definition.name == assembly.LEAD_AGENT):
        return None
    return Workflow(session_id=session_id, workspace=workspace, emit=emit, verify_with=options.verify_with)


async def _verify(
    workflow: Workflow, status: str, error: str | None, *, agent: Agent[RunState, str], state: RunState,
    budget: Budget, progress: LoopProgress, save: Any, options: RunOptions,
) -> tuple[str, str | None]:  # fmt: skip
    """Hold the run to its gates: send the agent back while they fail, within the budget."""
    compact_at = _compaction_limit(agent, options.compact_at_tokens)

    async def resume(prompt: str) -> tuple[str, str | None]:
        try:
            await run_segment(agent, prompt=prompt, history=progress.messages, state=state, budget=budget,
                              progress=progress, save=save, stream=options.stream, compact_at_tokens=compact_at)  # fmt: skip
        except BudgetExceeded as signal:
            return signal.kind, str(signal)
        except (ScriptFailure, AgentRunError, UserError, BackendAgentError) as exc:
            return "error", str(exc)
        return "success", None

    status, error, note = await workflow.finish(status, error, resume=resume)
    if note:
        progress.output = f"{(progress.output or progress.last_text).rstrip()}\n\n{note}".lstrip()
    return status, error


def _runtime_tools(
    plan: assembly.ToolPlan, offered: dict[str, Any], *, definition: AgentDefinition, parent: _Parent,
    settings: Settings, workspace: Path,
) -> list[RuntimeTool]:  # fmt: skip
    """The Agent/Task delegation tools (when the definition may delegate) and the Skill tool."""
    tools: list[RuntimeTool] = []
    if plan.agent_tool_name:
        subroster = assembly.subagent_roster(parent.roster, definition)
        if subroster:
            launch = _launcher(parent, settings, workspace)
            # "Task" is the older name of "Agent"; definitions and models use both.
            tools += [AgentTool(subroster, launch, name="Agent"), AgentTool(subroster, launch, name="Task")]
    skill_tool = assembly.make_skill_tool(offered) if plan.skill_tool else None
    if skill_tool is not None:
        tools.append(skill_tool)
    return tools


def _compaction_limit(agent: Agent[RunState, str], configured: int | None) -> int | None:
    """Compact at the configured size or at 80 % of the model's known context window, whichever is lower."""
    if configured is None:
        return None
    model = agent.model
    profile = getattr(model, "profile", None) if model is not None and not isinstance(model, str) else None
    window = profile.get("context_window") if isinstance(profile, dict) else None
    return min(configured, int(window * 0.8)) if isinstance(window, int) and window > 0 else configured


def _finished(history: list[ModelMessage]) -> bool:
    """The conversation ends with a final answer (no tool call waiting for its result)."""
    return bool(history) and isinstance(history[-1], ModelResponse) and not history[-1].tool_calls


def _usage(progress: LoopProgress, state: RunState) -> UsageReport:
    usage = progress.usage
    return UsageReport(
        input_tokens=usage.input_tokens + state.subagent_usage.get("input_tokens", 0),
        output_tokens=usage.output_tokens + state.subagent_usage.get("output_tokens", 0),
        requests=usage.requests,
        tool_calls=state.tool_calls,
    )


def _result(status: str, error: str | None, *, progress: LoopProgress, state: RunState, model: ResolvedModel,
            started: float) -> RunResult:  # fmt: skip
    cost = (progress.cost + state.subagent_cost) if progress.cost_known else None
    return RunResult(
        status=status,
        is_error=status != "success",
        exit_code=EXIT_CODES[status],
        result=progress.output or progress.last_text,
        session_id=state.session_id,
        agent=state.agent_name,
        model=model.reference,
        turns=progress.turns,
        tool_calls=state.tool_calls,
        usage=_usage(progress, state),
        cost_usd=cost,
        duration_ms=int((time.monotonic() - started) * 1000),
        permission_denials=state.denials,
        error=error,
        warnings=list(state.warnings),
    )


def _launcher(parent: _Parent, settings: Settings, workspace: Path) -> Any:
    async def launch(defn: AgentDefinition, prompt: str, caller: RunState) -> RunResult:
        options = RunOptions(prompt=prompt, cwd=workspace, home=parent.options.home, tools=parent.options.tools,
                             settings=settings, compact_at_tokens=parent.options.compact_at_tokens,
                             allow=parent.options.allow, deny=parent.options.deny, ask=parent.options.ask,
                             add_dirs=parent.options.add_dirs, hidden_tools=parent.options.hidden_tools)  # fmt: skip

        parent_tool_use_id = CURRENT_TOOL_USE_ID.get()
        if parent_tool_use_id:  # checkpointed: a resumed parent finds this subagent's session again
            options.checkpoint_key = f"{caller.session_id}:{parent_tool_use_id}"
            earlier = parent.store.find_checkpoint(caller.session_id, options.checkpoint_key)
            if earlier is not None and earlier.result and earlier.status not in ("running", "interrupted"):
                return RunResult.model_validate(earlier.result)  # it finished before the parent was stopped
            if earlier is not None:
                options.resume = earlier.id
                options.prompt = None if earlier.message_count else prompt

        def forward(event: BaseModel) -> None:
            if event.__class__.__name__ in ("RunStarted", "RunResult", "TextDelta"):
                return
            if getattr(event, "parent_tool_use_id", "") is None:  # nested subagents keep their own
                event = event.model_copy(update={"parent_tool_use_id": parent_tool_use_id})
            caller.emit(event)

        result = await _run(options, settings=settings, workspace=workspace, store=parent.store, emit=forward,
                            asker=caller.asker, parent=parent, definition=defn)  # fmt: skip
        for key in ("input_tokens", "output_tokens"):
            caller.subagent_usage[key] = caller.subagent_usage.get(key, 0) + getattr(result.usage, key)
        caller.subagent_cost += result.cost_usd or 0.0
        return result

    return launch


__all__ = ["RunOptions", "run"]
