"""Penalties under an agreement (DOMAIN §9), itemised, clamped at 0, safe against zero denominators.

Terms (per agreement, frozen at signing):

- ``price_wan_yuan``: the transfer price;
- ``late_start_per_mille_per_day`` / ``late_completion_per_mille_per_day``: ‰ of the price per day late;
- ``tax_shortfall_per_mu``: true → (agreed tax per 亩 − actual) × 亩 for each review year;
- ``combine``: ``sum`` (every line counts) or ``cap`` (the total is capped at ``cap_wan_yuan``).

Formulas (national contract template and local 标准地 agreements):

- investment shortfall: price × (agreed − actual) ÷ agreed;
- FAR or building-coefficient shortfall: price × (minimum − actual) ÷ minimum;
- late start / completion: price × ‰ × days late;
- tax shortfall: (agreed − actual) × 亩.
"""

from __future__ import annotations

from dataclasses import dataclass

PROPORTIONAL = ("investment_intensity", "far", "building_coefficient")


@dataclass
class PenaltyLine:
    """One line of a penalty notice: why, how it was computed (in words and figures), the amount in 万元."""
    reason: str
    basis: str
    amount_wan_yuan: float

    def to_dict(self) -> dict:
        """The line as plain data (amount rounded to 6 decimals)."""
        return {"reason": self.reason, "basis": self.basis, "amount_wan_yuan": round(self.amount_wan_yuan, 6)}


def _shortfall(agreed, actual) -> float:
    """(agreed − actual) ÷ agreed, clamped to [0, 1]; 0 when nothing was agreed or nothing is known."""
    if agreed is None or actual is None or agreed <= 0:
        return 0.0
    return min(max((agreed - actual) / agreed, 0.0), 1.0)


def proportional(terms: dict, indicator: str, agreed, actual) -> PenaltyLine | None:
    """Liquidated damages proportional to an indicator's shortfall: price × (agreed − actual) ÷ agreed."""
    share = _shortfall(agreed, actual)
    price = float(terms.get("price_wan_yuan") or 0)
    if share <= 0 or price <= 0:
        return None
    return PenaltyLine(f"{indicator}_shortfall", f"{price:g} × ({agreed:g} − {actual:g}) ÷ {agreed:g}", price * share)


def late(terms: dict, which: str, days_late: int) -> PenaltyLine | None:
    """Damages for a late start or completion: price × the agreed ‰ per day × days late."""
    rate = float(terms.get(f"late_{which}_per_mille_per_day") or 0)
    price = float(terms.get("price_wan_yuan") or 0)
    if days_late <= 0 or rate <= 0 or price <= 0:
        return None
    return PenaltyLine(f"late_{which}", f"{price:g} × {rate:g}‰ × {days_late} days", price * rate / 1000 * days_late)


def tax_shortfall(terms: dict, agreed_per_mu, actual_per_mu, area_mu: float) -> PenaltyLine | None:
    """The tax shortfall per 亩 times the parcel's area, when the terms provide for it."""
    if not terms.get("tax_shortfall_per_mu") or agreed_per_mu is None or actual_per_mu is None:
        return None
    gap = agreed_per_mu - actual_per_mu
    if gap <= 0:
        return None
    return PenaltyLine("tax_shortfall", f"({agreed_per_mu:g} − {actual_per_mu:g}) × {area_mu:.2f} 亩", gap * area_mu)


def combine(terms: dict, lines: list[PenaltyLine]) -> dict:
    """The notice's lines and total under the terms' combination policy (sum, or capped)."""
    total = sum(line.amount_wan_yuan for line in lines)
    policy = terms.get("combine", "sum")
    capped = False
    if policy == "cap":
        cap = float(terms.get("cap_wan_yuan") or 0)
        if cap >= 0 and total > cap:
            total, capped = cap, True
    return {"lines": [line.to_dict() for line in lines], "combine": policy, "capped": capped,
            "total_wan_yuan": round(max(total, 0.0), 6)}
