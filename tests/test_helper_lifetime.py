"""The helper process a server starts (uploads, imports, screenings: ``api/jobs``) ends with the server,
however the server ends: it was left behind, ~150 MB each, by every stop of a multi-worker server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from server import free_port


def _children(pid: int) -> set[int]:
    out = set()
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.add(int(d.name))
    return out


def _descendants(pid: int) -> set[int]:
    seen, todo = set(), [pid]
    while todo:
        for c in _children(todo.pop()):
            if c not in seen:
                seen.add(c)
                todo.append(c)
    return seen


def _alive(pids) -> set[int]:
    out = set()
    for p in pids:
        try:
            state = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(p)
    return out


def _helpers(pid: int) -> set[int]:
    return {p for p in _descendants(pid) if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(("workers", "how"), [(1, signal.SIGTERM), (2, signal.SIGTERM), (1, signal.SIGKILL)])
def test_no_process_outlives_the_server(tmp_path, workers, how):
    db = f"sqlite:///{tmp_path / 'h.db'}"
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "standardland.cli", "serve", "--port", str(port), "--db", db,
                             "--workers", str(workers), "--no-access-log"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        helpers: set[int] = set()
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    # each worker starts its helper at start-up; with several, the workers are spawned too
                    helpers = _helpers(proc.pid)
                    if len(helpers) >= (1 if workers == 1 else 2 * workers):
                        break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        everything = _descendants(proc.pid)
        assert helpers, "the server started no helper process"
        os.kill(proc.pid, how)
        proc.wait(30)
        deadline = time.monotonic() + 20
        while _alive(everything) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(everything), f"left behind after {signal.Signals(how).name}: {_alive(everything)}"
    finally:
        if proc.poll() is None:
            proc.kill()
        for p in _alive(_descendants(proc.pid)):
            os.kill(p, signal.SIGKILL)
