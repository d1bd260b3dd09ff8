"""Settings read from the environment (``BACKEND_AGENT_*``) with documented defaults."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "backend-agent"


class Settings(BaseSettings):
    """Process-wide settings. Construct with ``Settings()``; nothing is read at import time."""

    model_config = SettingsConfigDict(env_prefix="BACKEND_AGENT_", extra="ignore")

    cache_dir: Path = Field(default_factory=_default_cache_dir, description="Where tool environments are installed.")
    state_dir_name: str = Field(".backend-agent", description="Per-workspace state folder (sessions, settings).")
    model: str | None = Field(None, description="Default model reference, e.g. 'anthropic:claude-sonnet-4-5'.")
    model_sonnet: str = Field("claude-sonnet-4-5", description="Anthropic id that the 'sonnet' alias maps to.")
    model_opus: str = Field("claude-opus-4-1", description="Anthropic id that the 'opus' alias maps to.")
    model_haiku: str = Field("claude-haiku-4-5", description="Anthropic id that the 'haiku' alias maps to.")
    openai_base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server (Ollama, vLLM, llama.cpp).")
    openai_compat_model: str | None = Field(None, description="Model name to ask an OpenAI-compatible server for.")
    model_connect_timeout: float = Field(10.0, gt=0, description="Seconds to wait for a model server to accept a connection.")
    model_read_timeout: float = Field(120.0, gt=0, description="Seconds to wait for a model server's next bytes (response or stream chunk).")
    model_retries: int = Field(2, ge=0, description="Retries of a model request that failed to connect or timed out.")
    database_url: str | None = Field(None, description="PostgreSQL URL for gates; SQLite is used when unset.")
    redis_url: str | None = Field(None, description="Redis URL; in-process cache and rate limits when unset.")
    require_services: bool = Field(False, description="Tests fail instead of skipping when PostgreSQL/Redis are absent.")
    max_turns: int = Field(50, description="Default turn limit of an agent run.")
    subagent_depth: int = Field(1, description="How deep agents may delegate to subagents.")


__all__ = ["Settings"]
