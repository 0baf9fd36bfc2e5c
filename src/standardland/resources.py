"""Locate the reference data (``geodata/``) and web assets (``web/``).

In a built wheel they live inside the package as ``standardland/_data/``; in a source
checkout (editable install) they are the repository's top-level folders.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


@cache
def _root(name: str) -> Path:
    for candidate in (_PKG / "_data" / name, _PKG.parent.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"standardland data folder '{name}' is missing from this installation")


def geodata(*parts: str) -> Path:
    """A path under the reference data (``geodata/``), in the source tree or the installed wheel."""
    return _root("geodata").joinpath(*parts)


def web(*parts: str) -> Path:
    """A path under the web assets (``web/``), in the source tree or the installed wheel."""
    return _root("web").joinpath(*parts)
