"""The ``standardland`` command line (Typer + rich). Every command takes ``--db URL`` and
``--json``; domain errors print one clear line (or a JSON error object) and exit 2.

Data is printed literally: every value that comes from a file, the store or a request reaches
the terminal as a rich ``Text`` (never markup) with its control characters removed
(:func:`standardland.tables.clean_text`), so a parcel named ``[/bold]`` or carrying an ESC
sequence prints as what it is."""

from __future__ import annotations

import functools
import json
import sys
from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from . import services
from .errors import StandardlandError
from .tables import clean_text
from .store import default_url, open_store
from .units import display

app = typer.Typer(help="standardland: 标准地 planner — parcels, indicators, checks and matching.",
                  no_args_is_help=True, add_completion=False)
parcels_app = typer.Typer(help="Parcel registry: import, export, list, show, validate.", no_args_is_help=True)
rules_app = typer.Typer(help="Rule sets: show effective thresholds, list, load official tables.",
                        no_args_is_help=True)
app.add_typer(parcels_app, name="parcels")
app.add_typer(rules_app, name="rules")

out = Console()
err = Console(stderr=True)

DbOpt = typer.Option(None, "--db", help="Database URL (default: sqlite:///standardland.db, or $STANDARDLAND_DB)")
JsonOpt = typer.Option(False, "--json", help="Machine-readable JSON on stdout")


#: ``check`` exit codes (documented in ``check --help`` and the README)
EXIT_BY_VERDICT = {"pass": 0, "fail": 1, "incomplete": 3}
EXIT_INPUT = 2


def lit(value, style: str = "") -> Text:
    """Data as literal terminal text: no markup, no control sequences; ``None`` is empty."""
    return Text("" if value is None else clean_text(value), style=style)


def add_row(table: Table, *cells) -> None:
    """A table row of data cells, each printed literally (``Text`` cells keep their style)."""
    table.add_row(*[c if isinstance(c, Text) else lit(c) for c in cells])


def say(*parts, console: Console | None = None) -> None:
    """One line of labels and data: ``str`` parts are data (literal); ``(text, style)`` tuples are styled."""
    line = Text()
    for p in parts:
        if isinstance(p, tuple):
            line.append(clean_text(p[0]), style=p[1])
        elif isinstance(p, Text):
            line.append_text(p)
        else:
            line.append(clean_text(p))
    (console or out).print(line, soft_wrap=True, highlight=False)


def _dump(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


def domain_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except StandardlandError as exc:
            if kwargs.get("as_json"):
                _dump({"error": exc.to_dict()})
            else:
                say(("error", "bold red"), " ", str(exc), console=err)
                for p in getattr(exc, "problems", [])[5:50]:
                    say("  ", str(p), console=err)
            raise typer.Exit(EXIT_INPUT)
    return wrapper


def _progress(total: int, label: str):
    prog = Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=True)
    task = prog.add_task(clean_text(label), total=total)
    return prog, (lambda done: prog.update(task, completed=done))


# -- demo -------------------------------------------------------------------------------------

tokens_app = typer.Typer(help="API tokens: create (printed once), list, revoke.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")


@tokens_app.command("create")
@domain_errors
def tokens_create(role: str = typer.Option(..., "--role", help="viewer | applicant | planner | reviewer | admin"),
                  name: str = typer.Option(..., "--name"), db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Create an API token; it is printed once and stored only as a hash."""
    from .api.auth import issue

    token = issue(open_store(db), name=name, role=role)
    if as_json:
        _dump({"name": name, "role": role, "token": token})
    else:
        out.print(token, markup=False, highlight=False)
        say("token for '", name, f"' ({role}); it is shown only once", console=err)


@tokens_app.command("list")
@domain_errors
def tokens_list(db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """List tokens (names and roles; never the tokens)."""
    recs = open_store(db).list_tokens()
    if as_json:
        _dump(recs)
        return
    t = Table()
    for c in ("id", "name", "role", "created_at", "revoked"):
        t.add_column(c)
    for r in recs:
        add_row(t, *[str(r[c]) for c in ("id", "name", "role", "created_at", "revoked")])
    out.print(t)


@tokens_app.command("revoke")
@domain_errors
def tokens_revoke(token_id: int, db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Revoke a token by id."""
    from .errors import NotFoundError

    if not open_store(db).revoke_token(token_id):
        raise NotFoundError(f"no token with id {token_id}", field="token_id")
    if as_json:
        _dump({"revoked": token_id})
    else:
        out.print(f"revoked token {token_id}")


@app.command()
@domain_errors
def serve(host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port"),
          db: Optional[str] = DbOpt, workers: int = typer.Option(1, "--workers"),
          access_log: bool = typer.Option(True, "--access-log/--no-access-log",
                                          help="One line per request on stdout "
                                               "(time, client, request, status)"),
          as_json: bool = JsonOpt):
    """Serve the HTTP API, OGC API – Features and the map with uvicorn."""
    _serve(host, port, db, workers, access_log=access_log)


def _uvicorn_log_config() -> dict:
    """uvicorn's logging: warnings and errors on stderr, the access log (INFO) on stdout with a timestamp."""
    from uvicorn.config import LOGGING_CONFIG

    cfg = json.loads(json.dumps(LOGGING_CONFIG))  # a deep copy; uvicorn's dict stays as it is
    cfg["loggers"]["uvicorn.error"]["level"] = "WARNING"
    cfg["formatters"]["access"].update(fmt='%(asctime)s %(client_addr)s "%(request_line)s" %(status_code)s',
                                       datefmt="%Y-%m-%dT%H:%M:%S%z")
    return cfg


def _serve(host: str, port: int, db: Optional[str], workers: int = 1, *, access_log: bool = True) -> None:
    import os

    import uvicorn

    from .sample import load_reference_data

    os.environ["STANDARDLAND_DB"] = db or default_url()
    load_reference_data(open_store(os.environ["STANDARDLAND_DB"]), with_sample=False)  # migrate once, up front
    say("serving ", os.environ["STANDARDLAND_DB"], f" on http://{host}:{port}/  (map: /map, OGC API: /ogc, "
        "API docs: /docs)", console=err)
    uvicorn.run("standardland.api.asgi:app", host=host, port=port, workers=workers, log_level=None,
                log_config=_uvicorn_log_config(), access_log=access_log)


@app.command()
@domain_errors
def demo(db: Optional[str] = DbOpt, out_dir: Path = typer.Option(Path("demo-out"), help="Where to write files"),
         serve_it: bool = typer.Option(True, "--serve/--no-serve", help="Serve the park after loading it"),
         host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port"),
         as_json: bool = JsonOpt):
    """Load the sample park (烟台高新区 国际招商产业园, illustrative), run the main job and serve it."""
    from .sample import load_reference_data

    store = open_store(db)
    loaded = load_reference_data(store)
    summary = services.park_summary(store)
    out_dir.mkdir(parents=True, exist_ok=True)
    from . import io as sio

    gpkg = sio.write_parcels_file(store.parcels(), out_dir / "parcels.gpkg")
    example = json.loads((Path(__file__).parent / "examples" / "project.json").read_text(encoding="utf-8"))
    std = [r["code"] for r in services.parcel_records(store.parcels()) if r["status"] == "published"]
    verdict = services.check_project(store, example, std[0])
    ranked = services.match_project(store, example, top=5)
    if as_json:
        _dump({"loaded": loaded, "summary": summary, "geopackage": str(gpkg), "check": verdict, "match": ranked})
        return
    say(("standardland demo", "bold"), " — store ", store.url)
    say("loaded: ", str(loaded))
    t = Table(title="园区地块 Park parcels by status")
    for c in ("status", "parcels", "亩 mu"):
        t.add_column(c)
    for s, v in summary["by_status"].items():
        add_row(t, s, str(v["parcels"]), display(v["area_mu"]))
    add_row(t, Text("total", style="bold"), str(summary["parcels"]), display(summary["area_mu"]))
    out.print(t)
    say("GeoPackage written: ", str(gpkg))
    _print_check(verdict)
    _print_match(ranked)
    if serve_it:
        _serve(host, port, store.url)


# -- parcels ----------------------------------------------------------------------------------

@parcels_app.command("import")
@domain_errors
def parcels_import(file: Path, layer: Optional[str] = typer.Option(None, help="Layer name (GeoPackage)"),
                   crs: Optional[str] = typer.Option(None, help="Input CRS: EPSG code or gcj02 (required if the "
                                                                "file declares none)"),
                   fix: bool = typer.Option(False, "--fix", help="Repair invalid geometry and report it"),
                   upsert: bool = typer.Option(False, "--upsert", help="Replace parcels whose code exists"),
                   allow: Optional[list[str]] = typer.Option(None, "--allow", help="Import anyway: overlap or "
                                                             "outside-park (repeatable); recorded in the result"),
                   db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Import parcels (GeoPackage, GeoJSON, zipped Shapefile, CSV/xlsx with WKT) in one transaction.

    Every check of ``validate`` runs first; overlaps (within the file or with stored parcels)
    beyond the sliver tolerance and parcels outside their park are refused unless allowed."""
    store = open_store(db)
    prog, cb = _progress(0, f"importing {file.name}")
    with prog:
        def progress(done, _cb=cb):
            prog.update(prog.task_ids[0], total=None)
            _cb(done)
        res = services.import_file(store, file, layer=layer, crs=crs, fix=fix,
                                   mode="upsert" if upsert else "insert", progress=progress, allow=allow or ())
    if as_json:
        _dump(res)
        return
    say(f"imported {res.get('inserted', 0)} new, {res.get('updated', 0)} updated from ", file.name,
        f" ({res.get('source_crs')} → EPSG:4490)" if res.get("source_crs") else "")
    if res.get("encoding"):
        from .io import ENCODING_LABELS

        say("  text encoding: ", ENCODING_LABELS[res["encoding"]])
    for r in res["repaired"]:
        say("  ", (r, "yellow"))
    for o in res.get("allowed", {}).get("overlaps", []):
        say("  ", ("allowed overlap", "yellow"), " ", o["a"], " × ", o["b"], f": {display(o['area_m2'])} m²")
    for o in res.get("allowed", {}).get("outside_park", []):
        say("  ", ("allowed outside park", "yellow"), " ", o["code"], f": {display(o['outside_m2'])} m²")
    for o in res.get("slivers", []):
        say("  sliver (tolerated) ", o.get("a") or o.get("code"), f": {display(o.get('area_m2', o.get('outside_m2')))} m²")
    for w in res.get("warnings", []):
        say("  ", ("warning", "yellow"), ": ", w)


@parcels_app.command("export")
@domain_errors
def parcels_export(file: Path, status: Optional[str] = typer.Option(None), db: Optional[str] = DbOpt,
                   as_json: bool = JsonOpt,
                   lang: str = typer.Option("zh", "--lang", help="xlsx header language: zh or en")):
    """Export parcels: .gpkg (SRS 4490), .geojson (CRS84), .csv or .xlsx (WKT)."""
    from . import io as sio
    from .store import ParcelQuery

    store = open_store(db)
    gdf = store.parcels(ParcelQuery(status=(status,) if status else None))
    if lang not in ("zh", "en"):
        from .errors import BadParameter

        raise BadParameter(f"language '{lang}' is unknown", field="lang", expected="zh or en")
    path = sio.write_parcels_file(gdf, file, lang=lang)
    if as_json:
        _dump({"file": str(path), "parcels": len(gdf)})
    else:
        say(f"wrote {len(gdf)} parcels to ", str(path))


@parcels_app.command("list")
@domain_errors
def parcels_list(status: Optional[str] = typer.Option(None), park: Optional[str] = typer.Option(None),
                 db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """List parcels (``--json``: an array with code, name, status, land_use_code, area_m2/mu/ha …)."""
    from .store import ParcelQuery

    store = open_store(db)
    recs = services.parcel_records(store.parcels(ParcelQuery(status=(status,) if status else None, park=park)))
    if as_json:
        _dump(recs)
        return
    t = Table(title=f"{len(recs)} parcels")
    for c in ("code", "name", "status", "land use", "m²", "亩", "公顷"):
        t.add_column(c, justify="right" if c in ("m²", "亩", "公顷") else "left", no_wrap=c == "code",
                     overflow="fold")
    for r in recs:
        add_row(t, r["code"], r["name"], r["status"], r["land_use_code"], display(r["area_m2"]),
                display(r["area_mu"]), display(r["area_ha"], 4))
    out.print(t)


@parcels_app.command("show")
@domain_errors
def parcels_show(code: str, db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Show one parcel with its areas and attributes."""
    store = open_store(db)
    rec = services.parcel_records(store.parcel(code))[0]
    if as_json:
        _dump(rec)
        return
    t = Table(show_header=False, title=lit(code))
    for k, v in rec.items():
        add_row(t, k, display(v) if isinstance(v, float) else str(v))
    out.print(t)


@parcels_app.command("validate")
@domain_errors
def parcels_validate(file: Path, layer: Optional[str] = typer.Option(None), crs: Optional[str] = typer.Option(None),
                     fix: bool = typer.Option(False, "--fix"), db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Validate a parcel file (geometry, codes, CRS, overlaps, park boundary). Writes nothing."""
    store = open_store(db)
    rep = services.validate_file(file, layer=layer, crs=crs, fix=fix, store=store)
    if as_json:
        _dump(rep)
        return
    say(f"{rep['rows']} parcels valid (", str(rep["source_crs"]), f"), {display(rep['area_mu'])} 亩")
    if rep.get("encoding"):
        from .io import ENCODING_LABELS

        say("  text encoding: ", ENCODING_LABELS[rep["encoding"]])
    for r in rep["repaired"]:
        say("  ", (r, "yellow"))
    for o in rep["overlaps"]:
        say("  ", ("overlap", "red"), " ", o["a"], " × ", ("stored " if o["with"] == "stored" else "") + o["b"],
            f": {display(o['area_m2'])} m²")
    for o in rep["outside_park"]:
        say("  ", ("outside park", "red"), " ", o["code"], f": {display(o['outside_m2'])} m²")
    for o in rep["slivers"]:
        say("  sliver (tolerated) ", o.get("a") or o.get("code"), f": {display(o.get('area_m2', o.get('outside_m2')))} m²")
    for w in rep["warnings"]:
        say("  ", ("warning", "yellow"), ": ", w)
    if rep["overlaps"] or rep["outside_park"]:
        raise typer.Exit(1)


# -- checks, matching, screening ------------------------------------------------------------------

def _read_json(path: Path, field: str) -> dict:
    from .errors import InputError

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"file '{path}' does not exist", field=field) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg} at line {exc.lineno})", field=field) from exc


STATUS_STYLE = {"pass": "green", "fail": "red", "warn": "yellow", "missing": "magenta",
                "not_applicable": "dim"}
#: statuses whose reason is printed as a numbered footnote below the table
FOOTNOTED = ("missing", "not_applicable", "warn", "fail")


def _required_text(it: dict) -> str:
    if it.get("required_text"):
        return it["required_text"]
    r = it["required"]
    if it["operator"] == "between":
        return f"{display(r['min'])}–{display(r['max'])}"
    if it["operator"] == ">=":
        return "≥ " + display(r["min"] if r["min"] is not None else r["advisory_min"])
    if it["operator"] == "<=":
        return "≤ " + display(r["max"] if r["max"] is not None else r["advisory_max"])
    return "—"


def _print_check(v: dict) -> None:
    """The verdict headline, its notes, one row per indicator and a numbered reason per footnoted row.

    Reasons and notes are printed below the table as whole lines (the terminal wraps them), so an
    80-column terminal shows them in full; the table keeps the numbers short."""
    colour = {"pass": "green", "fail": "red", "incomplete": "yellow"}[v["verdict"]]
    notes = v.get("notes") or []
    say("\n", (v["project"] or "project", "bold"), " on ", v["parcel_code"],
        f" ({display(v['parcel']['area_mu'])} 亩), decided {v['decision_date']}: ",
        (v["verdict"].upper(), f"bold {colour}"),
        f"  ({len(notes)} note{'s' if len(notes) != 1 else ''}, see below)" if notes else "")
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for c in ("indicator", "status", "actual", "required", "unit", "by", "v"):
        t.add_column(c, overflow="fold", no_wrap=c in ("status", "actual", "required", "unit", "v"))
    footnotes: list[str] = []
    for it in v["indicators"]:
        status = Text(it["status"], style=STATUS_STYLE.get(it["status"], ""))
        by = lit(it.get("governing_ruleset"))
        if it.get("reason") and it["status"] in FOOTNOTED:
            footnotes.append(it["reason"])
            if by.plain:  # the marker goes where there is room: the empty "by" cell, else the status
                status.append(f" [{len(footnotes)}]")
            else:
                by.append(f"[{len(footnotes)}]")
        add_row(t, it["name"], status, display(it["actual"]), _required_text(it), it["unit"], by,
                (it.get("verified") or "")[:1].upper())
    out.print(t)
    say("v: V verified, U unverified, I illustrative (the governing value's source)")
    for i, why in enumerate(footnotes, 1):
        say(f"[{i}] ", why)
    for n in notes:
        say(("note", "bold yellow"), f" ({n.get('kind')}): ", n.get("message"))


def _print_match(m: dict) -> None:
    say("\n", ("match", "bold"), " ", m["project"] or "",
        f": {m['candidates']} of {m['considered']} parcels pass the hard filters; excluded: {m['excluded']}")
    t = Table()
    for c in ("#", "parcel", "亩", "verdict", "fails", "gaps", "headroom", "why"):
        t.add_column(c, no_wrap=c == "parcel", overflow="fold")
    for r in m["results"]:
        add_row(t, str(r["rank"]), r["parcel_code"], display(r["area_mu"]), r["verdict"], str(r["failed"]),
                str(r["missing"]), f"{r['headroom']:+.0%}", "; ".join(r["why"]))
    out.print(t)


@app.command()
@domain_errors
def check(project: Path, parcel: str = typer.Option(..., "--parcel", help="Parcel code"),
          checkpoint: str = typer.Option("screening", help="screening | acceptance | production_review"),
          lang: str = typer.Option("zh", help="zh | en"), db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """May this project go on this parcel, and why not? Every indicator with its source.

    Exit codes: 0 pass, 1 fail, 3 incomplete (a value or a threshold is missing; the reasons are
    listed), 2 input error (a bad project, an unknown parcel, or no rule set in force: run
    `standardland init` or `standardland rules load`). Notes on the parcel (status, area) do not
    change the exit code.
    """
    store = open_store(db)
    v = services.check_project(store, _read_json(project, "project"), parcel, checkpoint=checkpoint, lang=lang)
    if as_json:
        _dump(v)
    else:
        _print_check(v)
    code = EXIT_BY_VERDICT[v["verdict"]]
    if code:
        raise typer.Exit(code)


@app.command()
@domain_errors
def match(project: Path, top: int = typer.Option(10, "--top", min=1, max=1000),
          within: Optional[Path] = typer.Option(None, "--within", help="Area-of-interest polygon file"),
          lang: str = typer.Option("zh"), db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Rank the available parcels for a project, explained per parcel."""
    store = open_store(db)
    aoi = services.aoi_from_file(within) if within else None
    m = services.match_project(store, _read_json(project, "project"), top=top, within=aoi, lang=lang)
    if as_json:
        _dump(m)
    else:
        _print_match(m)


@app.command()
@domain_errors
def screen(input: Path, out_file: Path = typer.Option(..., "--out", help="Output .csv or .xlsx"),
           ruleset: Optional[list[str]] = typer.Option(None, "--ruleset", help="Only these rule-set ids"),
           engine: str = typer.Option("local", help="local | dask"),
           scheduler: Optional[str] = typer.Option(None, help="Dask scheduler address (default: a LocalCluster)"),
           checkpoint: str = typer.Option("screening"),
           indicator: Optional[list[str]] = typer.Option(None, "--indicator",
                                                         help="Only these indicator ids (repeatable)"),
           db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Screen a table of projects (one per row) and write a verdict per row."""
    store = open_store(db)
    df = services.read_table(input)
    prog, cb = _progress(len(df), f"screening {len(df)} rows ({engine})")
    with prog:
        res = services.screen_table(store, df, ruleset_ids=ruleset, engine=engine, scheduler=scheduler,
                                    checkpoint=checkpoint, indicators=indicator or None, progress=cb)
    services.write_table(res, out_file)
    counts = res["verdict"].value_counts().to_dict()
    if as_json:
        _dump({"rows": len(res), "out": str(out_file), "verdicts": {k: int(v) for k, v in counts.items()}})
    else:
        say(f"screened {len(res)} rows → ", str(out_file),
            ": " + ", ".join(f"{k} {v}" for k, v in counts.items()))


# -- rules ------------------------------------------------------------------------------------------

@rules_app.command("show")
@domain_errors
def rules_show(parcel: str = typer.Option(..., "--parcel"),
               on: Optional[str] = typer.Option(None, "--date", help="YYYY-MM-DD (default: today)"),
               industry_code: Optional[str] = typer.Option(None, "--industry"),
               edition: str = typer.Option("2017", "--edition"),
               db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """The effective thresholds on a parcel, with every layer's value and the winner named."""
    store = open_store(db)
    d = services.decision_date(on) if on else date.today()
    ind = {"industry_code": industry_code, "industry_code_edition": edition} if industry_code else None
    res = services.parcel_thresholds(store, parcel, on=d, industry=ind)
    if as_json:
        _dump(res)
        return
    t = Table(title=lit(f"{parcel} on {res['date']}"))
    for c in ("indicator", "min", "max", "winner", "layers"):
        t.add_column(c)
    for it in res["indicators"]:
        layers = "; ".join(f"{lv['ruleset']}: {display(lv['min']) if lv['min'] is not None else ''}"
                           f"{'–' + display(lv['max']) if lv['max'] is not None else ''}"
                           f"{' (' + lv['note'] + ')' if lv.get('note') else ''}"
                           f"{' [' + lv['severity'] + ']' if lv['severity'] == 'advisory' else ''}"
                           for lv in it["layers"])
        add_row(t, f"{it['name_zh']} ({it['unit']})", display(it["min"]), display(it["max"]),
                " / ".join(x for x in (it["min_by"], it["max_by"]) if x), layers or "no value on file")
    out.print(t)


@rules_app.command("list")
@domain_errors
def rules_list(db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """List the rule sets in the store."""
    store = open_store(db)
    docs = store.rulesets()
    recs = [{k: d.get(k) for k in ("id", "layer", "version", "effective_from", "effective_to", "industry_edition",
                                    "illustrative")} | {"rules": len(d.get("rules", []))} for d in docs]
    if as_json:
        _dump(recs)
        return
    t = Table()
    for c in recs[0].keys() if recs else ["id"]:
        t.add_column(c)
    for r in recs:
        add_row(t, *[str(v) for v in r.values()])
    out.print(t)


@rules_app.command("load")
@domain_errors
def rules_load(file: Path, into: Optional[str] = typer.Option(None, "--into", help="Rule set a CSV/xlsx extends"),
               db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Load a rule set (JSON) or an official table (CSV/xlsx, long form) into a rule set."""
    store = open_store(db)
    res = services.load_rule_file(store, file, into=into)
    if as_json:
        _dump(res)
    else:
        say("loaded rule set ", res["id"], f" ({res['layer']}, {res['rules']} rules, "
            f"{res['effective_from']} – {res['effective_to'] or 'open'})")


@app.command()
@domain_errors
def init(db: Optional[str] = DbOpt, sample: bool = typer.Option(False, "--sample", help="Also load the sample park"),
         as_json: bool = JsonOpt):
    """Create or migrate the store and load the shipped rule sets and boundaries."""
    from .sample import load_reference_data

    store = open_store(db)
    res = load_reference_data(store, with_sample=sample)
    if as_json:
        _dump(res)
    else:
        say("store ready at ", store.url or default_url(), ": ", str(res))


@app.command()
@domain_errors
def deadlines(overdue: bool = typer.Option(False, "--overdue", help="Only applications with an overdue deadline"),
              today: Optional[str] = typer.Option(None, "--today", help="YYYY-MM-DD (default: today)"),
              db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """What is due or overdue under the signed agreements, with the idle-land stage."""
    from .workflow import applications

    d = services.decision_date(today) if today else date.today()
    recs = applications.deadline_list(open_store(db), today=d, overdue_only=overdue)
    if as_json:
        _dump(recs)
        return
    t = Table(title=f"deadlines on {d}")
    for c in ("application", "parcel", "state", "deadline", "due", "status", "idle land"):
        t.add_column(c)
    for r in recs:
        for item in r["deadlines"]:
            colour = {"overdue": "red", "due": "yellow"}.get(item["status"], "green")
            add_row(t, str(r["application_id"]), r["parcel_code"], r["state"], item["kind"], item["due"],
                    lit(item["status"], colour), r["idle_land"]["stage"])
    out.print(t)


def main():  # console-script entry point
    app()


if __name__ == "__main__":
    main()
