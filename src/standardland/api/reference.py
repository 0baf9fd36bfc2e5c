"""Reference data under ``/api/v1``: the official GB/T 4754 industry categories, for pickers.

``GET /api/v1/industries?q=汽车制造&limit=20`` searches the official names and codes of every
level (门类 section, 大类 division, 中类 group, 小类 class) of the 2002, 2011 and 2017 editions
(:func:`standardland.industry.search`). The map's check form uses it for its industry picker.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from .. import industry

#: the most results one request may ask for (and the search's own bound)
MAX_LIMIT = 200


class IndustryEntry(BaseModel):
    """One official category of GB/T 4754."""

    edition: Literal["2002", "2011", "2017"]
    code: str
    name: str
    level: Literal["section", "division", "group", "class"]
    section: str | None = None


class ReferenceFactory:
    """``/industries``: a factory owning its router (tipg's pattern)."""

    def __init__(self, settings=None):
        """Build the router; ``settings`` are the app's (unused for now, kept for the factory shape)."""
        self.settings = settings
        self.router = APIRouter(tags=["reference"])
        r = self.router

        @r.get("/industries", response_model=list[IndustryEntry],
               summary="Search official industry names and codes (GB/T 4754-2002/2011/2017, every level)")
        def industries(q: str = Query(..., min_length=1, max_length=100,
                                      description="a code prefix (digits), a section letter, or (part of) a name"),
                       limit: int = Query(20, ge=1, le=MAX_LIMIT, description=f"at most this many (1–{MAX_LIMIT})")):
            return industry.search(q, limit=limit)
