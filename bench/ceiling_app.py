"""The ceiling for ``POST /api/v1/checks``: a constant-JSON FastAPI app that returns the very bytes of
a real check response (the file ``$SL_CEILING_BODY``) without doing any work.

bench_http.py serves it exactly as ``standardland serve`` serves the real app — the same uvicorn,
worker count, logging config and access-log flag — and reports the check as a ratio to it:
``python ceiling_app.py --port P --workers 2 [--no-access-log]``.
"""

import os
from pathlib import Path

from fastapi import FastAPI, Request, Response

BODY = Path(os.environ["SL_CEILING_BODY"]).read_bytes() if os.environ.get("SL_CEILING_BODY") else b"{}"
app = FastAPI()


@app.post("/api/v1/checks")
async def check(request: Request) -> Response:
    await request.body()  # the request is received in full, as the real route does
    return Response(BODY, media_type="application/json")


@app.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


def main() -> None:
    import argparse
    import sys

    import uvicorn

    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True)
    a = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # so workers import "ceiling_app:app"
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parent),
                                                             os.environ.get("PYTHONPATH")]))
    try:  # the same logging config as `standardland serve` (cli._serve), if it is still there
        from standardland.cli import _uvicorn_log_config
        log_config = _uvicorn_log_config()
    except Exception:  # pragma: no cover - the CLI changed; fall back to uvicorn's default
        log_config = uvicorn.config.LOGGING_CONFIG
    uvicorn.run("ceiling_app:app", host=a.host, port=a.port, workers=a.workers, log_level=None,
                log_config=log_config, access_log=a.access_log)


if __name__ == "__main__":
    main()
