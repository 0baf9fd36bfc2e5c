"""Parcel fit: what a check says about the parcel itself, beside the indicators.

A verdict judges the project's values against the thresholds in force on the parcel. Two facts
about the *parcel* do not change that judgement but change what it is worth, so every check
carries them as notes (``{"kind", "message", …}`` in the result's ``notes`` list):

- ``parcel_status``: at screening, the parcel is not available for supply (available:
  serviced, published, listed — :data:`standardland.parcels.AVAILABLE_STATUSES`);
- ``area_mismatch``: the project's ``land_area_m2`` differs from the parcel's surveyed area by
  more than :data:`AREA_TOLERANCE`; the per-亩 indicators were computed on the project's area.

They are notes, not a verdict status: the indicator verdict stays the answer of the rules (a
planner uses ``check`` for what-if questions on parcels not yet serviced, or on part of a
parcel), while the notes are shown wherever the verdict is (CLI, JSON, printable document).
"""

from __future__ import annotations

from ..parcels import AVAILABLE_STATUSES, STATUS_LABELS
from ..units import display, m2_to_mu

#: Relative tolerance between the project's land area and the parcel's area. Areas of one parcel
#: from the announcement and from our Gauss-Krüger computation differ by rounding and survey
#: method (well under 1 %); a project sized for another parcel differs by tens of per cent
#: (150 亩 on 78 亩: +92 %). 5 % separates the two without flagging survey noise.
AREA_TOLERANCE = 0.05


def parcel_fit_notes(project, parcel_row, *, checkpoint: str = "screening", lang: str = "zh") -> list[dict]:
    """Notes on how the parcel fits the project (see the module doc); empty when it fits.

    Parameters
    ----------
    project : Project
        The parsed project (:func:`standardland.rules.project.parse_project`).
    parcel_row : mapping
        The stored parcel (``code``, ``status``, ``area_m2``).
    checkpoint : str
        The status note applies at ``screening`` only (later the parcel is in use by this project).
    lang : str
        ``zh`` or ``en`` for the messages.

    Returns
    -------
    list of dict
        ``{"kind": "parcel_status" | "area_mismatch", "message": str, …}``.

    Examples
    --------
    A 150-亩 project on a 78-亩 parcel in production gets both notes.
    """
    zh = lang.startswith("zh")
    notes: list[dict] = []
    status = parcel_row.get("status")
    code = parcel_row.get("code")
    if checkpoint == "screening" and status not in AVAILABLE_STATUSES:
        label = STATUS_LABELS.get(status, (status, status))[0 if zh else 1]
        avail = ("、".join(STATUS_LABELS[s][0] for s in AVAILABLE_STATUSES) if zh
                 else ", ".join(AVAILABLE_STATUSES))
        msg = (f"地块 {code} 状态为“{label}”（{status}），不可供地；可供地状态：{avail}" if zh else
               f"parcel {code} is {label} ({status}), not available for supply; available: {avail}")
        notes.append({"kind": "parcel_status", "message": msg, "status": status,
                      "available": list(AVAILABLE_STATUSES)})
    land = project.values.get("land_area_m2")
    parcel_m2 = parcel_row.get("area_m2")
    if land is not None and parcel_m2 and parcel_m2 > 0:
        diff = (land - parcel_m2) / parcel_m2
        if abs(diff) > AREA_TOLERANCE:
            pm, qm = display(m2_to_mu(land)), display(m2_to_mu(float(parcel_m2)))
            msg = (f"项目用地面积 {pm} 亩与地块面积 {qm} 亩相差 {diff:+.0%}，超过 {AREA_TOLERANCE:.0%} 容差；"
                   f"亩均指标按项目用地面积计算" if zh else
                   f"the project's land area ({pm} 亩) differs from the parcel's ({qm} 亩) by {diff:+.0%}, "
                   f"more than the {AREA_TOLERANCE:.0%} tolerance; per-亩 indicators use the project's area")
            notes.append({"kind": "area_mismatch", "message": msg, "project_area_m2": land,
                          "parcel_area_m2": float(parcel_m2), "difference": diff,
                          "tolerance": AREA_TOLERANCE})
    return notes
