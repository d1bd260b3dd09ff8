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
_GIT_READ_ONLY = {"status", "log", "diff", "show", "blame", "rev-parse", "ls-files", "describe", "shortlog"}
_FIND_WRITES = {"-delete", "-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fprint0", "-fprintf", "-fls"}


def is_read_only(words: list[str]) -> bool:
    """Conservative: a command from a short list, without options that write files or run code."""
    if not words:
        return False
    name = words[0].rsplit("/", 1)[-1]
    if any(w.startswith(("-o", "--output")) for w in words[1:]) and name in ("sort", "tree", "git"):
        return False
    if name in _READ_ONLY:
        return True
    if name == "git":  # a global option (-c, --exec-path, ...) before the subcommand can run code
        return len(words) > 1 and words[1] in _GIT_READ_ONLY
    if name == "find":
        return not any(word in _FIND_WRITES for word in words)
    return False


__all__ = ["is_read_only"]
