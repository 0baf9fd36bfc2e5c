"""The ``standardland`` command line (Typer + rich). Every command takes ``--db URL`` and
``--json``; domain errors print one clear line (or a JSON error object) and exit 2.

Data is printed literally: every value that comes from a file, the store or a request reaches
the terminal as a rich ``Text`` (never markup) with its control characters removed
(:func:`standardland.tables.clean_text`), so a parcel named ``[/bold]`` or carrying an ESC
sequence prints as what it is.

Labels, headers, statuses, units and messages are Chinese by default (``--lang en`` or
``STANDARDLAND_LANG=en`` for English), read from ``web/i18n.json``, the label source the map uses.
Read commands never create a store: a missing ``--db`` file, an unreachable server or a store never
initialised is one line naming the URL and the fix (exit 2); only ``init``, ``demo`` and imports create.
"""

from __future__ import annotations

import functools
import json
import os
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

from . import __version__, services
from .errors import StandardlandError
from .resources import web as web_data
from .tables import clean_text
from .store import default_url, open_store
from .units import display

app = typer.Typer(help="standardland: 标准地 planner — parcels, indicators, checks and matching.",
                  no_args_is_help=True, add_completion=False)
parcels_app = typer.Typer(help="Parcel registry: import, export, list, show, validate, delete.",
                          no_args_is_help=True)
parks_app = typer.Typer(help="Parks (园区): add, import, list, show, delete.", no_args_is_help=True)
rules_app = typer.Typer(help="Rule sets: show effective thresholds, list, load official tables.",
                        no_args_is_help=True)
app.add_typer(parcels_app, name="parcels")
app.add_typer(rules_app, name="rules")
app.add_typer(parks_app, name="parks")

out = Console()
err = Console(stderr=True)

DbOpt = typer.Option(None, "--db", help="Database URL (default: sqlite:///standardland.db, or $STANDARDLAND_DB)")
JsonOpt = typer.Option(False, "--json", help="Machine-readable JSON on stdout")


#: ``check`` exit codes (documented in ``check --help`` and the README)
EXIT_BY_VERDICT = {"pass": 0, "fail": 1, "incomplete": 3}
EXIT_INPUT = 2
LANGS = ("zh", "en")


def lang() -> str:
    """The output language: ``--lang`` or ``$STANDARDLAND_LANG``, else Chinese."""
    v = (os.environ.get("STANDARDLAND_LANG") or "zh").strip().lower()
    return "en" if v.startswith("en") else "zh"


@functools.cache
def _labels() -> dict:
    return json.loads(web_data("i18n.json").read_text(encoding="utf-8"))


def L(key: str, **values) -> str:
    """The label ``key`` of ``web/i18n.json`` in the output language, ``{names}`` filled with ``values``."""
    text = _labels()[key][lang()]
    return text.format(**values) if values else text


def status_label(status) -> str:
    """A parcel status as the map's legend names it (``published`` → 已公告)."""
    from .parcels import STATUS_LABELS

    zh, en = STATUS_LABELS.get(status, (status, status))
    return zh if lang() == "zh" else en


def _open(db: Optional[str], *, create: bool = False):
    """The store for a command; only commands that write (``create=True``) may create one."""
    return open_store(db, create=create)


def _version_callback(value: bool) -> None:
    if value:
        out.print(f"standardland {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                       help="Print the version and exit"),
          language: Optional[str] = typer.Option(None, "--lang", help="Output language: zh (default) or en "
                                                                      "(or $STANDARDLAND_LANG)")):
    """standardland: 标准地 planner — parcels, parks, indicators, checks and matching."""
    if language is not None:
        if language.lower() not in LANGS:
            say(("error", "bold red"), f" --lang: '{language}' is not a language (expected zh or en)",
                console=err)
            raise typer.Exit(EXIT_INPUT)
        os.environ["STANDARDLAND_LANG"] = language.lower()


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
                say((L("cli_error"), "bold red"), " ", str(exc), console=err)
                for p in getattr(exc, "problems", [])[5:50]:
                    say("  ", str(p), console=err)
            raise typer.Exit(EXIT_INPUT)
    return wrapper


def _progress(total: int | None, label: str):
    """A transient progress bar on stderr and its callback ``cb(done, total=None)`` (a total given
    late, e.g. once a file is read, replaces the first)."""
    prog = Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=True)
    task = prog.add_task(clean_text(label), total=total)

    def cb(done: int, total: int | None = None, description: str | None = None) -> None:
        kw = {"total": total} if total is not None else {}
        if description is not None:
            kw["description"] = clean_text(description)
        prog.update(task, completed=done, **kw)
    return prog, cb


# -- demo -------------------------------------------------------------------------------------

tokens_app = typer.Typer(help="API tokens: create (printed once), list, revoke.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")


@tokens_app.command("create")
@domain_errors
def tokens_create(role: str = typer.Option(..., "--role", help="viewer | applicant | planner | reviewer | admin"),
                  name: str = typer.Option(..., "--name"), db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Create an API token; it is printed once and stored only as a hash."""
    from .api.auth import issue

    token = issue(_open(db), name=name, role=role)
    if as_json:
        _dump({"name": name, "role": role, "token": token})
    else:
        out.print(token, markup=False, highlight=False)
        say("token for '", name, f"' ({role}); it is shown only once", console=err)


@tokens_app.command("list")
@domain_errors
def tokens_list(db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """List tokens (names and roles; never the tokens)."""
    recs = _open(db).list_tokens()
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

    if not _open(db).revoke_token(token_id):
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

    store = _open(db, create=True)
    loaded = load_reference_data(store)
    summary = services.park_summary(store)
    out_dir.mkdir(parents=True, exist_ok=True)
    gpkg = services.export_parcels(store, store.parcels(), out_dir / "parcels.gpkg", lang=lang())  # QGIS style too
    example = json.loads((Path(__file__).parent / "examples" / "project.json").read_text(encoding="utf-8"))
    std = [r["code"] for r in services.parcel_records(store.parcels()) if r["status"] == "published"]
    verdict = services.check_project(store, example, std[0])
    ranked = services.match_project(store, example, top=5)
    if as_json:
        _dump({"loaded": loaded, "summary": summary, "geopackage": str(gpkg), "check": verdict, "match": ranked})
        return
    say(("standardland demo", "bold"), " — store ", store.url)
    say(_loaded_text(loaded))
    t = Table(title=L("cli_parcels_by_status"))
    for c in ("status", "cli_parcel_count", "unit_mu"):
        t.add_column(L(c), justify="left" if c == "status" else "right")
    for s, v in summary["by_status"].items():
        add_row(t, status_label(s), f"{v['parcels']:,}", display(v["area_mu"]))
    add_row(t, Text(L("cli_total"), style="bold"), f"{summary['parcels']:,}", display(summary["area_mu"]))
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
    store = _open(db, create=True)
    prog, cb = _progress(None, f"{L('cli_importing')} {file.name}")
    with prog:
        res = services.import_file(store, file, layer=layer, crs=crs, fix=fix,
                                   mode="upsert" if upsert else "insert", progress=cb, allow=allow or ())
    if as_json:
        _dump(res)
        return
    say(L("cli_imported", inserted=f"{res.get('inserted', 0):,}", updated=f"{res.get('updated', 0):,}"),
        file.name, f" ({res.get('source_crs')} → EPSG:4490)" if res.get("source_crs") else "")
    _print_assigned(res.get("assigned"))
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
                   xlsx_lang: Optional[str] = typer.Option(None, "--lang", help="xlsx headers and GeoPackage style "
                                                           "labels: zh or en (default: the CLI's language)"),
                   style: Optional[str] = typer.Option(None, "--style", help="the QGIS style stored in a .gpkg: "
                                                       "status (default) or indicator:<property>, e.g. "
                                                       "indicator:tax_per_mu (the map's quantile choropleth)")):
    """Export parcels: .gpkg (SRS 4490, with the map's QGIS styles), .geojson (CRS84), .csv or .xlsx (WKT)."""
    from .store import ParcelQuery

    store = _open(db)
    use = xlsx_lang or lang()
    if use not in LANGS:
        from .errors import BadParameter

        raise BadParameter(f"language '{use}' is unknown", field="lang", expected="zh or en")
    q = ParcelQuery(status=(status,) if status else None)
    total = store.count_parcels(q)
    prog, cb = _progress(total, f"{L('cli_reading')} {total:,}")
    with prog:
        gdf = store.parcels(q)
        cb(len(gdf) // 2, description=f"{L('cli_writing')} {file.name}")
        path = services.export_parcels(store, gdf, file, lang=use, style=style)
        cb(len(gdf))
    if as_json:
        _dump({"file": str(path), "parcels": len(gdf)})
    else:
        say(L("cli_exported", n=f"{len(gdf):,}"), str(path))


@parcels_app.command("list")
@domain_errors
def parcels_list(status: Optional[str] = typer.Option(None), park: Optional[str] = typer.Option(None),
                 limit: Optional[int] = typer.Option(None, "--limit", min=1, max=100_000,
                                                     help="Parcels per page (default 50; --json: all)"),
                 offset: int = typer.Option(0, "--offset", min=0, help="Parcels to skip"),
                 db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """List parcels a page at a time with the total (``--json``: an array with code, name, status,
    land_use_code, area_m2/mu/ha …; every parcel unless ``--limit``)."""
    from .store import ParcelQuery

    store = _open(db)
    q = dict(status=(status,) if status else None, park=park)
    if as_json:
        page = ParcelQuery(**q, limit=limit, offset=offset) if limit or offset else ParcelQuery(**q)
        _dump(services.parcel_records(store.parcels(page)))
        return
    limit = limit or 50
    total = store.count_parcels(ParcelQuery(**q))
    recs = services.parcel_records(store.parcels(ParcelQuery(**q, limit=limit, offset=offset)))
    out.print(_parcel_table(recs))
    if recs:
        say(L("cli_parcels_showing", first=f"{offset + 1:,}", last=f"{offset + len(recs):,}", total=f"{total:,}"))
    else:
        say(L("cli_parcels_none", total=f"{total:,}"))
    if offset + len(recs) < total:
        say((L("cli_more", next=offset + len(recs)), "dim"))


#: below this width the parcel table drops m² and 公顷 so codes and names keep their room
NARROW = 100


def _parcel_table(recs: list[dict]) -> Table:
    """Parcels as a table that fits the terminal: the 19-character code is never cut; names wrap."""
    narrow = out.width < NARROW
    cols = [("code", "left"), ("name", "left"), ("status", "left"), ("land_use_code", "left")]
    cols += [("unit_mu", "right")] if narrow else [("unit_m2", "right"), ("unit_mu", "right"), ("unit_ha", "right")]
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=narrow)
    for key, justify in cols:
        t.add_column(L(key), justify=justify, no_wrap=key != "name", overflow="fold" if key == "name" else "ellipsis",
                     min_width=19 if key == "code" else None, ratio=1 if key == "name" else None)
    for r in recs:
        cells = [r["code"], r["name"], status_label(r["status"]), r["land_use_code"]]
        cells += [display(r["area_mu"])] if narrow else [display(r["area_m2"]), display(r["area_mu"]),
                                                        display(r["area_ha"], 4)]
        add_row(t, *cells)
    return t


def _print_assigned(assigned: dict | None) -> None:
    for park, n in (assigned or {}).items():
        say(L("cli_assigned", n=f"{n:,}"), park, L("cli_assigned_tail"))


def _loaded_text(loaded: dict) -> str:
    """``load_reference_data``'s result as a sentence (never a dict repr)."""
    text = L("cli_loaded", rulesets=loaded.get("rulesets", 0), boundaries=loaded.get("boundaries", 0))
    if "parcels" in loaded:
        text += L("cli_loaded_parcels", **{k: f"{v:,}" for k, v in loaded["parcels"].items()})
    return text


@parcels_app.command("show")
@domain_errors
def parcels_show(code: str, db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Show one parcel with its areas and attributes."""
    store = _open(db)
    rec = services.parcel_records(store.parcel(code))[0]
    if as_json:
        _dump(rec)
        return
    t = Table(show_header=False, title=lit(code), box=box.SIMPLE)
    t.add_column(no_wrap=True)
    t.add_column(overflow="fold")
    labels = _labels()
    for k, v in rec.items():
        if k == "attrs":
            for ak, av in (v or {}).items():  # each attribute on its own row, never a dict repr
                add_row(t, ak, _plain(av))
            continue
        shown = status_label(v) if k == "status" else _plain(v)
        add_row(t, labels[k][lang()] if k in labels else k, shown)
    out.print(t)


def _plain(v) -> str:
    """A value as a person reads it: numbers rounded, lists joined, mappings as ``k: v`` pairs."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return L("yes") if v else L("no")
    if isinstance(v, float):
        return display(v)
    if isinstance(v, (list, tuple)):
        return "、".join(_plain(x) for x in v)
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_plain(x)}" for k, x in v.items())
    return str(v)


@parcels_app.command("delete")
@domain_errors
def parcels_delete(code: str, yes: bool = typer.Option(False, "--yes", help="Confirm the deletion"),
                   db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Delete one parcel (refused while an application names it; needs ``--yes``)."""
    from .errors import InputError

    store = _open(db)
    if not yes:
        raise InputError(f"deleting parcel {code} needs confirmation", field="yes",
                         expected="--yes (" + L("cli_confirm_needed") + ")")
    from .errors import NotFoundError

    if store.delete_parcels([code]) == 0:
        raise NotFoundError(f"no parcel with code '{code}'", field="code")
    if as_json:
        _dump({"deleted": code})
    else:
        say(L("cli_deleted_parcel"), code)


@parcels_app.command("validate")
@domain_errors
def parcels_validate(file: Path, layer: Optional[str] = typer.Option(None), crs: Optional[str] = typer.Option(None),
                     fix: bool = typer.Option(False, "--fix"), db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Validate a parcel file (geometry, codes, CRS, overlaps, park boundary). Writes nothing."""
    from .store import StoreUnavailable

    try:
        store = _open(db)
    except StoreUnavailable:
        if db is not None:  # a store named and missing is an error; the default one may be absent
            raise
        store = None
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
    _print_assigned(rep.get("assigned"))
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


# -- parks ----------------------------------------------------------------------------------------

def _industry_list(values: Optional[list[str]]) -> list[str]:
    return [v for item in values or [] for v in item.replace("，", ",").split(",") if v.strip()]


@parks_app.command("add")
@domain_errors
def parks_add(code: str, name: str = typer.Option(..., "--name", help="e.g. 烟台高新区 国际招商产业园"),
              boundary: Optional[Path] = typer.Option(None, "--boundary",
                                                      help="Boundary file (GeoPackage, GeoJSON, zipped Shapefile, "
                                                           "CSV/xlsx with WKT); its features are unioned"),
              crs: Optional[str] = typer.Option(None, "--crs", help="CRS of the boundary if the file declares "
                                                                    "none: EPSG code or gcj02"),
              name_en: Optional[str] = typer.Option(None, "--name-en"),
              county: Optional[str] = typer.Option(None, "--county", help="6-digit county (区县) code"),
              zone_tier: Optional[str] = typer.Option(None, "--zone-tier",
                                                      help="The province's zone tier, e.g. national (shandong-2005)"),
              admit: Optional[list[str]] = typer.Option(None, "--admit", help="Admitted industry (code or name; "
                                                                              "repeatable or comma-separated)"),
              negative: Optional[list[str]] = typer.Option(None, "--negative", help="Industry on the negative "
                                                                                    "list (repeatable)"),
              db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Add or replace a park: boundary, jurisdiction, zone tier, admitted and negative industries."""
    from . import parks as parkmod

    store = _open(db, create=True)
    doc = {"code": code, "name": name, "name_en": name_en, "county_code": county, "zone_tier": zone_tier,
           "admitted_industries": _industry_list(admit), "negative_industries": _industry_list(negative)}
    src = crs
    if boundary is not None:
        doc["geometry"] = parkmod.read_boundary(boundary, crs=crs)
        src = 4490
    rec = parkmod.put_park(store, parkmod.park_record(doc, rulesets=store.rulesets(), crs=src))
    if as_json:
        _dump(rec)
    else:
        say(L("cli_park_saved"), rec["code"], " ", rec["name"])


@parks_app.command("import")
@domain_errors
def parks_import(file: Path, layer: Optional[str] = typer.Option(None, "--layer"),
                 crs: Optional[str] = typer.Option(None, "--crs", help="CRS if the file declares none"),
                 db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Import parks from a vector file: one polygon per park with columns code, name, name_en,
    county_code, zone_tier, admitted_industries, negative_industries (lists comma-separated).
    Every row is validated before any is written."""
    from . import parks as parkmod

    store = _open(db, create=True)
    recs = parkmod.read_parks_file(file, rulesets=store.rulesets(), crs=crs, layer=layer)
    saved = [parkmod.put_park(store, r) for r in recs]
    if as_json:
        _dump(saved)
    else:
        say(L("cli_parks_imported", n=len(saved)), ": ", ", ".join(r["code"] for r in saved))


@parks_app.command("list")
@domain_errors
def parks_list(db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """List parks with their jurisdiction, zone tier and parcel count."""
    from . import parks as parkmod

    store = _open(db)
    recs = parkmod.park_records(store.parks(), store)
    if as_json:
        _dump(recs)
        return
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=L("cli_parks_count", n=len(recs)))
    for key in ("park_code", "park_name", "county_code", "zone_tier", "cli_parcel_count", "unit_mu"):
        t.add_column(L(key), no_wrap=key != "park_name", overflow="fold",
                     justify="right" if key in ("cli_parcel_count", "unit_mu") else "left")
    from .units import m2_to_mu

    for r in recs:
        add_row(t, r["code"], r["name"], r["county_code"], r["zone_tier"], f"{r['parcels']:,}",
                display(m2_to_mu(r["area_m2"])) if r["area_m2"] is not None else "")
    out.print(t)


@parks_app.command("show")
@domain_errors
def parks_show(code: str, db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """One park: names, jurisdiction, zone tier, industry lists, boundary area and parcels."""
    from . import parks as parkmod
    from .errors import NotFoundError

    store = _open(db)
    recs = parkmod.park_records(store.parks(), store, codes=[code], geometry=as_json)
    if not recs:
        raise NotFoundError(f"no park with code '{code}'", field="code")
    r = recs[0]
    if as_json:
        _dump(r)
        return
    from .units import m2_to_mu

    t = Table(show_header=False, title=lit(code), box=box.SIMPLE)
    t.add_column(no_wrap=True)
    t.add_column(overflow="fold")
    rows = [("park_name", r["name"]), ("name", r["name_en"]), ("county_code", r["county_code"]),
            ("zone_tier", r["zone_tier"]), ("admitted_industries", r["admitted_industries"]),
            ("negative_industries", r["negative_industries"]),
            ("boundary", f"{display(m2_to_mu(r['area_m2']))} {L('unit_mu')}" if r["has_boundary"] else L("no")),
            ("cli_parcel_count", f"{r['parcels']:,}")]
    for key, v in rows:
        add_row(t, L(key) + (" (en)" if key == "name" else ""), _plain(v))
    for k, v in r["attrs"].items():
        add_row(t, k, _plain(v))
    out.print(t)


@parks_app.command("delete")
@domain_errors
def parks_delete(code: str, db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Delete a park; refused while parcels belong to it (the count is given)."""
    from . import parks as parkmod

    parkmod.delete_park(_open(db), code)
    if as_json:
        _dump({"deleted": code})
    else:
        say(L("cli_park_deleted"), code)


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
    for c in ("indicator", "status", "actual", "required", "by", "v"):
        t.add_column(c, overflow="fold", no_wrap=c in ("status", "actual", "required", "by", "v"),
                     min_width=8 if c == "indicator" else None)
    footnotes: list[str] = []
    sources: dict[str, tuple[str, str]] = {}  # governing rule set → (key letter, its document in words)
    for it in v["indicators"]:
        status = Text(it["status"], style=STATUS_STYLE.get(it["status"], ""))
        src = it.get("governing_ruleset")
        by = Text("")
        if src:
            words = " ".join(x for x in (it.get("title"), it.get("document_number")) if x) or src
            key = sources.setdefault(src, (chr(ord("A") + len(sources)), words))[0]
            by = lit(key)
        if it.get("reason") and it["status"] in FOOTNOTED:
            footnotes.append(it["reason"])
            status.append(f" [{len(footnotes)}]")
        required = _required_text(it)
        if it.get("actual") is not None and it.get("unit") not in (None, "-", "") and not it.get("required_text"):
            required = f"{required} {it['unit']}"
        add_row(t, it["name"], status, display(it["actual"]), required, by, (it.get("verified") or "")[:1].upper())
    out.print(t)
    for src, (k, words) in sources.items():  # the governing documents in people's words, the id second
        say(f"{k}  ", words, f"  · {src}")
    say("v: V verified, U unverified, I illustrative (the governing value's source)")
    for i, why in enumerate(footnotes, 1):
        say(f"[{i}] ", why)
    for n in notes:
        say(("note", "bold yellow"), f" ({n.get('kind')}): ", n.get("message"))
    from .cli_analysis import print_advice

    print_advice(v)


def _print_match(m: dict) -> None:
    say("\n", ("match", "bold"), " ", m["project"] or "",
        f": {m['candidates']} of {m['considered']} parcels pass the hard filters",
        "; excluded: " + ", ".join(f"{why} × {n}" for why, n in m["excluded"].items()) if m["excluded"] else "")
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
          lang: str = typer.Option("zh", help="zh | en"), db: Optional[str] = DbOpt, as_json: bool = JsonOpt,
          fmt: Optional[str] = typer.Option(None, "--format", help="html | pdf: write the meeting-ready document"),
          out_file: Optional[Path] = typer.Option(None, "--out", help="Where --format writes the document")):
    """May this project go on this parcel, and why not? Every indicator with its source.

    With --format html|pdf --out FILE it writes the meeting-ready document instead of the table
    (the same document as POST /api/v1/checks/document) and exits 0 once it is written.

    Exit codes: 0 pass, 1 fail, 3 incomplete (a value or a threshold is missing; the reasons are
    listed), 2 input error (a bad project, an unknown parcel, or no rule set in force: run
    `standardland init` or `standardland rules load`). Notes on the parcel (status, area) do not
    change the exit code.
    """
    store = _open(db)
    if fmt is not None or out_file is not None:
        return _write_check_document(store, project, parcel, checkpoint, lang, fmt, out_file)
    v = services.check_project(store, _read_json(project, "project"), parcel, checkpoint=checkpoint, lang=lang)
    if as_json:
        _dump(v)
    else:
        _print_check(v)
    code = EXIT_BY_VERDICT[v["verdict"]]
    if code:
        raise typer.Exit(code)


def _write_check_document(store, project: Path, parcel: str, checkpoint: str, lang: str, fmt, out_file) -> None:
    from .errors import InputError

    if fmt is None or out_file is None:
        raise InputError("--format and --out go together", field="--out" if out_file is None else "--format",
                         expected="--format html|pdf --out FILE")
    doc = services.check_document(store, _read_json(project, "project"), parcel, checkpoint=checkpoint,
                                  lang=lang, fmt=fmt)
    out_file.write_bytes(doc)
    say("document written: ", str(out_file))


@app.command()
@domain_errors
def match(project: Path, top: int = typer.Option(10, "--top", min=1, max=1000),
          within: Optional[Path] = typer.Option(None, "--within", help="Area-of-interest polygon file"),
          lang: str = typer.Option("zh"), db: Optional[str] = DbOpt, as_json: bool = JsonOpt,
          within_advice: Optional[str] = typer.Option(None, "--within-advice",
                                                      help="Only parcels that pass with at most this change, e.g. 10%")):
    """Rank the available parcels for a project, explained per parcel."""
    from .cli_analysis import parse_share

    store = _open(db)
    aoi = services.aoi_from_file(within) if within else None
    m = services.match_project(store, _read_json(project, "project"), top=top, within=aoi, lang=lang,
                               within_advice=parse_share(within_advice, "within-advice") if within_advice else None)
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
    store = _open(db)
    df = services.read_table(input)
    prog, cb = _progress(len(df) + 1, f"{L('cli_screening')} {len(df):,} ({engine})")
    with prog:  # chunks of a twentieth (≥ 5,000 rows) so the bar moves; the last step is the writing
        res = services.screen_table(store, df, ruleset_ids=ruleset, engine=engine, scheduler=scheduler,
                                    checkpoint=checkpoint, indicators=indicator or None, progress=cb,
                                    chunk=max(5_000, -(-len(df) // 20)))
        cb(len(df), description=f"{L('cli_writing')} {out_file.name}")
        services.write_table(res, out_file)
        cb(len(df) + 1)
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
    store = _open(db)
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
    store = _open(db)
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
    store = _open(db)
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

    from .store import shown_url

    store = _open(db, create=True)
    res = load_reference_data(store, with_sample=sample)
    if as_json:
        _dump(res)
    else:
        say(L("cli_store_ready"), shown_url(store.url or default_url()), "; ", _loaded_text(res))


@app.command()
@domain_errors
def deadlines(overdue: bool = typer.Option(False, "--overdue", help="Only applications with an overdue deadline"),
              today: Optional[str] = typer.Option(None, "--today", help="YYYY-MM-DD (default: today)"),
              db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """What is due or overdue under the signed agreements, with the idle-land stage."""
    from .workflow import applications

    d = services.decision_date(today) if today else date.today()
    recs = applications.deadline_list(_open(db), today=d, overdue_only=overdue)
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


from .cli_analysis import register as _register_analysis; _register_analysis(app)  # noqa: E402,E702 size, whatif


def main():  # console-script entry point
    app()


if __name__ == "__main__":
    main()
