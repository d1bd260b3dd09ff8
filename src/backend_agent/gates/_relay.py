"""Byte relays between TCP and Unix sockets, so a process in its own network namespace reaches
exactly one database and the check reaches exactly the service inside it.

A network namespace has its own loopback: nothing listening on the machine's 127.0.0.1 (a
developer's PostgreSQL on 5432, say) is reachable from inside. The file system is shared, so a Unix
socket in check's work folder is the one door: a relay inside the namespace listens on
``127.0.0.1:PORT`` and forwards each connection to a socket file, and a relay outside does the
reverse. Each connection gets two pump threads; a half-close is passed on.

Run as a script, it is the entry point of every process inside the namespace (kept to the standard
library and started with ``python -I PATH``, so it costs a tenth of a second, not the package's
import time)::

    python -I _relay.py [--db PORT=SOCKET]... [--expose SOCKET=PORT]... -- COMMAND...

``--db`` makes ``127.0.0.1:PORT`` inside the namespace lead to the Unix socket (check's database);
``--expose`` makes the Unix socket lead to ``127.0.0.1:PORT`` inside (the started service). The
exit code is the command's.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

SCRIPT = Path(__file__)

Connect = Callable[[], socket.socket]


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


def _bridge(client: socket.socket, connect: Connect) -> None:
    try:
        upstream = connect()
    except OSError:
        client.close()
        return
    for sock in (client, upstream):
        if sock.family == socket.AF_INET:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
    back.start()
    _pump(client, upstream)
    back.join()
    client.close()
    upstream.close()


class Relay:
    """Accepts on ``listener`` and forwards every connection to ``connect()`` until closed."""

    def __init__(self, listener: socket.socket, connect: Connect):
        self.listener = listener
        self.connect = connect
        self._thread = threading.Thread(target=self._serve, daemon=True, name="relay")

    def start(self) -> Relay:
        self._thread.start()
        return self

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=_bridge, args=(client, self.connect), daemon=True).start()

    def close(self) -> None:
        # shutdown() wakes the thread blocked in accept(); close() alone would leave it listening.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.listener.close()
        self._thread.join(timeout=2)


def tcp_listener(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def unix_listener(path: Path) -> socket.socket:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.listen(128)
    return sock


def to_tcp(host: str, port: int) -> Connect:
    return lambda: socket.create_connection((host, port), timeout=10)


def to_unix(path: Path) -> Connect:
    def connect() -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(10)
        sock.connect(str(path))
        sock.settimeout(None)
        return sock

    return connect


def tcp_to_unix(port: int, path: Path, host: str = "127.0.0.1") -> Relay:
    """Listen on ``host:port`` and forward to the Unix socket ``path``."""
    return Relay(tcp_listener(host, port), to_unix(path)).start()


def unix_to_tcp(path: Path, host: str, port: int) -> Relay:
    """Listen on the Unix socket ``path`` and forward to ``host:port``."""
    relay = Relay(unix_listener(path), to_tcp(host, port))
    # create_connection's timeout would otherwise stay on the upstream socket for the whole session.
    relay.connect = _blocking(relay.connect)
    return relay.start()


def _blocking(connect: Connect) -> Connect:
    def wrapped() -> socket.socket:
        sock = connect()
        sock.settimeout(None)
        return sock

    return wrapped


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print("usage: _relay.py [--db PORT=SOCKET] [--expose SOCKET=PORT] -- COMMAND", file=sys.stderr)
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
            print(f"_relay.py: unknown option {flag}", file=sys.stderr)
            return 2
    proc = subprocess.Popen(command)

    def forward(signum: int, _frame: object) -> None:
        proc.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    return proc.wait()


__all__ = ["SCRIPT", "Relay", "main", "tcp_to_unix", "unix_to_tcp"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
