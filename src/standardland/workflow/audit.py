"""The append-only audit trail: each row's hash covers its content and the previous row's hash,
so editing, deleting or reordering any row breaks the chain (:func:`verify`)."""

from __future__ import annotations

import hashlib
import json

GENESIS = "0" * 64
FIELDS = ("application_id", "seq", "actor", "role", "at", "action", "from_state", "to_state", "comment",
          "snapshot_hash")


def canonical(obj) -> str:
    """The canonical JSON text of ``obj`` (sorted keys, no spaces) that hashes are taken over."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def snapshot_hash(snapshot: dict) -> str:
    """SHA-256 of a snapshot's canonical JSON."""
    return hashlib.sha256(canonical(snapshot).encode("utf-8")).hexdigest()


def row_hash(row: dict, prev_hash: str) -> str:
    """The chained hash of an audit row: SHA-256 of the previous row's hash and this row's fields."""
    body = {k: row.get(k) for k in FIELDS}
    return hashlib.sha256((prev_hash + canonical(body)).encode("utf-8")).hexdigest()


def verify(rows: list[dict]) -> dict:
    """Check a chain (ordered by seq): returns ``{"valid": bool, "rows": n, "broken_at": seq | None}``."""
    prev = GENESIS
    for i, r in enumerate(rows, 1):
        if r["seq"] != i or r["prev_hash"] != prev or r["row_hash"] != row_hash(r, prev):
            return {"valid": False, "rows": len(rows), "broken_at": r["seq"]}
        prev = r["row_hash"]
    return {"valid": True, "rows": len(rows), "broken_at": None}
