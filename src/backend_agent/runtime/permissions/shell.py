"""Shell command analysis on bashlex's grammar: every simple command a string would run.

Wrappers (``env``, ``sudo``, ``xargs``, ``timeout``, ``nice``, ``nohup``, ``command``, ``exec``),
``VAR=x cmd``, ``find -exec``, ``bash -c '...'`` (parsed recursively), subshells, pipes, lists,
``$(...)``, backticks and process substitution are all seen through. What cannot be seen through
(parse errors, ``eval``, a variable as the command name, a shell fed from stdin or a here-doc)
is marked *opaque*, and the engine never allows an opaque command on a rule.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from backend_agent.runtime.permissions._fastlex import split_plain
from backend_agent.runtime.permissions._preparse import preparse
from backend_agent.runtime.permissions._unwrap import (
    PRIVILEGED,
    SHELLS,
    STDIN_INTERPRETERS,
    find_exec_split,
    interpreter_reads_stdin,
    shell_script_arg,
    split_wrapper,
)

MAX_DEPTH = 8
# Setting these changes which program a later command name runs, so no rule on names can vouch for it.
RESOLUTION_VARS = {
    "PATH",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "BASH_ENV",
    "ENV",
    "IFS",
    "PROMPT_COMMAND",
    "SHELLOPTS",
}
# Setting these makes an allowed program run another one (git's core.fsmonitor through GIT_CONFIG_*,
# a pager, an editor, an ssh command, interpreter start-up options, a different config home).
_EXEC_VAR_PREFIXES = ("GIT_", "LD_", "DYLD_", "BASH_FUNC_", "PYTHON", "PERL", "RUBY", "NODE_", "NPM_CONFIG_")
_EXEC_VAR_SUFFIXES = ("PAGER", "EDITOR", "_COMMAND", "ASKPASS", "_OPTIONS", "_OPTS")
_EXEC_VARS = {
    "VISUAL",
    "PS4",
    "BROWSER",
    "SHELL",
    "HOME",
    "XDG_CONFIG_HOME",
    "LESSOPEN",
    "LESSCLOSE",
    "GCONV_PATH",
}
_HARMLESS_GIT_VARS = ("GIT_AUTHOR_", "GIT_COMMITTER_", "GIT_TERMINAL_PROMPT")
# Names under a risky prefix that only tune behaviour (`NODE_ENV=test npm test` keeps its allow rule).
_HARMLESS_VARS = {
    "NODE_ENV", "NODE_NO_WARNINGS", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED",
    "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONFAULTHANDLER", "PYTHONASYNCIODEBUG", "PYTHONDEVMODE",
    "GIT_PAGER_IN_USE", "GIT_TRACE", "GIT_CURL_VERBOSE", "RUBY_GC_HEAP_INIT_SLOTS",
}  # fmt: skip
_DYNAMIC_CHARS = set("$`*?[{")


def risky_variable(name: str) -> bool:
    """Would assigning ``name`` change which program runs, or make an allowed program run another?"""
    upper = name.upper()
    if name in RESOLUTION_VARS or upper in _EXEC_VARS:
        return True
    if upper.startswith(_HARMLESS_GIT_VARS) or upper in _HARMLESS_VARS:
        return False
    return upper.startswith(_EXEC_VAR_PREFIXES) or upper.endswith(_EXEC_VAR_SUFFIXES)


_DECLARERS = {"export", "declare", "typeset", "readonly", "local"}
# Builtins that assign the variables named in their arguments (`read PATH`, `printf -v PATH ...`).
_VARIABLE_SETTERS = {"read", "mapfile", "readarray", "getopts", "printf", *_DECLARERS}
_OUTPUT_REDIRECTS = {">", ">>", ">|", "&>", "&>>", "<>", ">&"}
_INPUT_REDIRECTS = {"<", "<>"}


@dataclass
class SimpleCommand:
    """One command the shell would run, after wrappers and assignments are peeled off."""

    words: list[str]  # the effective command, e.g. ["rm", "-rf", "build"]
    original: list[str]  # as written, with wrappers, e.g. ["sudo", "rm", "-rf", "build"]
    wrappers: list[str] = field(default_factory=list)  # e.g. ["sudo"], ["env", "timeout"]
    opaque: str | None = None  # why this command cannot be analysed (then it is never allowed by a rule)
    writes: list[str] = field(default_factory=list)  # output redirection targets
    reads: list[str] = field(default_factory=list)  # input redirection sources (`< file`)
    privileged: bool = False  # run through sudo/doas: the wrapper form must be allowed too
    # words whose value is only known at run time ($x, $(...), $'..', {a,b}, globs): a deny rule
    # that could match once they are expanded makes the command 'ask'
    dynamic: frozenset[str] = frozenset()

    @property
    def text(self) -> str:
        return " ".join(self.words) if self.words else " ".join(self.original)


@dataclass
class ShellAnalysis:
    command: str
    commands: list[SimpleCommand]
    parse_error: str | None = None

    @property
    def opaque(self) -> bool:
        return self.parse_error is not None or any(c.opaque for c in self.commands)


def analyze(command: str) -> ShellAnalysis:
    """Every simple command inside ``command``; a parse failure yields one opaque pseudo-command."""
    commands: list[SimpleCommand] = []
    error = _analyze_into(command, commands, depth=0)
    return ShellAnalysis(command, commands, error)


def _analyze_into(source: str, out: list[SimpleCommand], *, depth: int) -> str | None:
    if not source.strip():
        return None
    if depth > MAX_DEPTH:
        reason = "nested shell scripts are too deep to analyse"
        out.append(SimpleCommand(words=source.split(), original=source.split(), opaque=reason))
        return reason
    fast = split_plain(source)
    if fast is not None:
        walker = _Walker(out, depth, source)
        for plain in fast:
            walker.simple(plain.words, assigned=plain.assigned, writes=plain.writes, reads=plain.reads,
                          dynamic=set(), name_problem=None)  # fmt: skip
        return None
    import bashlex  # building its parser tables costs ~80 ms: only lines the fast tokenizer cannot read pay it

    source = preparse(source)
    try:
        trees = bashlex.parse(source)
    except Exception as exc:  # bashlex raises ParsingError, NotImplementedError and others on odd input
        reason = f"the shell parser cannot read this command ({type(exc).__name__}: {exc})"
        out.append(SimpleCommand(words=source.split(), original=source.split(), opaque=reason))
        return reason
    walker = _Walker(out, depth, source)
    for tree in trees:
        walker.visit(tree)
    return None


class _Walker:
    def __init__(self, out: list[SimpleCommand], depth: int, source: str = ""):
        self.out = out
        self.depth = depth
        self.source = source
        self.dynamic: set[str] = set()
        self.reads: list[str] = []

    def visit(self, node: Any) -> None:
        kind = getattr(node, "kind", None)
        if kind == "command":
            self._command(node)
            return
        if kind in ("commandsubstitution", "processsubstitution"):
            self.visit(node.command)
            return
        if kind == "for" and len(node.parts) > 1 and risky_variable(getattr(node.parts[1], "word", "")):
            name = node.parts[1].word
            self.out.append(
                SimpleCommand(
                    words=["for", name],
                    original=["for", name],
                    opaque=f"the loop sets {name}, which can change which programs commands run",
                )
            )
        if kind == "parameter" and ("$(" in node.value or "`" in node.value):
            self.out.append(
                SimpleCommand(
                    words=[f"${{{node.value}}}"],
                    original=[f"${{{node.value}}}"],
                    opaque="command substitution inside a parameter expansion cannot be analysed",
                )
            )
            return
        for attr in ("parts", "list"):
            for child in getattr(node, attr, None) or []:
                self.visit(child)
        for redirect in getattr(node, "redirects", None) or []:
            self.visit(redirect)
        if kind == "redirect" and hasattr(node.output, "kind"):
            self.visit(node.output)
        if kind == "redirect":
            self._heredoc(node)

    def _heredoc(self, redirect: Any) -> None:
        """An unquoted here-document delimiter makes the shell run ``$(...)`` and backticks in the body."""
        body = getattr(getattr(redirect, "heredoc", None), "value", None)
        if not isinstance(body, str):
            return
        delimiter = self._raw(redirect.output) if hasattr(redirect.output, "pos") else ""
        if any(ch in delimiter for ch in "'\"\\"):
            return  # <<'EOF', <<"EOF", <<\EOF: the body is literal text
        if "`" in body or "$(" in body or "${" in body or "$[" in body:
            self.out.append(
                SimpleCommand(
                    words=["<<" + delimiter],
                    original=["<<" + delimiter],
                    opaque="a here-document runs the command substitutions in its body, which are not analysed",
                )
            )

    def _command(self, node: Any) -> None:
        words: list[str] = []
        writes: list[str] = []
        reads: list[str] = []
        assigned: list[str] = []
        dynamic: set[str] = set()
        name_problem: str | None = None
        for part in node.parts:
            kind = part.kind
            if kind == "assignment":
                assigned.append(part.word.split("=", 1)[0])
            elif kind == "word":
                if not words:
                    name_problem = _name_problem(part, self._raw(part))
                if _is_dynamic(part, self._raw(part)):
                    dynamic.add(part.word)
                words.append(part.word)
            elif kind == "redirect" and part.type in _OUTPUT_REDIRECTS and hasattr(part.output, "word"):
                writes.append(part.output.word)
                if part.type == "<>":
                    reads.append(part.output.word)
            elif kind == "redirect" and part.type in _INPUT_REDIRECTS and hasattr(part.output, "word"):
                reads.append(part.output.word)
            # nested substitutions in words, assignments and redirect targets are commands too
            for child in getattr(part, "parts", None) or []:
                self.visit(child)
            if kind == "redirect" and hasattr(part.output, "kind"):
                self.visit(part.output)
            if kind == "redirect":
                self._heredoc(part)
        self.simple(
            words, assigned=assigned, writes=writes, reads=reads, dynamic=dynamic, name_problem=name_problem
        )

    def simple(
        self, words: list[str], *, assigned: list[str], writes: list[str], reads: list[str], dynamic: set[str],
        name_problem: str | None,
    ) -> None:  # fmt: skip
        """One simple command, its assignments and redirections already separated."""
        if words and words[0] in _DECLARERS:
            assigned += [w.split("=", 1)[0] for w in words[1:] if "=" in w]
        risky = sorted(name for name in set(assigned) if risky_variable(name))
        if risky:
            shown = words or [f"{name}=..." for name in risky]
            self.out.append(
                SimpleCommand(
                    words=shown,
                    original=shown,
                    writes=writes,
                    opaque=f"setting {', '.join(risky)} can change which programs commands run",
                )
            )
            return
        if not words:
            return  # only assignments / redirections: nothing is executed
        if name_problem:
            self.out.append(SimpleCommand(words=words, original=words, opaque=name_problem, writes=writes))
            return
        self.dynamic = dynamic
        self.reads = reads
        self._effective(words, original=words, wrappers=[], writes=writes)
        self.dynamic = set()
        self.reads = []

    def _raw(self, node: Any) -> str:
        pos = getattr(node, "pos", None)
        return self.source[pos[0] : pos[1]] if pos and self.source else str(getattr(node, "word", ""))

    def _effective(
        self, words: list[str], *, original: list[str], wrappers: list[str], writes: list[str]
    ) -> None:
        split = split_wrapper(words)
        if split is not None:
            head, rest = split
            risky = sorted(n for n in {w.split("=", 1)[0] for w in head if "=" in w} if risky_variable(n))
            if head[0] == "env" and risky:
                self.out.append(
                    SimpleCommand(
                        words=words,
                        original=original,
                        wrappers=wrappers,
                        writes=writes,
                        opaque=f"setting {', '.join(risky)} changes which program runs",
                    )
                )
                return
            if head[0] == "env" and any(_splits_string(w) for w in head[1:]):
                self.out.append(
                    SimpleCommand(
                        words=words,
                        original=original,
                        wrappers=wrappers,
                        writes=writes,
                        opaque="'env -S' builds the command from a string, which cannot be analysed",
                    )
                )
                return
            if rest:
                self._effective(rest, original=original, wrappers=[*wrappers, head[0]], writes=writes)
                return
        privileged = any(w in PRIVILEGED for w in wrappers)
        name = words[0].rsplit("/", 1)[-1]
        command = SimpleCommand(
            words=words,
            original=original,
            wrappers=wrappers,
            writes=writes,
            privileged=privileged,
            dynamic=frozenset(self.dynamic & set(original)),
            reads=list(self.reads),
        )
        if "xargs" in wrappers and _xargs_placeholder_named(original, name):
            command.opaque = "xargs builds the command name from its input, which cannot be analysed"
            self.out.append(command)
            return
        if name == "watch":
            script = _watch_script(words)
            if script is not None:
                _analyze_into(script, self.out, depth=self.depth + 1)
                return
        if name == "busybox" and len(words) > 1 and not words[1].startswith("-"):
            # `busybox rm x` runs the rm applet; `busybox sh -c ...` a shell
            self._effective(words[1:], original=original, wrappers=[*wrappers, "busybox"], writes=writes)
            return
        set_vars = _assigned_by(name, words)
        if any(risky_variable(var) for var in set_vars):
            named = ", ".join(var for var in set_vars if risky_variable(var))
            command.opaque = f"'{name}' sets {named}, which can change which programs commands run"
        elif name == "eval":
            command.opaque = "eval runs a string as shell code, which cannot be analysed"
        elif name in SHELLS:
            script, from_stdin = shell_script_arg(words)
            if script is not None:
                _analyze_into(script, self.out, depth=self.depth + 1)  # a parse error appends an opaque entry
                if privileged:
                    self.out.append(command)  # `sudo bash -c ...` needs the sudo form allowed as well
                return
            if from_stdin:
                command.opaque = f"'{name}' reads its commands from standard input, which cannot be analysed"
        elif name in STDIN_INTERPRETERS and interpreter_reads_stdin(words):
            command.opaque = f"'{name}' reads a program from standard input, which cannot be analysed"
        elif name == "find":
            find_words, executed = find_exec_split(words)
            for inner in executed:
                if inner:
                    self._effective(inner, original=inner, wrappers=["find"], writes=[])
            command.words = find_words
        self.out.append(command)


def _name_problem(word: Any, raw: str) -> str | None:
    """Why a command-name word cannot be known before running (expansion, glob), or None."""
    for part in getattr(word, "parts", None) or []:
        if part.kind in ("parameter", "commandsubstitution", "processsubstitution"):
            return f"the command name '{raw}' is computed at run time (variable, $'...' or substitution)"
    if word.word not in ("[", "[[") and any(ch in word.word for ch in "*?["):
        return f"the command name '{raw}' is a glob pattern"
    if "{" in raw and ("," in raw or ".." in raw):
        return f"the command name '{raw}' uses brace expansion, which can turn it into another command"
    return None


def _xargs_placeholder_named(original: list[str], name: str) -> bool:
    """``xargs -I{} {} ...``: the program itself comes from standard input."""
    for index, word in enumerate(original[:-1]):
        if word in ("-I", "-i", "--replace") or word.startswith(("-I", "--replace=")):
            placeholder = original[index + 1] if word in ("-I",) else (word[2:] or "{}")
            if word.startswith("--replace="):
                placeholder = word.split("=", 1)[1]
            if placeholder and placeholder in name:
                return True
    return False


_WATCH_OPTS_WITH_ARG = {"-n", "--interval", "-d", "--differences", "-q", "--equexit", "--shell"}


def _watch_script(words: list[str]) -> str | None:
    """``watch [opts] cmd args``: watch hands the joined command to ``sh -c`` (``-x`` execs it directly)."""
    index, direct = 1, False
    while index < len(words) and words[index].startswith("-"):
        word = words[index]
        if word in ("-x", "--exec"):
            direct = True
        index += 2 if word in _WATCH_OPTS_WITH_ARG - {"-d", "--differences"} else 1
    rest = words[index:]
    if not rest:
        return None
    return " ".join(shlex.quote(w) for w in rest) if direct else " ".join(rest)


def _assigned_by(name: str, words: list[str]) -> list[str]:
    """Variables a builtin like ``read VAR`` or ``printf -v VAR`` assigns (over-approximated)."""
    if name not in _VARIABLE_SETTERS:
        return []
    if name == "printf":
        return [words[i + 1] for i in range(1, len(words) - 1) if words[i] == "-v"]
    return sorted({w.split("=", 1)[0] for w in words[1:] if not w.startswith("-")})


def _splits_string(word: str) -> bool:
    """``env -S``/``--split-string``, also inside a cluster like ``-iS``."""
    if word.startswith("--"):
        return word.startswith("--split-string")
    return word.startswith("-") and "S" in word


def _is_dynamic(word: Any, raw: str) -> bool:
    """Is the word's value only known when the shell runs it (expansion, ANSI-C quoting, braces, globs)?"""
    if any(p.kind in ("parameter", "commandsubstitution", "processsubstitution") for p in word.parts or []):
        return True
    return raw not in ("[", "]", "'['", "']'") and bool(_DYNAMIC_CHARS & set(raw))


__all__ = ["ShellAnalysis", "SimpleCommand", "analyze", "risky_variable"]
