"""CLI commands of the promotion record (issue 13 §4): ``scorecard`` prints or writes a park's
annual scorecard (年度成绩单). :func:`register` adds them to the CLI's Typer app; data is printed
literally through the CLI's helpers (imported when used)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

FORMATS = ("table", "json", "html", "pdf", "xlsx")


def print_scorecard(card: dict) -> None:
    """The card as terminal tables: the figures (with the records behind each), output by chain, 亩均 classes."""
    from rich.table import Table

    from .cli import L, add_row, out
    from .units import display

    t = Table(title=f"{L('score_title')} · {card['park_name'] or card['park']} · {card['year']}")
    for c in ("score_figure", "score_value", "score_unit", "score_records"):
        t.add_column(L(c), justify="right" if c == "score_value" else "left", overflow="fold")
    for f in card["figures"]:
        v = f["value"]
        shown = L("score_no_value") if v is None else display(v, 2) if isinstance(v, float) else f"{v:,}"
        unit = (f["unit"] or "") + (f" ({f['numerator']}/{f['denominator']})" if "numerator" in f else "")
        add_row(t, L(f"score_{f['id']}"), shown, unit, ", ".join(map(str, f["ids"])) or "—")
    out.print(t)
    c = Table(title=L("score_output_by_chain" if card["output_grouped_by"] == "chain" else "score_output_by_division"))
    for k in ("score_chain", "score_output", "score_projects", "score_missing", "score_records"):
        c.add_column(L(k), overflow="fold")
    for g in card["output_by_chain"]:
        add_row(c, g["chain"], display(g["output_wan_yuan"], 2), str(g["projects"]), str(g["missing"]),
                ", ".join(map(str, g["ids"])))
    out.print(c)
    m = Table(title=L("score_mu_classes"))
    for k in ("score_class", "score_parcels"):
        m.add_column(L(k))
    for k, v in card["mu_classes"].items():
        add_row(m, k, str(v["parcels"]))
    out.print(m)


def write_scorecard(card: dict, fmt: str, target: Path, lang: str) -> Path:
    """Write the card as ``html``, ``pdf`` (the document renderer) or ``xlsx`` (``tables``)."""
    from . import render
    from .tables import xlsx_bytes
    from .workflow import reports

    if fmt == "xlsx":
        body = xlsx_bytes(reports.scorecard_frame(card, lang), sheet_name=str(card["year"]))
    else:
        body = render.output(reports.scorecard_html(card, lang), fmt)
    target.write_bytes(body)
    return target


def register(app: typer.Typer) -> None:
    """Add ``scorecard`` to the CLI's app."""
    from .cli import DbOpt, _dump, _open, domain_errors, say

    @app.command()
    @domain_errors
    def scorecard(park: str = typer.Option(..., "--park", help="Park code"),
                  year: int = typer.Option(..., "--year", min=1900, max=2199, help="The year of the card"),
                  fmt: str = typer.Option("table", "--format", help="table | json | html | pdf | xlsx"),
                  out_file: Optional[Path] = typer.Option(None, "--out", help="File for html/pdf/xlsx "
                                                          "(default: scorecard-<park>-<year>.<format>)"),
                  lang: str = typer.Option("zh", "--lang", help="zh | en (html, pdf, xlsx)"),
                  db: Optional[str] = DbOpt):
        """年度成绩单: a park's annual scorecard from the store; every figure lists the records behind it."""
        from .errors import InputError
        from .workflow import reports

        if fmt not in FORMATS:
            raise InputError(f"'{fmt}' is not a format", field="format", expected=" | ".join(FORMATS))
        if lang not in ("zh", "en"):
            raise InputError(f"'{lang}' is not a language", field="lang", expected="zh | en")
        card = reports.park_scorecard(_open(db), park, year)
        if fmt == "json":
            _dump(card)
        elif fmt == "table":
            print_scorecard(card)
        else:
            target = write_scorecard(card, fmt, out_file or Path(f"scorecard-{park}-{year}.{fmt}"), lang)
            say("written: ", str(target))
