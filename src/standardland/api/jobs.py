"""Heavy request work — reading uploads, imports, screenings — in a separate process.

A worker thread is not enough: pandas, pyogrio and the JSON encoders hold the GIL for seconds on
100,000 rows, and the event loop (``/healthz``, every other request) would wait for them. So each
server process keeps one helper process (spawned on first use, reused after), the route awaits it,
and the server keeps answering. The helper reaches the store by its URL; what it returns is small
(a summary) or already-encoded JSON bytes. Domain errors cross the process boundary intact.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pandas as pd

from ..errors import Unavailable

_POOL: ProcessPoolExecutor | None = None
_LOCK = threading.Lock()


def _pool() -> ProcessPoolExecutor:
    global _POOL
    with _LOCK:
        if _POOL is None:
            _POOL = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_watch_parent, initargs=(os.getpid(),))
        return _POOL


async def run(fn, *args):
    """``fn(*args)`` in the helper process, awaited without blocking the event loop."""
    global _POOL
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(_pool(), fn, *args)
    except BrokenProcessPool:
        with _LOCK:
            _POOL = None
        raise Unavailable("the file could not be processed (the helper process stopped); nothing was written",
                        field="file", expected="a smaller file") from None
    finally:
        from ..store.dialect import note_external_write

        note_external_write()  # the helper may have written: cached store versions are re-read


def warm() -> None:
    """Start the helper now (it imports the libraries in its own time), so the first upload does not wait."""
    _pool().submit(int)


@contextlib.asynccontextmanager
async def lifespan(app):
    """The app's lifespan: the helper starts with the server and stops with it; what the server
    holds from its start is frozen out of the garbage collector's sight
    (:func:`standardland.gcpause.freeze_startup`)."""
    from ..gcpause import freeze_startup

    warm()
    freeze_startup()
    yield
    shutdown()


def shutdown() -> None:
    """Stop this process's helper process (at server shutdown): queued work is cancelled, the helper
    is told to stop and, still busy after 3 s, ended; not left to the executor, which, not waited
    for, let it outlive the server."""
    global _POOL
    with _LOCK:
        if _POOL is not None:
            helpers = list((getattr(_POOL, "_processes", None) or {}).values())
            _POOL.shutdown(wait=False, cancel_futures=True)  # the idle helper is told to stop …
            for proc in helpers:
                proc.join(3)
                if proc.is_alive():  # … and one still busy is ended
                    proc.terminate()
                    proc.join(5)
            _POOL = None


# -- in the helper process -------------------------------------------------------------------------


def _watch_parent(parent: int, every: float = 1.0) -> None:
    """Initializer of the helper: end it when the server process that started it is gone (however
    it ended: a stop, a crash, SIGKILL), so no helper outlives its server. The terminal's Ctrl-C is
    the server's to handle (it stops the helper), not a traceback of the helper's."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch():
        while True:
            time.sleep(every)
            if os.getppid() != parent:  # re-parented: the server is gone
                os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()

_STORES: dict = {}


def _store(url):
    """The store at ``url`` (opened once per process), or ``url`` itself when it is a store already."""
    from ..store import open_store

    if not isinstance(url, str):
        return url
    if url not in _STORES:
        _STORES[url] = open_store(url)
    return _STORES[url]


def records_json(df: pd.DataFrame) -> bytes:
    """A screening result encoded once, in C (``to_json``), as ``{"rows", "columns", "results"}``."""
    return ('{"rows":%d,"columns":%s,"results":%s}' % (
        len(df), json.dumps([str(c) for c in df.columns], ensure_ascii=False),
        df.to_json(orient="records", force_ascii=False))).encode("utf-8")


def screen_file(url: str, path: str, name: str, limits, checkpoint: str) -> bytes:
    """Screen a table file in the helper process; the flat verdicts as JSON bytes."""
    from .. import io as sio
    from .. import services

    df = sio.read_table(path, limits=limits, name=name)
    return records_json(services.screen_table(_store(url), df, checkpoint=checkpoint))


def screen_rows(url: str, rows: list[dict], ruleset_ids, indicators, checkpoint: str) -> bytes:
    """Screen JSON project rows in the helper process; the flat verdicts as JSON bytes."""
    from .. import services

    df = pd.DataFrame(rows) if rows else pd.DataFrame({"decision_date": []})
    return records_json(services.screen_table(_store(url), df, ruleset_ids=ruleset_ids, indicators=indicators,
                                              checkpoint=checkpoint))


def import_file(url: str, path: str, name: str, limits, crs, fix: bool, mode: str, allow: tuple = ()) -> dict:
    """Import a parcel file in the helper process; the import summary."""
    from .. import io as sio
    from .. import services

    store = _store(url)
    res = sio.read_parcels_file(path, limits=limits, name=name)
    return {**services.import_file(store, path, crs=crs, fix=fix, mode=mode, read=res, allow=allow), "file": name}
