"""The approval and supervision workflow as one table: states and transitions, each transition one
row with its roles, guard, targets and the parcel status it sets.

application → review → agreement → construction → 对标验收 (acceptance) → 达产复核 (production review).
:func:`diagram` renders the table as a Mermaid state diagram (``docs/workflow.md``) and
``GET /api/v1/workflow`` serves it; :func:`standardland.workflow.applications.transition` applies a
row and refuses any outcome of a guard that is not among the row's targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import bodies as b, guards as g

STATES = ("draft", "submitted", "under_review", "approved", "rejected", "returned", "agreement_signed",
          "construction_started", "completed", "acceptance_passed", "acceptance_rectifying", "acceptance_failed",
          "in_production", "review_passed", "review_rectifying", "review_breach", "closed", "recovered")
TERMINAL = ("rejected", "closed", "recovered")

#: ``guard(store, application, body, today) -> (changes, extra rows)``; ``body`` is the row's validated
#: body model (:mod:`.bodies`); ``changes["state"]`` is the target
Guard = Callable[..., tuple[dict, dict]]


@dataclass(frozen=True)
class Transition:
    """One row of the workflow: who may move an application from ``sources`` to one of ``targets``,
    the guard deciding whether (and to which target), the parcel's status afterwards and the model of
    its request body (:mod:`.bodies`: what the HTTP API documents and validates)."""

    action: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]  # several when the outcome is decided by an inspection
    roles: tuple[str, ...]
    guard: Guard
    description: str
    parcel_status: str | None = None  # the parcel's status once the transition is made (None: unchanged)
    body: type[b.TransitionBody] = b.TransitionBody  # the request body's model

    def to_dict(self) -> dict:
        """The transition as plain data (the ``/workflow`` description and the docs)."""
        return {"action": self.action, "from": list(self.sources), "to": list(self.targets),
                "roles": list(self.roles), "guard": self.description, "parcel_status": self.parcel_status,
                "body": self.body.__name__,
                "body_required": sorted(k for k, f in self.body.model_fields.items() if f.is_required())}


_REVIEWERS = ("reviewer", "admin")
_PLANNERS = ("planner", "admin")
_ACCEPTANCE = ("acceptance_passed", "acceptance_rectifying", "acceptance_failed")
_REVIEW = ("review_passed", "review_rectifying", "review_breach")

TRANSITIONS = (
    Transition("submit", ("draft", "returned"), ("submitted",), ("applicant", "admin"), g.submit,
               "runs the rule engine (准入评审) on the project and the parcel and stores the verdict"),
    Transition("start_review", ("submitted",), ("under_review",), _REVIEWERS, g.simple("under_review"),
               "none"),
    Transition("approve", ("under_review",), ("approved",), _REVIEWERS, g.approve,
               "the stored verdict is pass, or an explicit exception with a written reason", body=b.ApproveBody),
    Transition("reject", ("under_review",), ("rejected",), _REVIEWERS,
               g.simple("rejected"), "a written comment", body=b.CommentedBody),
    Transition("return", ("under_review",), ("returned",), _REVIEWERS,
               g.simple("returned"),
               "a written comment; the applicant corrects the project and submits again", body=b.CommentedBody),
    Transition("sign_agreement", ("approved",), ("agreement_signed",), _PLANNERS, g.sign,
               "the signing date, agreed start and completion dates, the initial operating period and the "
               "contract's penalty terms (late start/completion ‰ required; the national template's late-payment "
               "1‰ recorded when not given); freezes the committed values, the rule-set versions and the parcel "
               "thresholds in force", "transferred", body=b.SignAgreementBody),
    Transition("start_construction", ("agreement_signed",), ("construction_started",), _PLANNERS,
               g.dated("construction_started", "actual_start"),
               "the actual start date, required: not in the future, not before signing (late days feed the "
               "late-start penalty)", "under_construction", body=b.DatedBody),
    Transition("complete", ("construction_started",), ("completed",), _PLANNERS,
               g.dated("completed", "actual_completion"),
               "the actual completion date, required: not in the future, not before the actual start (late days "
               "feed the late-completion penalty)", body=b.DatedBody),
    Transition("accept", ("completed", "acceptance_rectifying"), _ACCEPTANCE, _REVIEWERS,
               g.inspection("acceptance", _ACCEPTANCE),
               "对标验收: actual FAR, building coefficient, office share, green ratio and investment against the "
               "commitments and the frozen thresholds; a first failure opens rectification with a deadline, a "
               "failed re-check is acceptance_failed", body=b.InspectionBody),
    Transition("start_production", ("acceptance_passed",), ("in_production",), _PLANNERS,
               g.simple("in_production"), "none", "in_production"),
    Transition("review", ("in_production", "review_rectifying"), _REVIEW, _REVIEWERS,
               g.inspection("review", _REVIEW),
               "达产复核: actual tax, output, energy, emissions and R&D against the commitments and the frozen "
               "thresholds; a first failure opens rectification, a failed re-check is a breach",
               body=b.InspectionBody),
    Transition("close", ("review_passed",), ("closed",), _PLANNERS, g.simple("closed"), "none"),
    Transition("recover", ("agreement_signed", "construction_started", "acceptance_failed", "review_breach"),
               ("recovered",), _PLANNERS, g.simple("recovered"),
               "a written comment (land taken back: breach or idle land)", "recovered", body=b.CommentedBody),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}


def transition_for(action: str) -> Transition | None:
    """The transition named ``action``, or None."""
    return BY_ACTION.get(action)


def allowed_actions(state: str, role: str) -> list[str]:
    """The actions ``role`` may take from ``state``."""
    return [t.action for t in TRANSITIONS if state in t.sources and role in t.roles]


def describe() -> dict:
    """The whole machine as plain data: states, terminal states, transitions and a Mermaid diagram."""
    return {"states": list(STATES), "terminal": list(TERMINAL), "initial": "draft",
            "transitions": [t.to_dict() for t in TRANSITIONS], "mermaid": diagram()}


def diagram() -> str:
    """The machine as a Mermaid ``stateDiagram-v2``."""
    lines = ["stateDiagram-v2", "    [*] --> draft"]
    for t in TRANSITIONS:
        for s in t.sources:
            for d in t.targets:
                lines.append(f"    {s} --> {d}: {t.action} ({', '.join(t.roles)})")
    for s in TERMINAL:
        lines.append(f"    {s} --> [*]")
    return "\n".join(lines)


def markdown() -> str:
    """``docs/workflow.md``: the diagram and the table (``python -m standardland.workflow.machine``)."""
    rows = ["| action | from | to | roles | guard | body (required fields) | parcel status after |",
            "|---|---|---|---|---|---|---|"]
    for t in TRANSITIONS:
        required = t.to_dict()["body_required"]
        cells = (f"`{t.action}`", ", ".join(t.sources), ", ".join(t.targets), ", ".join(t.roles), t.description,
                 f"`{t.body.__name__}`" + (": " + ", ".join(f"`{f}`" for f in required) if required else ""),
                 t.parcel_status or "unchanged")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join([
        "# The application workflow", "",
        "Generated from `standardland.workflow.machine.TRANSITIONS` (the same table `GET /api/v1/workflow` "
        "serves; a test keeps this file in step: regenerate it with `python -m standardland.workflow.machine > "
        "docs/workflow.md`).", "",
        "Each transition is one row: who may make it, its guard (in `standardland.workflow.guards`), the states "
        "it may lead to and the parcel's status afterwards. A guard whose outcome is not among its row's targets "
        "is refused as a bug. Each row names its body model (`standardland.workflow.bodies`), which "
        "`api/openapi.json` documents field by field.", "",
        "```mermaid", diagram(), "```", "", *rows, ""])


if __name__ == "__main__":
    print(markdown(), end="")
