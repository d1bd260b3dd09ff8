"""What a simple command does to files, and which of its options run code or write files.

``file_operands`` sorts a command's operands into reads, writes and *unknown* (a program we do not
model may read or write any operand). The engine maps them to Read and Edit rules. ``risky_option``
names an option that makes an otherwise harmless program run another program or write a file: a
prefix allow rule (``Bash(sed:*)``) does not vouch for ``sed -i`` or ``sed 's/x/y/e'``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

# Programs that only print things they are given as arguments (their operands are not files).
NON_FILE = {
    "echo", "printf", "true", "false", "test", "[", "pwd", "which", "type", "whoami", "id", "uname",
    "sleep", "kill", "exit", "return", ":", "seq", "basename", "dirname", "yes", "expr", "export",
    "unset", "set", "shift", "wait", "hash", "date", "hostname", "nproc", "arch", "tty", "umask",
}  # fmt: skip
# Programs whose non-option operands are files they read.
READERS = {
    "cat", "head", "tail", "less", "more", "wc", "nl", "od", "xxd", "hexdump", "strings", "base64",
    "base32", "md5sum", "sha1sum", "sha256sum", "sha512sum", "cksum", "b2sum", "diff", "cmp", "file",
    "stat", "tac", "column", "fold", "fmt", "paste", "join", "comm", "iconv", "zcat", "bzcat", "xzcat",
    "zless", "bat", "batcat", "view", "ls", "tree", "du", "realpath", "readlink", "sort", "cut", "uniq",
    "look", "rev", "expand", "unexpand", "pr", "split", "csplit", "sum", "grep", "egrep", "fgrep",
    "zgrep", "rg", "ag", "ack", "jq", "yq", "awk", "gawk", "mawk", "nawk", "sed", "find", "fd",
}  # fmt: skip
# Programs whose first non-option operand is a pattern or program, not a file.
_PATTERN_FIRST = {"grep", "egrep", "fgrep", "zgrep", "rg", "ag", "ack", "jq", "yq", "awk", "gawk", "mawk",
                  "nawk", "sed", "look"}  # fmt: skip
# Programs whose operands are all files they change (create, delete, truncate, re-mode).
WRITERS = {"touch", "truncate", "mkdir", "rmdir", "rm", "shred", "unlink", "tee", "mkfifo", "mknod"}
# Programs taking a mode/owner first, then files they change.
_MODE_FIRST = {"chmod", "chown", "chgrp", "chattr", "setfacl"}
# Copy-like programs: the last operand (or -t DIR) is written, the others read (mv also removes them).
_COPIERS = {"cp", "mv", "ln", "install", "rsync", "scp"}
# Readers that walk folders: reading a folder that holds a denied path reads the denied path.
_ALWAYS_RECURSIVE = {"rg", "ag", "ack", "find", "fd", "du", "tree"}
_RECURSIVE_FLAGS = {"grep": "rR", "egrep": "rR", "fgrep": "rR", "zgrep": "rR", "cp": "rRa", "ls": "R",
                    "scp": "r", "rsync": "ra", "zip": "r", "chmod": "R", "chown": "R", "rm": "rR"}  # fmt: skip
# Files whose contents are secrets of running processes: reading them always needs a human.
SENSITIVE_READS = re.compile(
    r"^/proc/(?:self|thread-self|\d+|\*|[^/]*[*?\[][^/]*)/(?:task/[^/]+/)?(?:environ|mem|auxv)$"
)
# Options taking a value, per program (so the value is not mistaken for an operand).
_OPTS_WITH_VALUE = {
    "grep": {"-e", "-f", "-m", "-A", "-B", "-C", "--include", "--exclude", "--exclude-dir", "-d", "-D"},
    "rg": {"-e", "-f", "-g", "--glob", "-t", "-T", "--type", "-m", "-A", "-B", "-C", "-j", "--pre-glob",
           "-M", "--max-columns", "-E", "--encoding", "--iglob", "--type-add", "-r", "--replace"},
    "head": {"-n", "-c"}, "tail": {"-n", "-c", "-s", "--pid"}, "sort": {"-k", "-t", "-S", "-T"},
    "cut": {"-d", "-f", "-c", "-b"}, "awk": {"-F", "-v"}, "sed": {"-l"}, "jq": {"--arg", "--argjson"},
    "find": set(), "ls": {"-I", "--ignore", "-w", "--width"}, "wc": set(), "diff": {"-U", "-C"},
    "cp": {"-S", "--suffix"}, "mv": {"-S", "--suffix"}, "install": {"-m", "-o", "-g"},
    "split": {"-l", "-b", "-n", "-a"}, "tree": {"-L", "-P", "-I"}, "du": {"-d", "--max-depth"},
    "xxd": {"-s", "-l", "-c", "-g"}, "od": {"-A", "-t", "-N", "-j", "-w"},
}  # fmt: skip


@dataclass
class FileOperands:
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    recursive: bool = False


def _program(words: list[str]) -> str:
    return words[0].rsplit("/", 1)[-1] if words else ""


def _split_options(name: str, words: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(operands, option values that may be paths, options) of a command's arguments."""
    with_value = _OPTS_WITH_VALUE.get(name, set())
    operands: list[str] = []
    values: list[str] = []
    options: list[str] = []
    index, end_of_options = 1, False
    while index < len(words):
        word = words[index]
        if end_of_options or not word.startswith("-") or word == "-":
            operands.append(word)
        elif word == "--":
            end_of_options = True
        else:
            options.append(word)
            if "=" in word and word.startswith("--"):
                values.append(word.split("=", 1)[1])
            elif word in with_value and index + 1 < len(words):
                values.append(words[index + 1])
                index += 1
        index += 1
    return operands, values, options


def file_operands(words: list[str]) -> FileOperands:
    """Sort the operands of one simple command into reads, writes and unknown (treat as read-only)."""
    return _file_operands(tuple(words))


@lru_cache(maxsize=1024)
def _file_operands(words_tuple: tuple[str, ...]) -> FileOperands:
    words = list(words_tuple)
    name = _program(words)
    result = FileOperands()
    if not words or name in NON_FILE:
        return result
    operands, values, options = _split_options(name, words)
    flags = "".join(o[1:] for o in options if not o.startswith("--"))
    longs = {o.split("=", 1)[0] for o in options if o.startswith("--")}
    result.recursive = (
        name in _ALWAYS_RECURSIVE
        or bool(set(flags) & set(_RECURSIVE_FLAGS.get(name, "")))
        or ("--recursive" in longs or "--dereference-recursive" in longs)
    )
    if name in READERS:
        explicit_pattern = (
            name in ("grep", "egrep", "fgrep", "zgrep", "rg")
            and (
                any(
                    o in ("-e", "-f", "--regexp", "--file") or o.startswith(("--regexp=", "--file="))
                    for o in options
                )
            )
        ) or (
            name == "sed"
            and any(o in ("-e", "-f", "--expression") or o.startswith("--expression=") for o in options)
        )
        files = operands[1:] if name in _PATTERN_FIRST and not explicit_pattern else operands
        if name == "sed" and ("-i" in options or any(o.startswith(("-i", "--in-place")) for o in options)):
            result.writes += files
        if name == "sort" and ("-o" in options or "--output" in longs):
            result.unknown += values
        if name == "uniq" and len(files) > 1:
            result.writes.append(files[1])
            files = files[:1]
        if name == "find":
            files = [w for w in operands if not w.startswith(("(", ")", "!"))][:1] or ["."]
        if name in ("rg", "ag", "ack", "grep") and not files and result.recursive:
            files = ["."]
        if name in ("ls", "tree", "du") and not files:
            files = ["."]
        result.reads += files
        result.unknown += values
        return result
    if name in WRITERS:
        result.writes += operands
        result.unknown += values
        return result
    if name in _MODE_FIRST:
        result.writes += operands[1:]
        return result
    if name in _COPIERS:
        target = next((v for o, v in pairwise(words) if o in ("-t", "--target-directory")), None)
        if target is not None:
            result.writes.append(target)
            result.reads += operands
        elif operands:
            result.writes.append(operands[-1])
            (result.writes if name == "mv" else result.reads).extend(operands[:-1])
        return result
    if name == "dd":
        for word in words[1:]:
            if word.startswith("if="):
                result.reads.append(word[3:])
            elif word.startswith("of="):
                result.writes.append(word[3:])
        return result
    # Not modelled: any operand, option value or ``ref:path`` may be read or written.
    for word in operands + values:
        result.unknown.append(word)
        if ":" in word and not word.startswith(("http:", "https:", "ssh:", "git@")):
            result.unknown.append(word.split(":", 1)[1])
    return result


# ------------------------------------------------------------------------------- risky options
# (-exec/-ok run commands the analysis sees and checks on their own.)
_FIND_RISKY = {"-delete", "-fprint", "-fprint0", "-fprintf", "-fls"}
_GIT_GLOBAL_RISKY = ("-c", "--config-env", "--exec-path")
_GIT_RISKY_SUBCOMMANDS = {"difftool", "mergetool", "filter-branch", "filter-repo", "credential"}
_GIT_RISKY_OPTIONS = ("--upload-pack", "--receive-pack", "--exec", "--output", "--ext-diff",
                      "--open-files-in-pager", "--extcmd", "--tool", "--command")  # fmt: skip


def risky_option(words: list[str]) -> str | None:
    """Why ``words`` runs another program or writes files through an option, or None."""
    name = _program(words)
    args = words[1:]
    if name == "find":
        found = next((w for w in args if w in _FIND_RISKY), None)
        return f"'find {found}' deletes, writes or runs commands" if found else None
    if name in ("awk", "gawk", "mawk", "nawk"):
        return _awk_risk(args)
    if name == "sed":
        return _sed_risk(args)
    if name in ("rg", "ripgrep") and any(a == "--pre" or a.startswith("--pre=") for a in args):
        return "'rg --pre' runs a program on every file"
    if name == "git":
        return _git_risk(args)
    if name == "sort" and any(a.startswith(("--compress-program", "-o", "--output")) for a in args):
        return "'sort' with --compress-program or -o runs a program or writes a file"
    if name == "tar" and any(
        a.startswith(("--to-command", "--use-compress-program", "--checkpoint-action", "--info-script",
                      "--new-volume-script", "-I", "-F", "--rsh-command")) for a in args
    ):  # fmt: skip
        return "this tar option runs a program"
    if name in ("rsync",) and any(a.startswith(("-e", "--rsh", "--rsync-path")) for a in args):
        return "rsync -e/--rsync-path runs a program"
    if name in ("ssh", "scp", "sftp") and any("ProxyCommand" in a or "LocalCommand" in a for a in args):
        return "an ssh ProxyCommand/LocalCommand runs a program"
    if name in ("man",) and any(a.startswith(("-P", "--pager", "-H", "--html")) for a in args):
        return "'man -P/-H' runs a program"
    if name in ("vi", "vim", "nvim", "view", "ex", "emacs") and any(
        a.startswith(("+", "-c", "--cmd", "--eval", "-x", "--execute")) for a in args
    ):
        return f"'{name}' with a startup command runs arbitrary commands"
    if name in ("nc", "ncat", "netcat") and any(
        a in ("-e", "-c", "--exec", "--sh-exec", "--lua-exec") for a in args
    ):
        return f"'{name} -e/-c' runs a program"
    if name == "socat" and any(re.search(r"(?i)\b(exec|system):", a) for a in args):
        return "socat EXEC:/SYSTEM: runs a program"
    if name == "zip" and any(a in ("-T", "-TT", "--unzip-command") or a.startswith("-TT") for a in args):
        return "'zip -TT' runs a program"
    if name == "less" and any(a.startswith(("-o", "--log-file", "-O", "--LOG-FILE")) for a in args):
        return "'less -o' writes a file"
    if name == "date" and any(a.startswith(("-s", "--set")) for a in args):
        return "'date -s' sets the clock"
    if name in ("curl", "wget") and any(
        a.startswith(("-o", "--output", "-O", "--remote-name", "-K", "--config", "--output-document", "-T",
                      "--upload-file", "-d@", "--data", "-F", "--form")) for a in args
    ):  # fmt: skip
        return f"'{name}' with this option reads or writes local files"
    return None


def _awk_risk(args: list[str]) -> str | None:
    programs: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("-f", "--file") or arg.startswith(("-f", "--file=")):
            return "'awk -f' runs a program file that cannot be checked"
        if arg in ("-F", "-v") and index + 1 < len(args):
            index += 2
            continue
        if arg.startswith(("-i", "--include", "-l", "--load", "-E", "--exec")):
            return "'awk' loads extra code"
        if not arg.startswith("-"):
            programs.append(arg)
            break
        index += 1
    for program in programs:
        if re.search(
            r"\bsystem\s*\(|\|\s*getline|\|&|[^<=>!]>|\bprint[^;}]*\||\bprintf[^;}]*\||\bclose\b|\bfflush\b",
            program,
        ):
            return "the awk program runs commands or writes files (system(), pipes or > redirection)"
    return None


def _sed_risk(args: list[str]) -> str | None:
    scripts: list[str] = []
    explicit = False
    index = 0
    while index < len(args):
        arg = args[index]
        if (
            arg in ("-i", "--in-place")
            or arg.startswith(("--in-place=",))
            or (arg.startswith("-") and not arg.startswith("--") and "i" in arg[1:])
        ):
            return "'sed -i' edits files in place"
        if arg in ("-f", "--file") or arg.startswith(("--file=",)):
            return "'sed -f' runs a script file that cannot be checked"
        if arg in ("-e", "--expression") and index + 1 < len(args):
            scripts.append(args[index + 1])
            explicit = True
            index += 2
            continue
        if arg.startswith("--expression="):
            scripts.append(arg.split("=", 1)[1])
            explicit = True
        elif arg.startswith("-") and not arg.startswith("--") and arg[-1] == "e" and index + 1 < len(args):
            scripts.append(args[index + 1])  # -ne SCRIPT
            explicit = True
            index += 2
            continue
        elif not arg.startswith("-") and not explicit and not scripts:
            scripts.append(arg)
        index += 1
    for script in scripts:
        if sed_script_runs_or_writes(script):
            return "the sed script runs a command or writes/reads a file (e, w, W, r, R or s///e|w)"
    return None


def sed_script_runs_or_writes(script: str) -> bool:
    """A small sed parser: does any command (or ``s`` flag) execute, write or read a file?"""
    i, n = 0, len(script)
    while i < n:
        ch = script[i]
        if ch in " \t\n;{}!,$0123456789+~":
            i += 1
            continue
        if ch in "/\\":  # an address regex: /re/ or \cREc
            delim = "/" if ch == "/" else (script[i + 1] if i + 1 < n else "/")
            i = _skip_delimited(script, i + (1 if ch == "/" else 2), delim)
            while i < n and script[i] in "IM":
                i += 1
            continue
        if ch in "ewWrR":
            return True
        if ch in "sy":
            if i + 1 >= n:
                return False
            delim = script[i + 1]
            i = _skip_delimited(script, i + 2, delim)
            i = _skip_delimited(script, i, delim)
            flags_start = i
            while i < n and script[i] not in ";\n}":
                i += 1
            flags = script[flags_start:i]
            if ch == "s" and ("e" in flags or "w" in flags or "W" in flags):
                return True
            continue
        if ch in "aic":  # text to the end of the line
            end = script.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if ch in ":btT":  # a label to the end of the command
            while i < n and script[i] not in ";\n":
                i += 1
            continue
        if ch == "#":
            end = script.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        i += 1
    return False


def _skip_delimited(script: str, i: int, delim: str) -> int:
    while i < len(script):
        if script[i] == "\\":
            i += 2
            continue
        if script[i] == delim:
            return i + 1
        i += 1
    return i


def _git_risk(args: list[str]) -> str | None:
    index = 0
    while index < len(args) and args[index].startswith("-"):
        arg = args[index]
        if arg in _GIT_GLOBAL_RISKY or arg.startswith(tuple(o + "=" for o in _GIT_GLOBAL_RISKY[1:])):
            return (
                f"'git {arg}' sets configuration that can make git run any program (core.pager, aliases, ...)"
            )
        index += 2 if arg in ("-C", "--git-dir", "--work-tree", "--namespace") else 1
    rest = args[index:]
    if not rest:
        return None
    sub = rest[0]
    if sub in _GIT_RISKY_SUBCOMMANDS:
        return f"'git {sub}' runs external programs"
    if sub == "config" and not any(
        a in ("--get", "--get-all", "--list", "-l", "--get-regexp") for a in rest[1:]
    ):
        return "'git config' changes configuration that can make git run any program"
    if sub == "rebase" and any(a in ("-x", "--exec") or a.startswith("--exec=") for a in rest[1:]):
        return "'git rebase --exec' runs a command"
    if sub in ("bisect",) and len(rest) > 1 and rest[1] == "run":
        return "'git bisect run' runs a command"
    if sub == "submodule" and "foreach" in rest[1:]:
        return "'git submodule foreach' runs a command"
    if sub == "grep" and any(a == "-O" or a.startswith("-O") for a in rest[1:]):
        return "'git grep -O' runs a pager program"
    found = next(
        (
            a
            for a in rest[1:]
            if a.startswith(_GIT_RISKY_OPTIONS)
            or (sub in ("fetch", "clone", "ls-remote", "pull") and a == "-u")
        ),
        None,
    )
    if found:
        return f"'git {sub} {found.split('=', 1)[0]}' runs a program or writes a file"
    return None


__all__ = ["NON_FILE", "READERS", "SENSITIVE_READS", "FileOperands", "file_operands", "risky_option"]
