"""A load generator, run as its own process: ``python loadgen.py BASE N CONCURRENCY BODY.json``.

Sends N ``POST /api/v1/checks`` with at most CONCURRENCY in flight and prints the latencies (JSON)."""

import asyncio
import json
import sys
import time

import httpx


async def main(base: str, n: int, concurrency: int, body: dict) -> dict:
    lat: list[float] = []
    errors = 0
    async with httpx.AsyncClient(base_url=base, timeout=60,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:
        await client.post("/api/v1/checks", json=body)  # warm-up
        queue: asyncio.Queue = asyncio.Queue()
        for _ in range(n):
            queue.put_nowait(None)

        async def worker():
            nonlocal errors
            while not queue.empty():
                queue.get_nowait()
                t0 = time.perf_counter()
                r = await client.post("/api/v1/checks", json=body)
                lat.append(time.perf_counter() - t0)
                errors += r.status_code != 200
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return {"latencies": lat, "wall": wall, "errors": errors}


if __name__ == "__main__":
    base, n, c, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    body = json.loads(open(path, encoding="utf-8").read())
    print(json.dumps(asyncio.run(main(base, n, c, body))))
