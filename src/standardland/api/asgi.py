"""ASGI entry point for uvicorn workers: ``uvicorn standardland.api.asgi:app`` (settings from the environment)."""

from . import create_app

app = create_app()
