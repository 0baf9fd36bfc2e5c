"""The request bodies of the workflow's transitions, one pydantic model per kind of body.

Each row of :data:`standardland.workflow.machine.TRANSITIONS` names its body model (``Transition.body``);
the HTTP layer declares it, so ``api/openapi.json`` documents every field (required or not, unit,
range, the Chinese term), and a body that does not fit is refused before any guard runs, naming the
field path (``penalty_terms.late_start_per_mille_per_day``). The guards in :mod:`.guards` read the
validated values and check only what needs the application, the agreement or today's date.

Types are strict: a number sent as text (``"1.5"``), a boolean for a number, or a date sent as a
number is refused, as is any field the model does not declare (a typo is named, not ignored).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, StringConstraints,
                      ValidationError,
                      ValidationInfo, field_validator, model_validator)

from .. import dates, values
from ..errors import InputError, StandardlandError


def _plain_text(v: str) -> str:
    if values.CONTROL_IN_TEXT.search(v):
        raise ValueError("contains a control character (e.g. NUL); expected text without control characters")
    return v


def _day(v):
    """A body's date by the one date rule (:func:`standardland.dates.parse_date`): text in one of its
    forms or a date; never a number (JSON has no dates, and a number is not read as a timestamp)."""
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return dates.parse_date(v, "date")
        except StandardlandError as e:  # its own words: not a date, or no such day
            raise ValueError(f"{e.message}; expected {dates.EXPECTED}") from None
    raise ValueError(f"{v!r} is {values.kind(v)}; expected {dates.EXPECTED}")


#: free text without control characters (tab and newlines allowed), trimmed
Text = Annotated[str, Strict(), StringConstraints(strip_whitespace=True, max_length=4000), AfterValidator(_plain_text)]
#: a calendar date in one of the forms of :mod:`standardland.dates` (not a timestamp, not a number)
Day = Annotated[date, BeforeValidator(_day)]
#: a finite number (an integer or a decimal; not text, not a boolean)
Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]

NATIONAL_TEMPLATE = "《国有建设用地使用权出让合同》示范文本（GF-2008-2601）第七章 违约责任"


class TransitionBody(BaseModel):
    """A transition's body: an optional comment recorded in the audit trail (审计记录)."""

    model_config = ConfigDict(extra="forbid")
    comment: Text | None = Field(None, description="备注 (a comment recorded in the audit trail)")


class CommentedBody(TransitionBody):
    """A transition that needs a written comment (书面意见): reject, return, recover."""

    comment: Text = Field(..., min_length=1, description="书面意见: the written reason, required (recorded in "
                                                          "the audit trail)")


class ApproveBody(TransitionBody):
    """准予通过 (approve): a passing verdict, or an exception with a written reason."""

    exception_reason: Text | None = Field(
        None, description="例外批准理由: required when the stored verdict is not 'pass' (e.g. 重点招商项目，经管委会研究"
                          "同意); refused (422, field exception_reason) when missing for a failing verdict")


class PenaltyTerms(BaseModel):
    """违约责任 (penalty terms) of the land transfer contract (出让合同).

    Under the national contract template, 《国有建设用地使用权出让合同》示范文本（GF-2008-2601）第七章 违约责任:

    - 投资强度/投资总额不足 (investment shortfall): price × (agreed − actual) ÷ agreed; fixed by the template,
      applied to every agreement, no parameter;
    - 容积率、建筑系数低于最低标准 (FAR or building-coefficient shortfall): price × (minimum − actual) ÷ minimum;
      fixed by the template, no parameter;
    - 逾期开工 / 逾期竣工 (late start / late completion): a per-day ‰ of the price whose value the template
      leaves blank for each contract: **required here, no default**;
    - 逾期付款 (late payment): 1‰ of the overdue amount per day in the template: defaults to 1 and the
      default is recorded (``national_template_defaults``); the workflow does not track payments, so it
      is recorded, not charged.

    Local 标准地 agreements add the tax shortfall per 亩 and how several breaches combine.
    """

    model_config = ConfigDict(extra="forbid")
    late_start_per_mille_per_day: Number = Field(
        ..., ge=0, le=10, description="逾期开工违约金: ‰ of the transfer price per day of late start, as written in "
                                      "the contract (the national template leaves it blank: no default); 0–10")
    late_completion_per_mille_per_day: Number = Field(
        ..., ge=0, le=10, description="逾期竣工违约金: ‰ of the transfer price per day of late completion, as written "
                                      "in the contract (the national template leaves it blank: no default); 0–10")
    late_payment_per_mille_per_day: Number = Field(
        1.0, ge=0, le=10, description="逾期付款违约金: ‰ of the overdue amount per day; default 1, the national "
                                      f"template's rate ({NATIONAL_TEMPLATE}); recorded, not charged by the workflow")
    tax_shortfall_per_mu: bool = Field(
        False, description="亩均税收不足: true charges (agreed tax per 亩 − actual) × 亩 for each review year (a local "
                           "标准地 term, not in the national template)")
    combine: Literal["sum", "cap"] = Field(
        "sum", description="数项违约的合并方式: sum (every line counts) or cap (the total is capped at cap_wan_yuan)")
    cap_wan_yuan: Number | None = Field(None, ge=0, le=1e12,
                                        description="违约金上限 (万元, ≤ 1e12): required when combine is cap")

    @model_validator(mode="after")
    def _cap_needs_amount(self):
        if self.combine == "cap" and self.cap_wan_yuan is None:
            raise ValueError("combine is 'cap' but cap_wan_yuan is missing; expected a cap in 万元 ≥ 0")
        return self

    def recorded(self) -> dict:
        """The terms as frozen in the agreement: every value explicit, the template's fixed clauses
        named, and which values were taken from the national template's defaults."""
        national = [k for k in ("late_payment_per_mille_per_day",) if k not in self.model_fields_set]
        return {**self.model_dump(), "investment_shortfall": "price × (agreed − actual) ÷ agreed",
                "far_shortfall": "price × (minimum − actual) ÷ minimum", "template": NATIONAL_TEMPLATE,
                "national_template_defaults": national}


class SignAgreementBody(TransitionBody):
    """签订出让合同 (sign the agreement): the contract's date, deadlines, price and penalty terms."""

    signed_on: Day = Field(..., description="合同签订日期: the date the contract was signed (YYYY-MM-DD); not more "
                                            "than a day in the future; construction cannot start before it")
    agreed_start: Day = Field(..., description="约定开工日期: the agreed start of construction (YYYY-MM-DD)")
    agreed_completion: Day = Field(..., description="约定竣工日期: the agreed completion (YYYY-MM-DD), "
                                                    "on or after agreed_start")
    operating_years: Number = Field(3, gt=0, le=10, description="初始运营期 (years, > 0 and ≤ 10; default 3): the "
                                                               "production review (达产复核) is due this long after "
                                                               "the agreed completion")
    rectification_months: Annotated[int, Strict()] = Field(
        6, ge=1, le=60, description="整改期限 (whole months, 1–60; default 6) after a failed inspection")
    price_wan_yuan: Number | None = Field(None, ge=0, le=1e12,
                                          description="出让价款 (万元, ≥ 0 and ≤ 1e12): defaults to the parcel's "
                                                      "recorded transfer price; refused when neither is known")
    penalty_terms: PenaltyTerms = Field(..., description="违约责任: the contract's penalty terms (required)")

    @field_validator("agreed_completion")
    @classmethod
    def _after_start(cls, v: date, info: ValidationInfo):
        start = info.data.get("agreed_start")
        if start is not None and v < start:
            raise ValueError(f"{v} precedes agreed_start {start}; expected a date ≥ {start}")
        return v


class DatedBody(TransitionBody):
    """A dated fact (开工 start of construction, 竣工 completion): its date is required."""

    date: Day = Field(..., description="实际日期 (YYYY-MM-DD): the actual date of the fact; required (never "
                                       "today by default); not more than a day in the future, not before the "
                                       "agreement's signed_on (completion: not before the actual start)")


class InspectionBody(TransitionBody):
    """对标验收 (acceptance) or 达产复核 (production review): the measured values and the inspection date."""

    actuals: dict[str, Any] = Field(
        ..., min_length=1, description="实测值: the measured values as project fields (api/project.schema.json, "
                                       "with their units), e.g. floor_area_m2, fixed_asset_investment_wan_yuan "
                                       "for acceptance; annual_tax_wan_yuan, annual_output_wan_yuan for review")
    inspected_on: Day = Field(..., description="检查日期 (YYYY-MM-DD): the inspection date; required; the "
                                               "rectification deadline counts from it; not more than a day in "
                                               "the future, not before the agreement's signed_on")


def parse(model: type[TransitionBody], body: TransitionBody | dict | None) -> TransitionBody:
    """``body`` as ``model``: an instance passes through (the HTTP layer validated it), a dict is
    validated here (the CLI, scripts, tests).

    Parameters
    ----------
    model
        The body model of a transition's row (``Transition.body``).
    body
        The request body: a model instance, a dict, or None (an empty body).

    Returns
    -------
    TransitionBody
        The validated body.

    Raises
    ------
    InputError
        For the first problem, naming the field path (``penalty_terms.combine``) and what is expected
        (the field's description).

    Examples
    --------
    >>> parse(DatedBody, {"date": "2024-06-11"}).date
    datetime.date(2024, 6, 11)
    >>> parse(DatedBody, {})
    Traceback (most recent call last):
    ...
    standardland.errors.InputError: date: Field required (expected 实际日期 (YYYY-MM-DD): the actual date ...
    """
    if isinstance(body, model):
        return body
    try:
        return model.model_validate(body or {})
    except ValidationError as exc:
        e = exc.errors()[0]
        field = ".".join(str(x) for x in e["loc"]) or "body"
        raise InputError(e["msg"], field=field, expected=_expected(model, e["loc"])) from None


def _expected(model: type[BaseModel], loc: tuple) -> str:
    """The description of the field at ``loc`` (what is expected), or the model's for the body."""
    info = None
    for part in loc:
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            break
        info = fields[part]
        model = info.annotation
    return (info.description if info is not None else None) or "a body as documented in api/openapi.json"
