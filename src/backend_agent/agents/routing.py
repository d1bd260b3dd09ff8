"""Deterministic routing: rank agents for a task with BM25 plus trigger hits, no model involved.

Each agent is one BM25 document (name, description, examples, trigger keywords). The BM25 score is
scaled to 0..1 across the roster, then trigger hits add fixed weights: a trigger keyword in the
task, a file whose extension or folder matches the agent's triggers. Ties break on name.

Three rules keep the ranking fair to the user's own agents:
- generic words ("backend", "service", "fix", "code") are no evidence: every backend agent claims
  them, so they are dropped from the task and from trigger keywords alike;
- trigger keywords add a capped bonus, so an agent with a long keyword list (the built-ins have
  them, hand-written definitions rarely do) cannot outvote a better description on its own;
- a task that changes code (add, implement, fix, ...) never goes to an agent that cannot edit
  files: such agents are left out of the ranking.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from backend_agent.agents.definition import AgentDefinition, Example
from backend_agent.agents.discovery import Roster

KEYWORD_WEIGHT = 0.2
EXTENSION_WEIGHT = 0.2
DIRECTORY_WEIGHT = 0.2
EXAMPLE_WEIGHT = 0.3
_MAX_KEYWORD_BONUS = 0.6
_MAX_TRIGGER_BONUS = 1.0
_FULL_WEIGHT_TERMS = 3
_EXAMPLE_MIN_SHARED = 2
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from",
        "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "need", "of",
        "on", "or", "our", "should", "so", "that", "the", "their", "them", "then", "there", "these",
        "this", "to", "use", "us", "was", "we", "what", "when", "where", "which", "who", "why",
        "will", "with", "you", "your", "please", "want", "make", "add", "new", "get", "set", "up", "under",
        "over", "about", "some", "any", "all", "not", "no", "one",
        "agent"
    ]
)
# Words every backend agent's description claims: no evidence for one agent over another.
_GENERIC = frozenset(
    [
        "backend", "server", "side", "service", "services", "app", "application", "code", "codebase",
        "project", "system", "feature", "features", "endpoint", "endpoints", "bug", "fix", "issue",
        "problem", "help", "work", "works", "working", "thing", "stuff", "task", "implement", "build",
        "create", "write", "develop", "development", "developer", "engineer", "expert", "specialist",
        "handle", "handler", "support", "change", "update", "improve", "better", "good", "using",
        "python", "scalable", "robust", "modern", "best", "practice", "practices", "quality", "find",
        "tell", "look", "show", "need", "needs",
    ]
)
# Verbs that make a task a change to files (an implementation task).
_CHANGE_VERBS = frozenset(
    [
        "add", "implement", "build", "create", "write", "fix", "refactor", "change", "update", "modify",
        "remove", "delete", "rename", "migrate", "scaffold", "generate", "integrate", "configure",
        "upgrade", "optimize", "optimise", "speed", "patch", "introduce", "replace", "convert", "port",
        "setup", "wire", "extend", "move", "split", "make", "edit", "rewrite", "bump", "enable", "support",
    ]
)
_EDIT_TOOLS = frozenset(["write", "edit", "multiedit", "notebookedit", "patch"])


@dataclass
class RouteMatch:
    """One ranked agent: its score and the human-readable reasons behind it."""

    agent: str
    score: float
    reasons: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.agent


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stop words, generic words or single characters, lightly stemmed."""
    return [
        _stem(word)
        for word in _WORD.findall(text.lower())
        if len(word) > 1 and word not in _STOPWORDS and word not in _GENERIC
    ]


def changes_files(task: str) -> bool:
    """Whether a task asks for a change (implementation) rather than a review or an explanation."""
    words = _WORD.findall(task.lower())
    if "set" in words and "up" in words:
        return True
    return any(word in _CHANGE_VERBS for word in words)


def can_edit(agent: AgentDefinition) -> bool:
    """Whether an agent's tools and permissions let it write or edit files."""
    denied = {entry.split("(")[0].strip().lower() for entry in agent.disallowed_tools}
    denied |= {entry.split("(")[0].strip().lower() for entry in agent.permissions.deny if "(" not in entry}
    denied |= {tool.lower() for tool, action in agent.permissions.simple.items() if action == "deny"}
    if "edit" in denied:  # OpenCode's "edit" permission covers write and patch too
        return False
    if agent.tools is None:
        return bool(_EDIT_TOOLS - denied)
    granted = {entry.split("(")[0].strip().lower() for entry in agent.tools}
    return bool((granted & _EDIT_TOOLS) - denied)


def _stem(word: str) -> str:
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def route(
    task: str, roster: Roster | Sequence[AgentDefinition], *, files: Sequence[str] = ()
) -> list[RouteMatch]:
    """Agents ranked for ``task`` (best first); disabled agents are left out."""
    agents = list(roster.agents.values()) if isinstance(roster, Roster) else list(roster)
    agents = [agent for agent in agents if not agent.disabled]
    if changes_files(task):
        agents = [agent for agent in agents if can_edit(agent)]
    if not agents:
        return []
    query = tokenize(task)
    spelled = {_stem(word): word for word in _WORD.findall(task.lower())}
    documents = [tokenize(_document(agent)) for agent in agents]
    raw = _bm25_scores(query, documents)
    top = max(raw) if raw and max(raw) > 0 else 1.0
    # A short, vague task ("fix this") is weak text evidence: let file triggers outweigh it.
    text_weight = min(1.0, len(set(query)) / _FULL_WEIGHT_TERMS)
    task_lower = task.lower()
    task_words = set(_WORD.findall(task_lower))
    matches: list[RouteMatch] = []
    for agent, tokens, value in zip(agents, documents, raw, strict=True):
        base = max(value, 0.0) / top * text_weight
        reasons: list[str] = []
        common = sorted({token for token in query if token in set(tokens)})
        if common and base > 0:
            reasons.append("description terms: " + ", ".join(spelled.get(term, term) for term in common[:8]))
        bonus = 0.0
        example = _best_example(query, agent.examples)
        if example is not None:
            bonus += EXAMPLE_WEIGHT
            reasons.append(f"matching example: {example}")
        hit_stems: set[str] = set()
        keyword_bonus = 0.0
        for keyword in agent.triggers.keywords:
            stem = _stem(keyword.lower())
            if keyword.lower() in _GENERIC or stem in hit_stems:
                continue
            if _keyword_hit(keyword, task_lower, task_words):
                hit_stems.add(stem)
                keyword_bonus += KEYWORD_WEIGHT
                reasons.append(f"trigger keyword '{keyword}' in the task")
        bonus += min(keyword_bonus, _MAX_KEYWORD_BONUS)
        for path in files:
            bonus += _file_hits(agent, path, reasons)
        score = round(base + min(bonus, _MAX_TRIGGER_BONUS), 4)
        if score > 0:
            matches.append(RouteMatch(agent=agent.name, score=score, reasons=reasons))
    matches.sort(key=lambda match: (-match.score, match.agent))
    return matches


def _document(agent: AgentDefinition) -> str:
    parts = [agent.name.replace("-", " "), agent.description]
    for example in agent.examples:
        parts.extend(filter(None, [example.context, example.user, example.commentary]))
    parts.extend(agent.triggers.keywords)
    # The opening of the body names the agent's stack and specialities (often more than the
    # description does); every agent gets the same share of it, so no format is favoured.
    parts.append(agent.system_prompt[: 2000 if not agent.description else 1200])
    return "\n".join(parts)


def _bm25_scores(query: list[str], documents: list[list[str]]) -> list[float]:
    if not query:
        return [0.0] * len(documents)
    from rank_bm25 import BM25Plus  # imported here: numpy is heavy and only routing needs it

    # BM25Plus keeps idf positive even in a roster of one or two agents (Okapi's goes negative);
    # its delta term credits every document for every known query term, so take that floor off.
    model = BM25Plus([doc or ["_"] for doc in documents])
    floor = sum(model.idf.get(term, 0.0) * model.delta for term in query)
    return [max(round(float(value) - floor, 9), 0.0) for value in model.get_scores(query)]


def _best_example(query: list[str], examples: list[Example]) -> str | None:
    """The example whose user turn shares the most words with the task (two or more, and 40% of the task)."""
    if not query or not examples:
        return None
    wanted = set(query)
    best: tuple[float, str] | None = None
    for example in examples:
        text = example.user or example.context or ""
        shared = len(wanted & set(tokenize(text)))
        overlap = shared / len(wanted)
        if shared >= _EXAMPLE_MIN_SHARED and overlap >= 0.4 and (best is None or overlap > best[0]):
            best = (overlap, text)
    if best is None:
        return None
    snippet = best[1]
    return f"'{snippet[:80]}…'" if len(snippet) > 80 else f"'{snippet}'"


def _keyword_hit(keyword: str, task_lower: str, task_words: set[str]) -> bool:
    needle = keyword.lower().strip()
    if not needle:
        return False
    if " " in needle or not needle.isalnum():
        return needle in task_lower
    return needle in task_words or _stem(needle) in {_stem(word) for word in task_words}


def _file_hits(agent: AgentDefinition, path: str, reasons: list[str]) -> float:
    """Trigger hits for one path; a path ending in ``/`` is a folder (no extension, all parts are folders)."""
    text = path.replace("\\", "/")
    is_folder = text.endswith("/")
    posix = PurePosixPath(text)
    bonus = 0.0
    suffix = "" if is_folder else posix.suffix.lower()
    if suffix and suffix in agent.triggers.extensions:
        bonus += EXTENSION_WEIGHT
        reasons.append(f"file extension {suffix} ({path})")
    folder_parts = posix.parts if is_folder else posix.parts[:-1]
    folder = ("/" + "/".join(folder_parts).strip("/") + "/").replace("//", "/")
    full = "/" + posix.as_posix().lstrip("/")
    for pattern in agent.triggers.directories:
        if _directory_hit(pattern, folder, full):
            bonus += DIRECTORY_WEIGHT
            reasons.append(f"directory pattern {pattern} ({path})")
            break
    return bonus


def _directory_hit(pattern: str, folder: str, full: str) -> bool:
    text = pattern.strip()
    if any(char in text for char in "*?["):
        return fnmatch.fnmatch(full, text if text.startswith(("/", "*")) else "*/" + text) or fnmatch.fnmatch(
            folder, text if text.startswith(("/", "*")) else "*/" + text
        )
    needle = "/" + text.strip("/") + "/"
    return needle in folder


__all__ = ["RouteMatch", "can_edit", "changes_files", "route", "tokenize"]
