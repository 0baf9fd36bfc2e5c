"""CLI commands beyond pass/fail: ``size`` (核定用地规模), ``whatif`` (policy what-if), and the
advice printed under ``check``'s table. :func:`register` adds the commands to the CLI's Typer app;
data is printed literally through the CLI's helpers (imported when used, so that
``python -m standardland.cli`` and the console script both work)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich import box
from rich.table import Table

from . import analysis, services
from .analysis import parse_share  # noqa: F401  (``match --within-advice``)
from .labels import label
from .store import open_store
from .units import display


def _area(a: dict | None) -> str:
    if a is None:
        return "—"
    return f"{display(a['mu'])} 亩 ({display(a['ha'], 4)} 公顷)"


def print_advice(v: dict) -> None:
    """The advice of a failing or incomplete check, one line per lever, under the check's table."""
    from .cli import L, say

    adv = v.get("advice")
    if not adv:
        return
    lines = [lv["text"] for lv in adv.get("levers", [])]
    if adv.get("land") and adv["land"].get("text"):
        lines.append(adv["land"]["text"])
    if not lines:
        return
    say((L("cli_advice_head"), "bold cyan"))
    for line in lines:
        say("  • ", line)
    if adv.get("within") is not None:
        say("  ", L("cli_advice_within", share=f"{adv['within']:.1%}"))


def register(app: typer.Typer) -> None:
    """Add ``size`` and ``whatif`` to the CLI's app."""
    from .cli import DbOpt, JsonOpt, L, _dump, _read_json, add_row, domain_errors, out, say, use_lang

    @app.command()
    @domain_errors
    def size(project: Path,
             parcel: Optional[str] = typer.Option(None, "--parcel", help="Parcel code (its context and own values)"),
             park: Optional[str] = typer.Option(None, "--park", help="Park code (instead of a parcel)"),
             region_class: Optional[int] = typer.Option(None, "--region-class", help="土地等别 1–15 (with --park)"),
             on: Optional[str] = typer.Option(None, "--date", help="Decision date YYYY-MM-DD (default: the project's)"),
             checkpoint: str = typer.Option("screening", help="screening | acceptance | production_review"),
             lang: Optional[str] = typer.Option(None, "--lang", help="zh | en (default: $STANDARDLAND_LANG, else zh)"),
             db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
        """核定用地规模: the land area this project may use, [min, max], and the indicator binding each end."""
        from .cli import lang as out_lang

        use_lang(lang)
        store = open_store(db)
        r = analysis.size_project(store, _read_json(project, "project"), parcel=parcel, park=park,
                                  region_class=region_class, on=services.decision_date(on) if on else None,
                                  checkpoint=checkpoint, lang=out_lang())
        if as_json:
            _dump(r)
            return
        where = r["context"].get("parcel_code") or r["context"].get("park")
        say("\n", (L("cli_size_head", project=r["project"] or L("cli_project"), where=str(where),
                      date=str(r["decision_date"])), "bold"),
            (L("cli_size_feasible") if r["feasible"] else L("cli_size_infeasible"),
             "bold green" if r["feasible"] else "bold red"))
        t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for c in ("end", "area", "binding", "required", "by"):
            # a rule-set id is never broken inside; the area, the bound and the name wrap at spaces
            t.add_column(L(f"col_size_{c}"), overflow="fold", no_wrap=c in ("end", "by"),
                         min_width={"area": 10, "binding": 10, "required": 8}.get(c))
        sources = {}
        for end, area, b in (("min", r["min_area"], r["min_by"]), ("max", r["max_area"], r["max_by"])):
            add_row(t, L(f"size_end_{end}"), _area(area) if area or end == "max" else "0",
                    (b.get("name") or b["indicator"]) if b else "—",
                    b["required_text"] if b else "", b["ruleset"] if b else "")
            if b and b.get("source"):
                sources.setdefault(b["ruleset"], b["source"])
        out.print(t)
        for rid, source in sources.items():  # the documents under the table, where long text can wrap
            say(L("cli_kv", name=L("col_size_source") + " " + rid, value=source))
        if r["conflict"]:
            say((L("cli_size_conflict"), "bold red"), r["conflict"]["message"])
        if r["area"] is not None:
            say(L("cli_size_inside" if r["area_in_interval"] else "cli_size_outside", area=_area(r["area"])))
        if r["unsized"]:
            say(L("cli_size_unsized", names=", ".join(r["unsized"])))

    @app.command()
    @domain_errors
    def whatif(ruleset: str = typer.Option(..., "--ruleset", help="Draft rule set: a .json file or a stored id "
                                                                    "not yet in force"),
               as_of: Optional[str] = typer.Option(None, "--as-of", help="Judge everything as decided on YYYY-MM-DD"),
               out_file: Optional[Path] = typer.Option(None, "--out", help="Write the changes to .xlsx or .csv"),
               engine: str = typer.Option("local", help="local | dask"),
               scheduler: Optional[str] = typer.Option(None, help="Dask scheduler address (default: a LocalCluster)"),
               db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
        """Policy what-if: who changes status if a draft rule set comes into force, and by how much."""
        from . import tables, whatif as wi
        from .cli import lang as out_lang

        store = open_store(db)
        r = wi.run(store, ruleset, as_of=services.decision_date(as_of) if as_of else None, engine=engine,
                   scheduler=scheduler, created_by="cli")
        if out_file is not None:
            tables.write_table(wi.report_frame(r), out_file, field="out")
        if as_json:
            _dump(r)
            return
        when = L("cli_whatif_as_of", date=str(r["as_of"])) if r["as_of"] else L("cli_whatif_own_dates")
        say("\n", (L("cli_whatif_head", id=r["id"], draft=str(r["draft"]), series=str(r["series"])), "bold"), when)
        t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for c in ("population", "rows", "changed", "transitions"):
            t.add_column(L(f"col_whatif_{c}"), overflow="fold")

        def word(v) -> str:  # pass/fail/incomplete … in words
            return label(str(v), out_lang(), default=str(v))

        def trans_words(k: str) -> str:  # "pass→fail" in words
            return "→".join(word(x) for x in str(k).split("→"))

        for pop, s in r["summary"].items():
            trans = ", ".join(f"{trans_words(k)} {v}" for k, v in (s.get("by_transition") or {}).items())
            add_row(t, label(f"whatif_kind_{pop}", out_lang(), default=pop), str(s.get("rows", 0)),
                    str(s.get("changed", 0)), trans)
        out.print(t)
        for e in r["changed"][:20]:
            moved = ", ".join(f"{i['id']} {word(i['before'])}→{word(i['after'])}"
                              + (L("cli_whatif_margin", margin=f"{i['margin']:+.2f}")
                                 if i.get("margin") is not None else "")
                              for i in e.get("indicators", []))
            moved = moved or ", ".join(f"{t['column']} {t['before']}→{t['after']}" for t in e.get("thresholds", []))
            say("  ", label(f"whatif_kind_{e['kind']}", out_lang(), default=e["kind"]), " ",
                str(e.get("id") or e.get("parcel_code")), ": ",
                f"{word(e['before'])}→{word(e['after'])} " if e.get("before") else "", moved)
        mu = r["summary"].get("mu_classes")
        if mu and mu["changed"]:
            say(L("cli_whatif_classes"), ", ".join(f"{k} {v}" for k, v in mu["by_transition"].items()))
        if len(r["changed"]) > 20:
            say(L("cli_whatif_more", n=len(r["changed"]) - 20))
        if out_file is not None:
            say(L("cli_whatif_written"), str(out_file))
        say(L("cli_whatif_stored", id=r["id"]))
