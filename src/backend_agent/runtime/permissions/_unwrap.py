"""Wrapper commands (env, sudo, xargs, timeout, nice, ...) and where the wrapped command starts."""

from __future__ import annotations

import re

SHELLS = {"bash", "sh", "zsh", "dash", "ksh", "ash", "mksh", "busybox"}
STDIN_INTERPRETERS = {"python", "python3", "python2", "node", "perl", "ruby", "php", "deno", "bun", *SHELLS}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")

# Options that take a separate argument, per wrapper (everything else starting with '-' is a flag).
_OPTS_WITH_ARG: dict[str, set[str]] = {
    "env": {"-u", "--unset", "-C", "--chdir", "-S", "--split-string"},
    "sudo": {
        "-u",
        "--user",
        "-g",
        "--group",
        "-p",
        "--prompt",
        "-C",
        "--close-from",
        "-h",
        "--host",
        "-r",
        "--role",
        "-t",
        "--type",
        "-U",
        "--other-user",
        "-T",
        "--command-timeout",
        "-D",
        "--chdir",
    },
    "doas": {"-u", "-C"},
    "xargs": {
        "-I",
        "-n",
        "--max-args",
        "-L",
        "--max-lines",
        "-P",
        "--max-procs",
        "-d",
        "--delimiter",
        "-E",
        "-s",
        "--max-chars",
        "-a",
        "--arg-file",
        "--process-slot-var",
    },
    "timeout": {"-s", "--signal", "-k", "--kill-after"},
    "nice": {"-n", "--adjustment"},
    "ionice": {"-c", "--class", "-n", "--classdata", "-p", "--pid", "-P", "--pgid", "-u", "--uid"},
    "stdbuf": {"-i", "--input", "-o", "--output", "-e", "--error"},
    "exec": {"-a"},
    "command": set(),
    "nohup": set(),
    "time": {"-f", "--format", "-o", "--output"},
    "setsid": set(),
    "builtin": set(),
}
WRAPPERS = set(_OPTS_WITH_ARG)
PRIVILEGED = {"sudo", "doas"}


def split_wrapper(words: list[str]) -> tuple[list[str], list[str]] | None:
    """For ``words`` starting with a wrapper, return (wrapper words, wrapped command); else None.

    The wrapped command may be empty (``env`` alone prints the environment; ``sudo -s`` opens a shell).
    """
    if not words or words[0] not in WRAPPERS:
        return None
    name = words[0]
    with_arg = _OPTS_WITH_ARG[name]
    index = 1
    while index < len(words):
        word = words[index]
        if word == "--":
            index += 1
            break
        if name == "env" and (_ASSIGNMENT.match(word) or word == "-"):
            index += 1
            continue
        if name == "command" and word in ("-v", "-V"):
            return None  # `command -v x` only looks a name up; it runs nothing
        if not word.startswith("-") or word == "-":
            break
        if word in with_arg:
            index += 2
            continue
        if name == "nice" and re.fullmatch(r"-\d+", word):
            index += 1
            continue
        if not word.startswith("--") and len(word) > 2:
            # clustered short options (`sudo -Hu root`, `env -iu VAR`): the first one that takes an
            # argument ends the cluster; its argument is the rest of the word or, if none, the next word
            letters = word[1:]
            taking = next((i for i, ch in enumerate(letters) if f"-{ch}" in with_arg), None)
            index += 2 if taking == len(letters) - 1 else 1
            continue
        index += 1
    if name == "timeout" and index < len(words):
        index += 1  # the DURATION operand
    return words[:index], words[index:]


def shell_script_arg(words: list[str]) -> tuple[str | None, bool]:
    """For a shell invocation: (the ``-c`` script, reads commands from stdin?)."""
    index = 1
    while index < len(words):
        word = words[index]
        if word == "--":
            index += 1
            break
        if word.startswith("--"):
            index += 2 if word in ("--rcfile", "--init-file") else 1
            continue
        if word in ("-", "+") or not word.startswith(("-", "+")):
            break
        letters = word[1:]
        if word.startswith("-") and "c" in letters:
            return (words[index + 1] if index + 1 < len(words) else ""), False
        if "s" in letters:
            return None, True
        index += 2 if word in ("-o", "+o", "-O", "+O") else 1
    rest = words[index:]
    return None, (not rest or rest[0] == "-")


def interpreter_reads_stdin(words: list[str]) -> bool:
    """``python``, ``node``, ... with no script and no inline code run whatever arrives on stdin."""
    args = words[1:]
    if not args or args == ["-"]:
        return True
    return args[-1] == "-" and all(arg.startswith("-") for arg in args)


def find_exec_split(words: list[str]) -> tuple[list[str], list[list[str]]]:
    """Split ``find ... -exec cmd {} ;`` into the find words and each executed command."""
    find_words: list[str] = []
    executed: list[list[str]] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word in ("-exec", "-execdir", "-ok", "-okdir"):
            end = index + 1
            while end < len(words) and words[end] not in (";", "+", "\\;"):
                end += 1
            executed.append(words[index + 1 : end])
            find_words.append(word)
            index = end + 1
            continue
        find_words.append(word)
        index += 1
    return find_words, executed


__all__ = [
    "PRIVILEGED",
    "SHELLS",
    "STDIN_INTERPRETERS",
    "WRAPPERS",
    "find_exec_split",
    "interpreter_reads_stdin",
    "shell_script_arg",
    "split_wrapper",
]
