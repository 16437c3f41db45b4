"""Start a Jupyter server for a test, wait until it answers, and stop it with all its children.

Shared by tests/test_lab.py (the `make serve` command) and tests/test_browser.py (JupyterLab in Chromium).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, token: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.read()


@contextmanager
def running(command: list[str], env: dict[str, str], port: int, token: str, cwd=None,
            start_seconds: float = 90) -> Iterator[str]:
    """Run ``command`` (a server listening on 127.0.0.1:``port``) in its own process group; yield its base URL
    once ``/api/status`` answers; then stop the whole group (SIGTERM, then SIGKILL after 20 s)."""
    # The log goes to a file, not a pipe: a pipe nobody reads fills up and then blocks the server.
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            try:
                get(f"{base}/api/status", token)
                break
            except OSError:
                if server.poll() is not None:
                    log.seek(0)
                    raise AssertionError(log.read().decode(errors="replace")[-3000:])
                assert time.monotonic() < deadline, f"the Jupyter server did not answer within {start_seconds:.0f} s"
                time.sleep(1)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
