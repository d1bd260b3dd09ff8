"""Entry point run inside the project's network namespace: set up the relays, then run the command.

    python -m backend_agent.gates._netns [--db PORT=SOCKET]... [--expose SOCKET=PORT]... -- COMMAND...

``--db`` makes ``127.0.0.1:PORT`` inside the namespace lead to the Unix socket (check's database);
``--expose`` makes the Unix socket lead to ``127.0.0.1:PORT`` inside (the started service). The
exit code is the command's. Kept free of heavy imports: it starts for every project process.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from backend_agent.gates._relay import tcp_to_unix, unix_to_tcp


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print("usage: _netns [--db PORT=SOCKET] [--expose SOCKET=PORT] -- COMMAND", file=sys.stderr)
        return 2
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1 :]
    for flag, value in zip(options[::2], options[1::2], strict=True):
        left, _, right = value.partition("=")
        if flag == "--db":
            tcp_to_unix(int(left), Path(right))
        elif flag == "--expose":
            unix_to_tcp(Path(left), "127.0.0.1", int(right))
        else:
            print(f"_netns: unknown option {flag}", file=sys.stderr)
            return 2
    proc = subprocess.Popen(command)

    def forward(signum: int, _frame: object) -> None:
        proc.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
