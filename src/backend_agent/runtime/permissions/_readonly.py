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
    "uniq",
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
    if not words:
        return False
    name = words[0].rsplit("/", 1)[-1]
    if name in _READ_ONLY:
        return True
    if name == "git":
        sub = next((w for w in words[1:] if not w.startswith("-")), None)
        return sub in _GIT_READ_ONLY
    if name == "find":
        return not any(word in _FIND_WRITES for word in words)
    return name == "sed" and "-i" not in words and not any(w.startswith(("-i", "--in-place")) for w in words)


__all__ = ["is_read_only"]
