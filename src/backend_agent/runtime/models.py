"""Model references → pydantic-ai models, through a small lazy registry.

Accepted references: ``sonnet``/``opus``/``haiku`` (Claude Code aliases, mapped via Settings),
``inherit`` (the parent's model), ``provider/model-id`` (OpenCode), ``provider:model``
(pydantic-ai), a bare ``claude-…`` id, ``openai-compat[:NAME]`` (an OpenAI-compatible server at
``BACKEND_AGENT_OPENAI_BASE_URL``) and ``script:PATH`` (a replayed script, see docs/script-model.md).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic_ai.models import Model
from pydantic_ai.models.wrapper import WrapperModel

from backend_agent.errors import BackendAgentError, ConfigError
from backend_agent.settings import Settings

ALIASES = ("sonnet", "opus", "haiku")
# OpenCode provider names that differ from pydantic-ai's.
OPENCODE_PROVIDERS = {"google": "google-gla", "vertex": "google-vertex", "amazon-bedrock": "bedrock"}
# Special schemes: name → "module:function" imported on first use.
REGISTRY: dict[str, str] = {
    "script": "backend_agent.runtime.script:script_model",
    "openai-compat": "backend_agent.runtime.models:openai_compat_model",
}
OFFLINE_COMMANDS = "agents, tools, blueprint, design, check"
UNKNOWN = "is not a known model reference"
FORMS = (
    "sonnet|opus|haiku, inherit, provider:model (e.g. anthropic:claude-sonnet-4-5, openai:gpt-5, "
    "ollama:llama3.2), provider/model-id (OpenCode), openai-compat[:NAME] or script:PATH"
)


@dataclass(frozen=True)
class ResolvedModel:
    """A model ready to use and the reference it came from (shown to users and stored in sessions)."""

    model: Model
    reference: str


def _load(scheme: str) -> Callable[..., Model]:
    try:
        target = REGISTRY[scheme]
    except KeyError:
        raise ConfigError(f"unknown model scheme {scheme!r}", hint=f"use one of {sorted(REGISTRY)}") from None
    module_name, _, attr = target.partition(":")
    factory: Callable[..., Model] = getattr(importlib.import_module(module_name), attr)
    return factory


def openai_compat_model(name: str | None, *, settings: Settings) -> Model:
    """A chat model on an OpenAI-compatible server (Ollama, vLLM, llama.cpp) from settings."""
    base_url = settings.openai_base_url
    if not base_url:
        raise ConfigError(
            "the model 'openai-compat' needs a server address",
            hint="set BACKEND_AGENT_OPENAI_BASE_URL, e.g. http://127.0.0.1:11434/v1 for Ollama",
        )
    model_name = name or settings.openai_compat_model
    if not model_name:
        raise ConfigError(
            "the model 'openai-compat' needs a model name",
            hint="use --model openai-compat:NAME or set BACKEND_AGENT_OPENAI_COMPAT_MODEL",
        )
    from openai import AsyncOpenAI
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    client = AsyncOpenAI(base_url=base_url, api_key=os.environ.get("OPENAI_API_KEY") or "not-needed",
                         **_client_limits(settings, "openai"))  # fmt: skip
    return GuardedModel(OpenAIChatModel(model_name, provider=OpenAIProvider(openai_client=client)), url=base_url,
                        settings=settings)  # fmt: skip


class ModelUnreachable(BackendAgentError):
    """The model server did not accept the connection or did not answer in time (after retries)."""


def _client_limits(settings: Settings, sdk: str) -> dict[str, Any]:
    """Connect/read timeouts and retries for an SDK client (``openai`` or ``anthropic``)."""
    module = importlib.import_module(sdk)
    timeout = module.Timeout(settings.model_read_timeout, connect=settings.model_connect_timeout)
    return {"timeout": timeout, "max_retries": settings.model_retries}


def _unreachable(exc: BaseException) -> bool:
    """Connection refused/reset, connect or read timeouts, from any SDK or HTTP client."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"APIConnectionError", "APITimeoutError", "TimeoutException", "ConnectError",
                         "ReadTimeout", "ConnectTimeout", "RemoteProtocolError", "TimeoutError",
                         "ModelConnectionError", "ModelTimeoutError", "ModelRequestTimeout"})  # fmt: skip


class GuardedModel(WrapperModel):
    """A model whose unreachable or silent server ends the run with an error naming the URL."""

    def __init__(self, wrapped: Model, *, url: str, settings: Settings) -> None:
        super().__init__(wrapped)
        self.url = url
        self.limits = (settings.model_connect_timeout, settings.model_read_timeout, settings.model_retries)

    def _error(self, exc: BaseException) -> ModelUnreachable:
        connect, read, retries = self.limits
        attempts = retries + 1
        timed_out = (
            any("Timeout" in cls.__name__ for cls in type(exc).__mro__) or "timed out" in str(exc).lower()
        )
        what = "did not answer in time" if timed_out else "could not be reached"
        return ModelUnreachable(
            f"the model server at {self.url} {what} ({type(exc).__name__}: {exc}; connect timeout {connect:g} s, "
            f"read timeout {read:g} s, {attempts} attempt{'s' if attempts != 1 else ''})",
            hint="check that the server is running and answering (e.g. curl it), or raise "
            "BACKEND_AGENT_MODEL_READ_TIMEOUT / BACKEND_AGENT_MODEL_CONNECT_TIMEOUT / BACKEND_AGENT_MODEL_RETRIES",
        )

    async def request(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().request(*args, **kwargs)
        except Exception as exc:
            if _unreachable(exc):
                raise self._error(exc) from exc
            raise

    @asynccontextmanager
    async def request_stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        try:
            async with super().request_stream(*args, **kwargs) as stream:
                yield stream
        except Exception as exc:
            if _unreachable(exc):
                raise self._error(exc) from exc
            raise


def normalize_reference(ref: str, *, settings: Settings) -> str:
    """Turn an alias / OpenCode / bare id into a ``provider:model`` or special-scheme reference."""
    ref = ref.strip()
    if ref in ALIASES:
        return "anthropic:" + getattr(settings, f"model_{ref}")
    scheme = ref.split(":", 1)[0]
    if scheme in REGISTRY:
        return ref
    if ":" not in ref and "/" in ref:
        provider, _, model_id = ref.partition("/")
        return f"{OPENCODE_PROVIDERS.get(provider, provider)}:{model_id}"
    if ":" not in ref and ref.startswith("claude-"):
        return f"anthropic:{ref}"
    return ref


def _build(ref: str, *, settings: Settings, cwd: Path, agent: str | None) -> Model:
    scheme, _, rest = ref.partition(":")
    if scheme == "script":
        path = Path(rest).expanduser()
        return _load("script")(path if path.is_absolute() else cwd / path, agent=agent)
    if scheme == "openai-compat":
        return _load("openai-compat")(rest or None, settings=settings)
    from pydantic_ai.exceptions import UserError
    from pydantic_ai.models import infer_model

    if scheme in ("openai", "anthropic"):
        model = _sdk_model(scheme, rest, settings=settings)
        if model is not None:
            return model
    try:
        return infer_model(ref)
    except UserError as exc:
        if str(exc).startswith("Unknown model"):
            raise ConfigError(f"model {ref!r} {UNKNOWN}; expected {FORMS}",
                              hint="check the spelling of --model / the definition's 'model'") from exc  # fmt: skip
        raise ConfigError(f"model {ref!r} is not usable: {exc}".split(" To try Pydantic AI")[0]) from exc
    except (ImportError, ValueError) as exc:
        raise ConfigError(f"model {ref!r} is not usable: {exc}") from exc


def _sdk_model(scheme: str, name: str, *, settings: Settings) -> Model | None:
    """``openai:`` / ``anthropic:`` models with our timeouts and retries (None: let pydantic-ai decide)."""
    try:
        if scheme == "openai" and os.environ.get("OPENAI_API_KEY"):
            from openai import AsyncOpenAI
            from pydantic_ai.models.openai import OpenAIChatModel
            from pydantic_ai.providers.openai import OpenAIProvider

            openai_client = AsyncOpenAI(**_client_limits(settings, "openai"))
            url = str(openai_client.base_url)
            return GuardedModel(OpenAIChatModel(name, provider=OpenAIProvider(openai_client=openai_client)),
                                url=url, settings=settings)  # fmt: skip
        if scheme == "anthropic" and os.environ.get("ANTHROPIC_API_KEY"):
            from anthropic import AsyncAnthropic
            from pydantic_ai.models.anthropic import AnthropicModel
            from pydantic_ai.providers.anthropic import AnthropicProvider

            anthropic_client = AsyncAnthropic(**_client_limits(settings, "anthropic"))
            url = str(anthropic_client.base_url)
            return GuardedModel(AnthropicModel(name, provider=AnthropicProvider(anthropic_client=anthropic_client)),
                                url=url, settings=settings)  # fmt: skip
    except ImportError:
        return None
    return None


def _auto_reference(settings: Settings) -> str | None:
    if settings.model:
        return settings.model
    if settings.openai_base_url:
        return "openai-compat"
    if os.environ.get("ANTHROPIC_API_KEY"):
        return "sonnet"
    if os.environ.get("OPENAI_API_KEY"):
        return "openai:gpt-5"
    return None


def no_model_error(detail: str | None = None) -> ConfigError:
    return ConfigError(
        "no usable model is configured" + (f" ({detail})" if detail else ""),
        hint=(
            "set ANTHROPIC_API_KEY (or OPENAI_API_KEY), or BACKEND_AGENT_MODEL=provider:model, or point "
            "BACKEND_AGENT_OPENAI_BASE_URL at an OpenAI-compatible server (Ollama, vLLM, llama.cpp), or pass "
            f"--model script:PATH to replay a script; these commands work offline: {OFFLINE_COMMANDS}"
        ),
    )


def resolve_model(
    *candidates: str | None,
    settings: Settings,
    cwd: Path,
    parent: ResolvedModel | None = None,
    agent: str | None = None,
    on_warning: Callable[[str], Any] | None = None,
    strict_first: bool = False,
) -> ResolvedModel:
    """The first usable model among ``candidates`` (CLI flag, definition, ...), then settings/env.

    ``inherit`` (or nothing) means the parent's model for subagents. A candidate that names a
    provider whose key is missing is skipped with a warning when a later one works. With
    ``strict_first`` (the first candidate is the user's ``--model``), a reference that names no known
    model is an error rather than silently replaced by a later candidate.
    """
    if parent is not None and parent.reference.startswith("script:") and agent is not None:
        # A scripted run scripts its subagents too: their turns live in the same file.
        return ResolvedModel(
            _build(parent.reference, settings=settings, cwd=cwd, agent=agent), parent.reference
        )
    failures: list[str] = []
    refs = [c for c in candidates if c] + [None]
    for ref in refs:
        if ref == "inherit" or (ref is None and parent is not None):
            if parent is not None:
                return parent
            continue
        ref = ref or _auto_reference(settings)
        if ref is None:
            break
        normalized = normalize_reference(ref, settings=settings)
        if normalized.startswith("script:") and not Path(normalized[7:]).expanduser().is_absolute():
            normalized = f"script:{cwd / normalized[7:]}"  # stored with the session, so resume finds it
        try:
            return ResolvedModel(_build(normalized, settings=settings, cwd=cwd, agent=agent), normalized)
        except ConfigError as exc:
            if normalized.startswith("script:") or (
                strict_first and ref == candidates[0] and UNKNOWN in exc.message
            ):
                raise
            failures.append(exc.message)
            if on_warning is not None and ref is not refs[-1]:
                on_warning(f"{exc.message}; trying the next configured model")
    raise no_model_error("; ".join(failures) or None)


__all__ = [
    "GuardedModel",
    "ModelUnreachable",
    "ResolvedModel",
    "no_model_error",
    "normalize_reference",
    "openai_compat_model",
    "resolve_model",
]
