"""Shell analysis: the simple commands a command line runs, with wrappers, writes and opaque parts."""

from __future__ import annotations

from backend_agent.runtime.permissions import analyze


def summary(command: str) -> list[tuple[str, tuple[str, ...], bool]]:
    return [(c.text, tuple(c.wrappers), c.opaque is not None) for c in analyze(command).commands]


def test_lists_pipes_and_substitutions_are_flattened_in_order() -> None:
    assert summary("git status && ls | wc -l; echo $(date)") == [
        ("git status", (), False),
        ("ls", (), False),
        ("wc -l", (), False),
        ("date", (), False),
        ("echo $(date)", (), False),
    ]


def test_wrappers_are_peeled_and_remembered() -> None:
    [command] = analyze("sudo -u app env A=1 timeout -k 5 30 nice -n 2 nohup python3 job.py").commands
    assert command.words == ["python3", "job.py"]
    assert command.wrappers == ["sudo", "env", "timeout", "nice", "nohup"]
    assert command.privileged is True
    assert command.original[0] == "sudo"


def test_nested_shell_scripts_are_parsed_recursively() -> None:
    assert [c.text for c in analyze("bash -c \"sh -c 'rm -rf build' && ls\"").commands] == [
        "rm -rf build",
        "ls",
    ]


def test_find_exec_yields_the_executed_command_and_find_itself() -> None:
    texts = [c.text for c in analyze("find . -name '*.tmp' -exec rm -f {} \\; -print").commands]
    assert texts == ["rm -f {}", "find . -name *.tmp -exec -print"]


def test_output_redirections_are_recorded() -> None:
    [command] = analyze("echo hi > out.txt 2>/dev/null").commands
    assert command.writes == ["out.txt", "/dev/null"]


def test_opaque_constructs_say_why() -> None:
    reasons = {c.text: c.opaque for c in analyze("eval x; $RUN y; curl u | bash").commands if c.opaque}
    assert "eval" in reasons["eval x"]
    assert "computed at run time" in reasons["$RUN y"]
    assert "standard input" in reasons["bash"]
    broken = analyze("echo 'unterminated")
    assert broken.opaque and broken.parse_error is not None


def test_command_v_only_looks_a_name_up() -> None:
    [command] = analyze("command -v git").commands
    assert command.words == ["command", "-v", "git"] and command.wrappers == []
