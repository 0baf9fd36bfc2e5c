"""A real uvicorn server on 127.0.0.1 in a subprocess, for end-to-end tests."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """A port free on 127.0.0.1 now. Under pytest-xdist each worker draws from its own block of 1,000 ports
    below Linux's ephemeral range (32768+), so two workers never hand a server the same port and a
    worker's /healthz probe cannot reach another worker's server."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    first = 20_000 + 1_000 * (int(worker[2:]) % 12)
    for port in random.sample(range(first, first + 1_000), 1_000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {first}–{first + 999} for xdist worker {worker}")


def wait_until_healthy(proc: subprocess.Popen, base: str, log: Path, *, timeout: float) -> None:
    """Return once ``base/healthz`` answers 200; raise with the log's tail if ``proc`` exits or
    ``timeout`` seconds pass first (shared by the tests and ``bench/``)."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode}: {Path(log).read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"server did not answer /healthz in {timeout:.0f} s")
        time.sleep(0.1)


@contextmanager
def running_server(db_url: str, *, env: dict | None = None, workers: int = 1, args: tuple[str, ...] = (),
                   log: Path | None = None):
    """Yield the base URL of ``standardland serve`` on a free port; ``args`` are extra ``serve`` options.

    The server's stdout and stderr (its access log, warnings) go to the file ``log`` (a temporary file
    by default), never to a pipe: nobody reads a pipe while the server runs, and a full one blocks it.
    """
    port = free_port()
    e = {**os.environ, **(env or {})}
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(log) if log else Path(tmp) / "server.log"
        with open(log_path, "wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "standardland.cli", "serve", "--port", str(port),
                                     "--db", db_url, "--workers", str(workers), *args],
                                    stdout=out, stderr=subprocess.STDOUT, env=e)
            base = f"http://127.0.0.1:{port}"
            try:
                wait_until_healthy(proc, base, log_path, timeout=60)
                yield base
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
