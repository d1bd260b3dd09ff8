"""Tools that talk to the user: AskUserQuestion, and ExitPlanMode (plan, approve, execute).

Both exist only in the main agent of a run. AskUserQuestion needs a person (an interactive run or
``--input-format stream-json``); ExitPlanMode shows the plan through the same approval prompt as
any tool call, and an approved plan switches the run from plan mode to ``default`` (or to
``acceptEdits`` when the user approves with "always").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from backend_agent.runtime.state import RunState
from backend_agent.tools import ToolResult

QUESTIONER_KEY = "questioner"


class QuestionOption(BaseModel):
    label: str = Field(description="The choice as shown (1-5 words).")
    description: str = Field("", description="What choosing it means.")


class Question(BaseModel):
    question: str = Field(description="The full question, ending with a question mark.")
    header: str = Field("", max_length=30, description="A very short label (at most 12 characters shown).")
    options: list[QuestionOption] = Field(min_length=2, max_length=4, description="2 to 4 choices.")
    multiSelect: bool = Field(False, description="Whether several options may be chosen.")


class AskUserQuestionInput(BaseModel):
    questions: list[Question] = Field(min_length=1, max_length=4, description="1 to 4 questions.")


class ExitPlanModeInput(BaseModel):
    plan: str = Field(min_length=1, description="The plan to carry out, in Markdown: concise, step by step.")


# Interactive front ends answer questions: the questions → {question text: chosen label(s) or free text}.
Questioner = Callable[[list[Question]], Awaitable[dict[str, str]]]


class AskUserQuestionTool:
    name = "AskUserQuestion"
    read_only = True
    description = (
        "Ask the user 1 to 4 multiple-choice questions when a decision is theirs to make (a preference, "
        "an unclear requirement, a trade-off). Each question has 2 to 4 options; the user may also answer "
        "in their own words. Do not ask what you can find out yourself."
    )

    def json_schema(self) -> dict[str, Any]:
        return AskUserQuestionInput.model_json_schema()

    async def acall(self, raw_input: dict[str, Any], state: RunState) -> ToolResult:
        try:
            parsed = AskUserQuestionInput.model_validate(raw_input)
        except ValidationError as exc:
            return ToolResult.failure("bad_input", f"Invalid input for AskUserQuestion: {exc.errors()[0]['msg']}")
        questioner: Questioner | None = state.extras.get(QUESTIONER_KEY)
        if questioner is None:
            return ToolResult.failure(
                "no_user",
                "No user can answer in this run (headless). Decide yourself, state the assumption in your "
                "answer, and go on.",
            )
        answers = await questioner(parsed.questions)
        lines = [f'"{question}"="{answer}"' for question, answer in answers.items()]
        return ToolResult(
            output="User has answered your questions: " + ", ".join(lines)
            + ". You can now continue with the user's answers in mind.",
            data={"answers": answers},
        )


class ExitPlanModeTool:
    name = "ExitPlanMode"
    read_only = True
    description = (
        "In plan mode, when your plan is ready, present it with this tool for the user's approval. "
        "Approved: plan mode ends and you carry out the plan. Rejected: keep planning with the user's "
        "feedback. Use it only for tasks that change code, not for research."
    )

    def json_schema(self) -> dict[str, Any]:
        return ExitPlanModeInput.model_json_schema()

    async def acall(self, raw_input: dict[str, Any], state: RunState) -> ToolResult:
        try:
            plan = ExitPlanModeInput.model_validate(raw_input).plan
        except ValidationError:
            return ToolResult.failure("bad_input", "ExitPlanMode needs a non-empty 'plan' (Markdown).")
        if str(state.permission_mode) != "plan":
            return ToolResult.failure("not_in_plan_mode", "The run is not in plan mode; carry on with the task.")
        if state.asker is None:
            return ToolResult.failure(
                "no_user",
                "Nobody can approve a plan in a headless run: stay in plan mode and give the plan as your "
                "final answer.",
            )
        answer = await state.asker(self.name, {"plan": plan}, None)
        if answer == "deny":
            return ToolResult.failure(
                "plan_rejected",
                "The user did not approve the plan. Stay in plan mode: ask what to change, or revise the plan.",
            )
        new_mode = "acceptEdits" if answer == "always" else "default"
        _switch_mode(state, new_mode)
        return ToolResult(
            output=f"User has approved your plan. Plan mode is over (permission mode: {new_mode}); start carrying "
            f"out the plan now, keeping a todo list if it has several steps.\n\n## Approved plan\n{plan}",
            data={"approved": True, "permission_mode": new_mode, "plan": plan},
        )


def _switch_mode(state: RunState, mode: str) -> None:
    from backend_agent.runtime.permissions import PermissionMode

    engine: Any = state.engine
    if hasattr(engine, "mode"):
        engine.mode = PermissionMode.parse(mode)
    state.permission_mode = mode


def interaction_tools(*, granted: list[str] | None, permission_mode: str, interactive: bool) -> list[Any]:
    """The user-facing tools a main agent gets: those its grants allow and the run can use."""

    def allowed(name: str) -> bool:
        return granted is None or any(entry.split("(")[0].strip() == name for entry in granted)

    tools: list[Any] = []
    if interactive and allowed(AskUserQuestionTool.name):
        tools.append(AskUserQuestionTool())
    if permission_mode == "plan" and allowed(ExitPlanModeTool.name):
        tools.append(ExitPlanModeTool())
    return tools


__all__ = [
    "QUESTIONER_KEY",
    "AskUserQuestionTool",
    "ExitPlanModeTool",
    "Question",
    "QuestionOption",
    "Questioner",
    "interaction_tools",
]
