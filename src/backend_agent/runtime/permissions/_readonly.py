"""Commands that only read: the few Bash commands plan mode may run when a rule allows them."""

from __future__ import annotations

_READ_ONLY = {
    "ls",
    "cat",
    "head",
    "tail",
    "wc",
    "pwd",
    "echo",
    "printf",
    "grep",
    "rg",
    "egrep",
    "fgrep",
    "tree",
    "file",
    "stat",
    "which",
    "whereis",
    "type",
    "du",
    "df",
    "sort",
    "cut",
    "tr",
    "diff",
    "cmp",
    "basename",
    "dirname",
    "realpath",
    "readlink",
    "date",
    "whoami",
    "id",
    "uname",
    "env",
    "printenv",
    "true",
    "false",
    "test",
    "[",
    "jq",
    "column",
    "nl",
    "less",
    "more",
    "md5sum",
    "sha256sum",
    "sha1sum",
}
_GIT_READ_ONLY = {
    "status",
    "log",
    "diff",
    "show",
    "blame",
    "rev-parse",
    "ls-files",
    "describe",
    "shortlog",
    "branch",
}
_FIND_WRITES = {"-delete", "-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fprint0", "-fprintf", "-fls"}


# Claude Code's read-only set: allowed without a rule when every file they read is in the workspace.
# (No env/printenv, which print secrets; no less/more, which can start other programs.)
_DEFAULT_READ_ONLY = _READ_ONLY - {"env", "printenv", "less", "more", "date"} | {"git"}


def is_default_read_only(words: list[str]) -> bool:
    """Needs no rule in any mode: a read-only command from Claude Code's set, without risky options."""
    from backend_agent.runtime.permissions._fileops import risky_option

    if not words or words[0].rsplit("/", 1)[-1] not in _DEFAULT_READ_ONLY or "/" in words[0]:
        return False
    if words[0] == "sort" and any(w.startswith(("-o", "--output", "--compress")) for w in words):
        return False
    return is_read_only(words) and risky_option(words) is None


def is_read_only(words: list[str]) -> bool:
    """Conservative: a command from a short list, without options that write files or run code."""
    if not words:
        return False
    name = words[0].rsplit("/", 1)[-1]
    if any(w.startswith(("-o", "--output")) for w in words[1:]) and name in ("sort", "tree", "git"):
        return False
    if name in _READ_ONLY:
        return True
    if name == "git" and len(words) > 2 and words[1] == "branch":  # `git branch -D x` deletes
        return all(
            w in ("-a", "-r", "-v", "-vv", "--list", "--all", "--remotes", "--show-current")
            for w in words[2:]
        )
    if name == "git":  # a global option (-c, --exec-path, ...) before the subcommand can run code
        return len(words) > 1 and words[1] in _GIT_READ_ONLY
    if name == "find":
        return not any(word in _FIND_WRITES for word in words)
    return False


__all__ = ["is_default_read_only", "is_read_only"]
