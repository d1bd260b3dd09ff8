"""The ``script:PATH`` model: replays a YAML/JSON file of model turns, checking what it receives.

The format is documented in docs/script-model.md. The turn to play is derived from the message
history (the number of model responses so far), so a resumed session continues where it stopped.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel
from pydantic_ai.usage import RequestUsage

from backend_agent.errors import ConfigError, Location, Problem

COMPACTION_MARK = re.compile(r"\[compacted: (\d+) earlier model responses\]")


class ScriptFailure(Exception):
    """A signal: the script's expectation about a tool result failed, or it ran out of turns."""


class Expectation(BaseModel):
    """What a turn expects of the tool results it receives (all given fields must hold)."""

    model_config = ConfigDict(extra="forbid")

    tool: str | None = None
    ok: bool | None = None
    contains: str | None = None
    not_contains: str | None = None
    matches: str | None = None

    @field_validator("matches")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"'matches' is not a valid regular expression: {exc}") from None
        return value

    def check(self, result: dict[str, Any]) -> str | None:
        """None when ``result`` satisfies this expectation, else what differs."""
        if self.ok is not None and result["ok"] != self.ok:
            return f"ok is {result['ok']}, expected {self.ok}"
        text = result["output"]
        if self.contains is not None and self.contains not in text:
            return f"output does not contain {self.contains!r}"
        if self.not_contains is not None and self.not_contains in text:
            return f"output contains {self.not_contains!r}"
        if self.matches is not None and not re.search(self.matches, text):
            return f"output does not match /{self.matches}/"
        return None


class ScriptToolCall(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    tool: str = Field(alias="tool")
    input: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if "name" in data and "tool" not in data:
                data["tool"] = data.pop("name")
            if "args" in data and "input" not in data:
                data["input"] = data.pop("args")
        return data


class ScriptUsage(BaseModel):
    """Token counts a scripted response reports (estimated when a turn has none)."""

    model_config = ConfigDict(extra="forbid")

    input_tokens: int = Field(0, ge=0)
    output_tokens: int = Field(0, ge=0)


class ScriptTurn(BaseModel):
    """One model response: optional text, optional tool calls, optional expectations and usage."""

    model_config = ConfigDict(extra="forbid")

    text: str = ""
    tool_calls: list[ScriptToolCall] = Field(default_factory=list)
    expect: list[Expectation] = Field(default_factory=list)
    usage: ScriptUsage | None = None

    @field_validator("expect", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    turns: list[ScriptTurn]
    subagents: dict[str, list[ScriptTurn]] = Field(default_factory=dict)
    price_as: str | None = (
        None  # price responses as this model (e.g. claude-sonnet-4-5) to exercise --max-cost
    )

    @field_validator("price_as")
    @classmethod
    def _priced(cls, value: str | None) -> str | None:
        if value is not None:
            probe = ModelResponse(parts=[TextPart("")], model_name=value, usage=RequestUsage(input_tokens=1))
            try:
                probe.cost()
            except LookupError:
                raise ValueError(
                    f"no price is known for model {value!r}; use a priced model id such as claude-sonnet-4-5 or gpt-4o"
                ) from None
        return value


def load_script(path: Path) -> Script:
    """Parse a script file; a malformed one is a ConfigError naming the file and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the script model file {path}: {exc.strerror or exc}",
            hint="pass --model script:PATH with an existing YAML or JSON file (see docs/script-model.md)",
        ) from exc
    try:
        raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        line = line + 1 if isinstance(line, int) else getattr(exc, "lineno", None)
        raise ConfigError(
            "the script model file is not valid YAML/JSON",
            problems=[Problem(str(exc).splitlines()[0], Location(str(path), line))],
            hint="fix the syntax; see docs/script-model.md for the format",
        ) from exc
    shorthand = isinstance(raw, list)
    if shorthand:
        raw = {"turns": raw}
    try:
        return Script.model_validate(raw)
    except ValidationError as exc:
        lines = _node_lines(text, shorthand=shorthand)
        problems = [
            Problem(
                _explain(err),
                Location(str(path), _nearest_line(lines, err["loc"]), key_path=".".join(str(p) for p in err["loc"])),
            )
            for err in exc.errors()
        ]
        raise ConfigError(
            "the script model file does not match the format",
            problems=problems,
            hint="write a list of turns, or a mapping with 'turns' (and optional 'subagents'); see docs/script-model.md",
        ) from exc


ALIASES = {"name": "tool", "args": "input"}  # ScriptToolCall's alternative field names


def _node_lines(text: str, *, shorthand: bool) -> dict[tuple[Any, ...], int]:
    """1-based line of every mapping key and list item, by validation path (YAML and JSON alike)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    lines: dict[tuple[Any, ...], int] = {}

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = ALIASES.get(key.value, key.value)
                lines[(*path, name)] = key.start_mark.line + 1
                walk(value, (*path, name))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    if root is not None:
        walk(root, ("turns",) if shorthand else ())
    return lines


def _explain(err: Any) -> str:
    """A validation error as a sentence; an unknown field lists the fields allowed there."""
    if err["type"] != "extra_forbidden":
        return str(err["msg"]).removeprefix("Value error, ")
    names = [p for p in err["loc"][:-1] if isinstance(p, str)]
    parent = names[-1] if names else None
    models: dict[str | None, type[BaseModel]] = {
        "expect": Expectation, "tool_calls": ScriptToolCall, "usage": ScriptUsage, None: Script,
    }  # fmt: skip
    model = models.get(parent, ScriptTurn)
    return f"unknown field {err['loc'][-1]!r}; expected one of: {', '.join(model.model_fields)}"


def _nearest_line(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    """The line of ``loc``, or of its nearest ancestor present in the file."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def received_results(messages: Sequence[ModelMessage]) -> list[dict[str, Any]]:
    """The tool results in the last request of ``messages``: name, ok and output text."""
    if not messages or not isinstance(messages[-1], ModelRequest):
        return []
    results = []
    for part in messages[-1].parts:
        if part.part_kind == "tool-return":
            outcome = getattr(part, "outcome", "success")
            text = part.model_response_str(wrap_if_error=False)
            results.append({"tool": part.tool_name, "ok": outcome == "success", "output": text})
        elif part.part_kind == "retry-prompt" and part.tool_name:
            results.append({"tool": part.tool_name, "ok": False, "output": part.model_response()})
    return results


def turn_index(messages: Sequence[ModelMessage]) -> int:
    """How many model responses the conversation already holds (compacted ones included)."""
    count = 0
    for message in messages:
        if isinstance(message, ModelResponse):
            count += 1
        else:
            for part in message.parts:
                if part.part_kind == "user-prompt" and isinstance(part.content, str):
                    mark = COMPACTION_MARK.search(part.content)
                    if mark:
                        count += int(mark.group(1))
    return count


class ScriptPlayer:
    """Plays the turns of one script section; the FunctionModel callbacks."""

    def __init__(self, path: Path, turns: list[ScriptTurn], label: str) -> None:
        self.path = path
        self.turns = turns
        self.label = label

    def _turn(self, messages: Sequence[ModelMessage]) -> tuple[int, ScriptTurn]:
        index = turn_index(messages)
        if index >= len(self.turns):
            raise ScriptFailure(
                f"script {self.path} ({self.label}) has {len(self.turns)} turns but the model was asked for "
                f"turn {index + 1}; end the script with a turn that has text and no tool calls"
            )
        turn = self.turns[index]
        results = received_results(messages)
        for expectation in turn.expect:
            candidates = [r for r in results if expectation.tool in (None, r["tool"])]
            problems = [expectation.check(r) for r in candidates]
            if not candidates or all(problems):
                seen = "; ".join(f"{r['tool']} ok={r['ok']}: {r['output'][:300]!r}" for r in candidates)
                why = problems[0] if problems and problems[0] else "no result from that tool was received"
                raise ScriptFailure(
                    f"script {self.path} ({self.label}) turn {index + 1}: expectation "
                    f"{expectation.model_dump(exclude_none=True)} failed: {why}"
                    + (f" (received: {seen})" if seen else "")
                )
        return index, turn

    def _response(self, index: int, turn: ScriptTurn) -> ModelResponse:
        parts: list[TextPart | ToolCallPart] = []
        if turn.text:
            parts.append(TextPart(turn.text))
        for number, call in enumerate(turn.tool_calls):
            call_id = call.id or f"script-{index + 1}-{number + 1}"
            parts.append(ToolCallPart(call.tool, dict(call.input), tool_call_id=call_id))
        if not parts:
            parts.append(TextPart(""))
        response = ModelResponse(parts=parts)
        if turn.usage:
            response.usage = RequestUsage(
                input_tokens=turn.usage.input_tokens, output_tokens=turn.usage.output_tokens
            )
        return response

    def respond(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        index, turn = self._turn(messages)
        return self._response(index, turn)

    async def stream(
        self, messages: list[ModelMessage], info: AgentInfo
    ) -> AsyncIterator[str | DeltaToolCalls]:
        index, turn = self._turn(messages)
        for chunk in re.findall(r"\S+\s*|\s+", turn.text):
            yield chunk
        for number, call in enumerate(turn.tool_calls):
            call_id = call.id or f"script-{index + 1}-{number + 1}"
            yield {number: DeltaToolCall(call.tool, json.dumps(call.input), tool_call_id=call_id)}
        if not turn.text and not turn.tool_calls:
            yield ""


def script_model(path: Path, *, agent: str | None = None) -> FunctionModel:
    """A FunctionModel replaying ``path``; ``agent`` selects a subagent's section of the script."""
    script = load_script(path)
    if agent is not None:
        if agent not in script.subagents:
            raise ConfigError(
                f"script {path} has no turns for subagent {agent!r}",
                hint=f"add 'subagents: {{{agent}: [...]}}' to the script (known: {sorted(script.subagents) or 'none'})",
            )
        player = ScriptPlayer(path, script.subagents[agent], f"subagent {agent}")
    else:
        player = ScriptPlayer(path, script.turns, "main")
    name = script.price_as or f"script:{path}" + (f"#{agent}" if agent else "")
    return FunctionModel(player.respond, stream_function=player.stream, model_name=name)


__all__ = [
    "Expectation",
    "Script",
    "ScriptFailure",
    "ScriptTurn",
    "load_script",
    "script_model",
    "turn_index",
]
