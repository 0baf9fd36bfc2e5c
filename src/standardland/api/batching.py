"""Concurrent requests coalesced into one call of a batch function (``POST /checks`` → one engine run).

The engine costs nearly the same for 1 row as for 64 (numpy columns), so checks that arrive together
are evaluated together: a request joins the pending batch and waits; the batch runs once the event loop
has taken in what arrived with it, and each request gets its own result (or its own error) back.

- **No waiting on purpose.** On the event loop, a lone request runs on the loop's next turn (tens of µs
  later), and a batch runs once a turn of the loop brings no new request to it (or it is full, or it
  has waited :data:`MAX_TURNS` turns): while requests are still being read and routed, those turns are
  busy with them, not idle; so batches are as large as the load makes them. In a worker thread, a
  batch starts at once, and the requests that arrive while it runs form the next.
- **Each answer its own.** The batch function returns one result per item, an exception instance for
  an item that failed; an exception raised by the function itself fails only that batch's requests
  (each gets its own copy). Every request of a batch is answered, whatever its result.
- **Where it runs.** ``in_thread=False`` (a local SQLite store and cached reference data: CPU-bound work)
  runs the batch on the event loop, with no thread hop: other requests wait for the batch, as they
  waited for each check before, so ``limit`` bounds that wait. ``in_thread=True`` (PostgreSQL) runs it
  in a worker thread, one batch at a time, while the next one gathers. A key keeps the mode of its
  first request.
- **Bounded.** At most ``limit`` items per batch; the rest wait for the next.

Per event loop and per key (the store): a process serving one app has one queue.
"""

from __future__ import annotations

import asyncio
import copy
import time
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool


@dataclass
class Batched:
    """One request's result and the batch it was part of (for ``Server-Timing``)."""

    result: Any
    size: int
    ms: float


#: the most turns of the event loop a batch waits for more requests to join it
MAX_TURNS = 8


@dataclass
class _Queue:
    in_thread: bool
    pending: list = field(default_factory=list)  # (item, future)
    busy: bool = False  # a run is scheduled (on the loop) or running (in a thread)
    seen: int = 0  # requests pending at the last turn
    turns: int = 0  # turns waited


class Coalescer:
    """Runs ``work(key, items) -> results`` over the requests that are pending together.

    Parameters
    ----------
    work : callable
        ``work(key, items)`` returns one result per item, in order; an item's exception *instance*
        is raised to that item's caller alone.
    limit : int
        The largest batch.

    Examples
    --------
    >>> import asyncio
    >>> seen = []
    >>> def double(key, items):
    ...     seen.append(len(items))
    ...     return [ValueError(x) if x < 0 else 2 * x for x in items]
    >>> c = Coalescer(double)
    >>> async def main():
    ...     got = await asyncio.gather(*(c.submit("k", x) for x in (1, 2, -3)), return_exceptions=True)
    ...     return [g.result if isinstance(g, Batched) else repr(g) for g in got]
    >>> asyncio.run(main()), seen
    ([2, 4, 'ValueError(-3)'], [3])
    """

    def __init__(self, work: Callable[[Hashable, list], list], *, limit: int = 64):
        """See the class docstring."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.work = work
        self.limit = limit
        self._queues: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # loop → {key: _Queue}
        self._tasks: set = set()  # the running drains (asyncio keeps only weak references to tasks)

    async def submit(self, key: Hashable, item, *, in_thread: bool = False) -> Batched:
        """``item``'s result from the batch it joins (its exception is raised here)."""
        loop = asyncio.get_running_loop()
        queues = self._queues.setdefault(loop, {})
        q = queues.get(key)
        if q is None:
            q = queues[key] = _Queue(in_thread)
        fut = loop.create_future()
        q.pending.append((item, fut))
        if not q.busy:
            q.busy, q.seen, q.turns = True, len(q.pending), 0
            if q.in_thread:
                task = loop.create_task(self._drain(key, q))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            else:
                loop.call_soon(self._run_on_loop, loop, key, q)
        return await fut

    def _take(self, q: _Queue) -> list:
        batch, q.pending = q.pending[:self.limit], q.pending[self.limit:]
        return [(item, fut) for item, fut in batch if not fut.done()]  # a cancelled request is dropped

    def _run_on_loop(self, loop, key, q: _Queue) -> None:
        n = len(q.pending)
        if q.seen < n < self.limit and q.turns < MAX_TURNS:  # requests still joining: one more turn
            q.seen, q.turns = n, q.turns + 1
            loop.call_soon(self._run_on_loop, loop, key, q)
            return
        batch = self._take(q)
        if q.pending:  # more than one batch's worth: the rest on the loop's next turn
            q.seen, q.turns = len(q.pending), 0
            loop.call_soon(self._run_on_loop, loop, key, q)
        else:
            q.busy = False
        if batch:
            _settle(batch, *self._run(key, [item for item, _ in batch]))

    async def _drain(self, key, q: _Queue) -> None:
        try:
            while q.pending:
                batch = self._take(q)
                if not batch:
                    continue
                try:
                    results, ms = await run_in_threadpool(self._run, key, [item for item, _ in batch])
                except Exception as exc:  # no thread to run it in
                    results, ms = exc, 0.0
                _settle(batch, results, ms)
        finally:
            q.busy = False

    def _run(self, key, items: list) -> tuple:
        """(``work(key, items)``'s results, or its own exception; its milliseconds)."""
        t0 = time.perf_counter()
        try:
            results = self.work(key, items)
        except Exception as exc:  # the batch function itself failed: every request of this batch
            results = exc
        return results, (time.perf_counter() - t0) * 1e3


def _settle(batch: list, results, ms: float) -> None:
    """Give each request of ``batch`` its result; every one is answered, whatever the results are."""
    if isinstance(results, BaseException):  # the batch function failed: each request its own copy
        results = [_copy(results) for _ in batch]
    elif not isinstance(results, (list, tuple)) or len(results) != len(batch):
        results = [RuntimeError(f"the batch function returned {type(results).__name__} for {len(batch)} items")
                   for _ in batch]
    for (_, fut), r in zip(batch, results, strict=True):
        if fut.done():  # cancelled meanwhile (the client went away)
            continue
        try:
            if isinstance(r, BaseException):
                fut.set_exception(r)
            else:
                fut.set_result(Batched(r, len(batch), ms))
        except Exception:  # an exception a future cannot hold (StopIteration): still an answer
            fut.set_exception(RuntimeError(f"the check failed: {r!r}"))


def _copy(exc: BaseException) -> BaseException:
    """A copy of ``exc`` (its own traceback and fields), or ``exc`` when it cannot be copied."""
    try:
        return copy.copy(exc)
    except Exception:
        return exc
