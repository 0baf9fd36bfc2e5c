"""The approval and supervision workflow as data: states, transitions, roles and guards.

application → review → agreement → construction → 对标验收 (acceptance) → 达产复核 (production review).
Every transition names the roles that may make it and its guard; :func:`diagram` renders the
table as a Mermaid state diagram (``docs/workflow.md``) and ``GET /api/v1/workflow`` serves it.
"""

from __future__ import annotations

from dataclasses import dataclass

STATES = ("draft", "submitted", "under_review", "approved", "rejected", "returned", "agreement_signed",
          "construction_started", "completed", "acceptance_passed", "acceptance_rectifying", "acceptance_failed",
          "in_production", "review_passed", "review_rectifying", "review_breach", "closed", "recovered")
TERMINAL = ("rejected", "closed", "recovered")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]  # several when the outcome is decided by an inspection
    roles: tuple[str, ...]
    guard: str

    def to_dict(self) -> dict:
        return {"action": self.action, "from": list(self.sources), "to": list(self.targets),
                "roles": list(self.roles), "guard": self.guard}


TRANSITIONS = (
    Transition("submit", ("draft", "returned"), ("submitted",), ("applicant", "admin"),
               "runs the rule engine (准入评审) on the project and the parcel and stores the verdict"),
    Transition("start_review", ("submitted",), ("under_review",), ("reviewer", "admin"), "none"),
    Transition("approve", ("under_review",), ("approved",), ("reviewer", "admin"),
               "the stored verdict is pass, or an explicit exception with a written reason"),
    Transition("reject", ("under_review",), ("rejected",), ("reviewer", "admin"), "a written comment"),
    Transition("return", ("under_review",), ("returned",), ("reviewer", "admin"),
               "a written comment; the applicant corrects the project and submits again"),
    Transition("sign_agreement", ("approved",), ("agreement_signed",), ("planner", "admin"),
               "agreed start and completion dates, the initial operating period and penalty terms; freezes the "
               "committed values, the rule-set versions and the parcel thresholds in force"),
    Transition("start_construction", ("agreement_signed",), ("construction_started",), ("planner", "admin"),
               "the actual start date (late days feed the late-start penalty)"),
    Transition("complete", ("construction_started",), ("completed",), ("planner", "admin"),
               "the actual completion date (late days feed the late-completion penalty)"),
    Transition("accept", ("completed", "acceptance_rectifying"),
               ("acceptance_passed", "acceptance_rectifying", "acceptance_failed"), ("reviewer", "admin"),
               "对标验收: actual FAR, building coefficient, office share, green ratio and investment against the "
               "commitments and the frozen thresholds; a first failure opens rectification with a deadline, a "
               "failed re-check is acceptance_failed"),
    Transition("start_production", ("acceptance_passed",), ("in_production",), ("planner", "admin"), "none"),
    Transition("review", ("in_production", "review_rectifying"), ("review_passed", "review_rectifying", "review_breach"),
               ("reviewer", "admin"),
               "达产复核: actual tax, output, energy, emissions and R&D against the commitments and the frozen "
               "thresholds; a first failure opens rectification, a failed re-check is a breach"),
    Transition("close", ("review_passed",), ("closed",), ("planner", "admin"), "none"),
    Transition("recover", ("agreement_signed", "construction_started", "acceptance_failed", "review_breach"),
               ("recovered",), ("planner", "admin"), "a written comment (land taken back: breach or idle land)"),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}


def transition_for(action: str) -> Transition | None:
    return BY_ACTION.get(action)


def allowed_actions(state: str, role: str) -> list[str]:
    return [t.action for t in TRANSITIONS if state in t.sources and role in t.roles]


def describe() -> dict:
    return {"states": list(STATES), "terminal": list(TERMINAL), "initial": "draft",
            "transitions": [t.to_dict() for t in TRANSITIONS], "mermaid": diagram()}


def diagram() -> str:
    lines = ["stateDiagram-v2", "    [*] --> draft"]
    for t in TRANSITIONS:
        for s in t.sources:
            for d in t.targets:
                lines.append(f"    {s} --> {d}: {t.action} ({', '.join(t.roles)})")
    for s in TERMINAL:
        lines.append(f"    {s} --> [*]")
    return "\n".join(lines)
