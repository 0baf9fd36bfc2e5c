"""Write the service's OpenAPI document: ``python -m standardland.api.openapi > api/openapi.json``.

The committed ``api/openapi.json`` is checked for drift by the test suite.
"""

from __future__ import annotations

import json
import sys
import tempfile


def document() -> dict:
    """The service's OpenAPI document, from an app over a throwaway SQLite store."""
    from . import Settings, create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(db=f"sqlite:///{tmp}/openapi.db"))
        doc = app.openapi()
        app.state.store.close()
    return doc


def render() -> str:
    """:func:`document` as the committed ``api/openapi.json`` text (sorted keys, UTF-8, indented)."""
    return json.dumps(document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
