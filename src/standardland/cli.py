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
import importlib.util
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

from . import __version__

from .errors import StandardlandError
from .labels import label, lang_from_env, unit_text
from .tables import clean_text
from .store import default_url, open_store
from .units import display


def _lazy_module(name: str):
    """The module ``name``, executed when one of its attributes is first used (``importlib``'s
    ``LazyLoader``), and registered so that every ``import`` of it gets the same module: ``--help`` and
    commands that do not need it never import :mod:`standardland.services` and what it imports
    (geopandas, the parcel checks)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:  # pragma: no cover - a broken installation
        return importlib.import_module(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)
    return module


services = _lazy_module("standardland.services")

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

DbOpt = typer.Option(None, "--db", help="Store: a SQLite file path or a database URL (default: standardland.db, or $STANDARDLAND_DB)")
JsonOpt = typer.Option(False, "--json", help="Machine-readable JSON on stdout")


#: ``check`` exit codes (documented in ``check --help`` and the README)
EXIT_BY_VERDICT = {"pass": 0, "fail": 1, "incomplete": 3}
EXIT_INPUT = 2
LANGS = ("zh", "en")


def lang() -> str:
    """The output language: ``--lang`` or ``$STANDARDLAND_LANG``, else Chinese."""
    return lang_from_env()


def L(key: str, **values) -> str:
    """The label ``key`` of ``web/i18n.json`` in the output language, ``{names}`` filled with ``values``."""
    return label(key, lang(), **values)


def status_label(status) -> str:
    """A parcel status as the map's legend names it (``published`` → 已公告)."""
    return label(f"status_{status}", lang(), default=str(status))


def use_lang(value: Optional[str]) -> None:
    """Make ``value`` (``--lang``) the output language; anything but zh/en is an input error (exit 2)."""
    if value is None:
        return
    if value.lower() not in LANGS:
        say((L("cli_error_line"), "bold red"), L("cli_lang_unknown", value=value), console=err)
        raise typer.Exit(EXIT_INPUT)
    os.environ["STANDARDLAND_LANG"] = value.lower()


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
    use_lang(language)


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
    """Run a command so that a domain error is one line on stderr (field, what, expected) and exit 2,
    never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except StandardlandError as exc:
            if kwargs.get("as_json"):
                _dump({"error": exc.to_dict()})
            else:
                say((L("cli_error_line"), "bold red"), str(exc), console=err)
                for p in getattr(exc, "problems", [])[5:50]:
                    say("  ", str(p), console=err)
            raise typer.Exit(EXIT_INPUT) from None  # the one line above is the whole story
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
        say(L("cli_token_shown_once", name=name, role=role), console=err)


@tokens_app.command("list")
@domain_errors
def tokens_list(db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """List tokens (names and roles; never the tokens)."""
    recs = _open(db).list_tokens()
    if as_json:
        _dump(recs)
        return
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for c in ("id", "name", "role", "created_at", "revoked"):
        t.add_column(L(f"cli_col_{c}" if c != "name" else "name"))
    for r in recs:
        add_row(t, *[_yes_no(r[c]) for c in ("id", "name", "role", "created_at", "revoked")])
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
        say(L("cli_token_revoked", id=token_id))


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


def _require_free_port(host: str, port: int) -> None:
    """Refuse a port another program listens on, before anything is loaded or announced (exit 2)."""
    import socket

    try:
        socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET).close()
    except OSError as exc:
        from .errors import BadParameter

        why = os.strerror(exc.errno) if exc.errno else str(exc)
        raise BadParameter(f"{host}:{port} cannot be served: {why}", field="--port",
                           expected=f"a free port, e.g. --port {port + 1} (make demo PORT={port + 1})") from None


def _serve(host: str, port: int, db: Optional[str], workers: int = 1, *, access_log: bool = True) -> None:
    import os

    import uvicorn

    from .sample import load_reference_data
    from .store import as_url

    _require_free_port(host, port)
    os.environ["STANDARDLAND_DB"] = as_url(db or default_url())
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
    from .cli_promotion import print_scorecard
    from .sample import SAMPLE_PARK_CODE, add_sample_promotion, load_reference_data
    from .workflow.reports import park_scorecard

    if serve_it:
        _require_free_port(host, port)  # said before the park is loaded, not after it is shown
    store = _open(db, create=True)
    loaded = load_reference_data(store)
    loaded["promotion"] = add_sample_promotion(store)  # illustrative 2021 records: the scorecard below
    summary = services.park_summary(store)
    out_dir.mkdir(parents=True, exist_ok=True)
    gpkg = services.export_parcels(store, store.parcels(), out_dir / "parcels.gpkg", lang=lang())  # QGIS style too
    example = json.loads((Path(__file__).parent / "examples" / "project.json").read_text(encoding="utf-8"))
    std = [r["code"] for r in services.parcel_records(store.parcels()) if r["status"] == "published"]
    verdict = services.check_project(store, example, std[0])
    ranked = services.match_project(store, example, top=5)
    if as_json:
        _dump({"loaded": loaded, "summary": summary, "geopackage": str(gpkg), "check": verdict, "match": ranked,
               "scorecard": park_scorecard(store, SAMPLE_PARK_CODE, 2021)})
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
    print_scorecard(park_scorecard(store, SAMPLE_PARK_CODE, 2021))
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
    if loaded.get("chains"):
        text += L("chain_loaded", n=loaded["chains"])
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
    for k, v in rec.items():
        if k == "attrs":
            for ak, av in (v or {}).items():  # each attribute on its own row, never a dict repr
                add_row(t, _field_label(ak), _yes_no(av))
            continue
        shown = status_label(v) if k == "status" else _yes_no(v)
        add_row(t, _field_label(k), shown)
    out.print(t)


def _field_label(name: str) -> str:
    """A parcel field or attribute as people name it: its label (``土地等别``), a parcel threshold as its
    indicator's name and side (``容积率·下限``), else the name itself (a user's own attribute)."""
    from .labels import has
    from .rules.catalogue import catalogue

    for key in (name, f"col_{name}"):
        if has(key):
            return label(key, lang())
    for side in ("min", "max"):
        ind = name.removesuffix(f"_{side}")
        if ind != name and ind in catalogue().ids:
            return catalogue().get(ind).name(lang()) + label(f"col_sfx_limit_{side}", lang())
    return name


def _yes_no(v) -> str:
    """A table cell: a flag as 是/否 (yes/no), anything else as :func:`_plain` shows it."""
    if isinstance(v, bool):
        return L("doc_yes") if v else L("doc_no")
    return _plain(v)


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
    """An explanation item's requirement in the output language, unit included (``required_text``)."""
    from .rules.explain import required_text

    unit = None if it.get("unit") in (None, "class") else unit_text(it["unit"], lang())
    return required_text(it["required"], it["operator"], unit, lang())


def _verdict_text(verdict: str) -> str:
    """A verdict as the headline shows it: 通过 / 不通过 / 资料不全, or PASS / FAIL / INCOMPLETE."""
    text = L(verdict)
    return text.upper() if lang() == "en" else text


def _print_check(v: dict) -> None:
    """The verdict headline, its notes, one row per indicator and a numbered reason per footnoted row.

    Reasons and notes are printed below the table as whole lines (the terminal wraps them), so an
    80-column terminal shows them in full; the table keeps the numbers short."""
    colour = {"pass": "green", "fail": "red", "incomplete": "yellow"}[v["verdict"]]
    notes = v.get("notes") or []
    say("\n", (v["project"] or L("cli_project"), "bold"), " ",
        L("cli_check_head", parcel=v["parcel_code"], area=display(v["parcel"]["area_mu"]), date=v["decision_date"]),
        (_verdict_text(v["verdict"]), f"bold {colour}"),
        (L("cli_note_below") if len(notes) == 1 else L("cli_notes_below", n=len(notes))) if notes else "")
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for key, c in (("indicator", "indicator"), ("status", "status"), ("actual", "actual"),
                   ("required", "required"), ("cli_col_by", "by"), ("cli_col_v", "v")):
        t.add_column(L(key), overflow="fold", no_wrap=c in ("status", "actual", "required", "by", "v"),
                     min_width=8 if c == "indicator" else None)
    footnotes: list[str] = []
    sources: dict[str, tuple[str, str]] = {}  # governing rule set → (key letter, its document in words)
    for it in v["indicators"]:
        status = Text(L(it["status"]), style=STATUS_STYLE.get(it["status"], ""))
        src = it.get("governing_ruleset")
        by = Text("")
        if src:
            words = " ".join(x for x in (it.get("title"), it.get("document_number")) if x) or src
            key = sources.setdefault(src, (chr(ord("A") + len(sources)), words))[0]
            by = lit(key)
        if it.get("reason") and it["status"] in FOOTNOTED:
            footnotes.append(it["reason"])
            status.append(f" [{len(footnotes)}]")
        add_row(t, it["name"], status, display(it["actual"]), _required_text(it), by,
                (it.get("verified") or "")[:1].upper())
    out.print(t)
    for src, (k, words) in sources.items():  # the governing documents in people's words, the id second
        say(f"{k}  ", words, f"  · {src}")
    say(L("cli_v_legend"))
    for i, why in enumerate(footnotes, 1):
        say(f"[{i}] ", why)
    for n in notes:
        kind = str(n.get("kind") or "")
        say((L("cli_note", kind=kind if lang() == "en" else label(f"note_{kind}", "zh", default=kind)),
             "bold yellow"), n.get("message"))
    from .cli_analysis import print_advice

    print_advice(v)


def _excluded_text(ex: dict) -> str:
    """One exclusion of ``match`` (its ``code`` and ``params``, see rules/matching) in the output language."""
    return label(f"excluded_{ex['code']}", lang(), default=ex.get("message") or ex["code"], **ex.get("params", {}))


def _why(indicators: list[dict]) -> str:
    """Why a ranked parcel is not a clean pass: each failing, missing or warned indicator with its values."""
    parts = []
    for it in indicators:
        if it["status"] not in ("fail", "missing", "warn"):
            continue
        text = L("cli_kv", name=it["name"], value=L(it["status"]))
        if it.get("actual") is not None and it.get("operator"):
            text += L("cli_why_actual", actual=display(it["actual"]), required=_required_text(it))
        parts.append(text)
    return L("cli_list_sep").join(parts)


def _print_match(m: dict) -> None:
    say("\n", (L("cli_match"), "bold"), " ", m["project"] or "",
        L("cli_match_head", candidates=m["candidates"], considered=m["considered"]),
        L("cli_match_excluded") + L("cli_list_sep").join(f"{_excluded_text(ex)} × {ex['count']}" for ex in m.get("exclusions", []))
        if m["excluded"] else "")
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for key in ("cli_col_rank", "code", "unit_mu", "verdict", "cli_col_fails", "cli_col_gaps", "cli_col_headroom"):
        t.add_column(L(key), no_wrap=True, justify="left" if key in ("code", "verdict") else "right")
    whys = []
    for r in m["results"]:
        status = Text(L(r["verdict"]), style={"pass": "green", "fail": "red"}.get(r["verdict"], "yellow"))
        add_row(t, str(r["rank"]), r["parcel_code"], display(r["area_mu"]), status, str(r["failed"]),
                str(r["missing"]), f"{r['headroom']:+.0%}")
        why = _why(r.get("indicators") or [])
        if why:
            whys.append((r["rank"], why))
    out.print(t)
    for rank, why in whys:  # below the table as whole lines: an 80-column terminal shows them in full
        say(f"{rank}. ", why)
    from .cli_chains import print_chain_notes

    print_chain_notes(m)  # the industry-chain proximity of each ranked parcel


@app.command()
@domain_errors
def check(project: Path, parcel: str = typer.Option(..., "--parcel", help="Parcel code"),
          checkpoint: str = typer.Option("screening", help="screening | acceptance | production_review"),
          language: Optional[str] = typer.Option(None, "--lang", help="zh | en (default: the CLI's language)"),
          db: Optional[str] = DbOpt, as_json: bool = JsonOpt,
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
    use_lang(language)
    store = _open(db)
    if fmt is not None or out_file is not None:
        return _write_check_document(store, project, parcel, checkpoint, lang(), fmt, out_file)
    v = services.check_project(store, _read_json(project, "project"), parcel, checkpoint=checkpoint, lang=lang())
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
    say(L("cli_document_written"), str(out_file))


@app.command()
@domain_errors
def match(project: Path, top: int = typer.Option(10, "--top", min=1, max=1000),
          within: Optional[Path] = typer.Option(None, "--within", help="Area-of-interest polygon file"),
          language: Optional[str] = typer.Option(None, "--lang", help="zh | en (default: the CLI's language)"),
          db: Optional[str] = DbOpt, as_json: bool = JsonOpt,
          within_advice: Optional[str] = typer.Option(None, "--within-advice",
                                                      help="Only parcels that pass with at most this change, e.g. 10%")):
    """Rank the available parcels for a project, explained per parcel."""
    from .cli_analysis import parse_share

    use_lang(language)
    store = _open(db)
    aoi = services.aoi_from_file(within) if within else None
    m = services.match_project(store, _read_json(project, "project"), top=top, within=aoi, lang=lang(),
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
           out_lang: Optional[str] = typer.Option(None, "--lang", help="Output headers: zh or en (an xlsx has "
                                                  "zh labels by default; a CSV keeps field names unless given)"),
           db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Screen a table of projects (one per row) and write a verdict per row."""
    from .errors import InputError
    from .io import ENCODING_LABELS

    if out_lang is not None and out_lang.lower() not in LANGS:
        raise InputError(f"'{out_lang}' is not an output language", field="lang", expected="zh or en")
    store = _open(db)
    prog, cb = _progress(None, f"{L('cli_reading')} {input.name}")

    def on_header(info: dict) -> None:
        if as_json:
            return
        if info.get("encoding"):
            say(L("cli_screen_encoding"), ENCODING_LABELS[info["encoding"]])
        renamed = info.get("renamed") or {}
        say(L("cli_screen_headers"), "; ".join(f"{h} → {f}" for h, f in renamed.items()) if renamed
            else L("cli_screen_headers_none"))

    stages = {"read": "cli_reading", "evaluated": "cli_screening", "written": "cli_writing",
              "piece": "cli_screening", "done": "cli_writing"}

    def progress(done: int, total: int, stage: str) -> None:
        cb(done, total=total, description=f"{L(stages.get(stage, 'cli_screening'))} {input.name} ({engine})")

    with prog:
        res = services.screen_file(store, input, out_file, ruleset_ids=ruleset, engine=engine, scheduler=scheduler,
                                   checkpoint=checkpoint, indicators=indicator or None,
                                   lang=out_lang.lower() if out_lang else None, progress=progress,
                                   on_header=on_header)
    counts = res["verdicts"]
    if as_json:
        _dump({"rows": res["rows"], "out": str(out_file), "verdicts": counts, "encoding": res.get("encoding"),
               "headers": res.get("renamed") or {}})
    else:
        say(L("cli_screened", rows=f"{res['rows']:,}"), str(out_file),
            L("cli_screened_counts", counts=L("cli_list_sep").join(f"{L(k)} {v:,}" for k, v in counts.items())))


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
    t = Table(title=lit(L("cli_rules_title", parcel=parcel, date=res["date"])))
    for c in ("indicator", "cli_col_min", "cli_col_max", "cli_col_winner", "cli_col_layers"):
        t.add_column(L(c))
    for it in res["indicators"]:
        layers = L("cli_list_sep").join(_layer_value(lv) for lv in it["layers"])
        unit = unit_text(it["unit"], lang())
        name = it["name_zh"] if lang() == "zh" else it["name_en"]
        add_row(t, f"{name} ({unit})" if unit not in ("", "-") else name, display(it["min"]), display(it["max"]),
                " / ".join(x for x in (it["min_by"], it["max_by"]) if x), layers or L("reason_no_value_on_file"))
    out.print(t)


def _layer_value(lv: dict) -> str:
    """One rule set's value of an indicator in a line: ``national-2023: 1.2–3.0 (note) [advisory]``."""
    note = lv.get("note")
    if note == "no value on file":  # the thresholds' own wording of an empty layer
        note = L("legend_no_value")
    value = "–".join(display(lv[k]) for k in ("min", "max") if lv[k] is not None)
    if lv["min"] is None and lv["max"] is not None:
        value = "≤ " + value
    parts = [value, f"({note})" if note else "", f"[{L('cli_advisory')}]" if lv["severity"] == "advisory" else ""]
    return f"{lv['ruleset']}: " + " ".join(p for p in parts if p)


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
    narrow = out.width < NARROW  # the version is in the id; below 100 columns it goes so the ids stay whole
    cols = [c for c in (recs[0].keys() if recs else ["id"]) if not (narrow and c == "version")]
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=narrow)
    for c in cols:
        t.add_column(L(f"cli_col_{c}"), no_wrap=c != "layer", overflow="fold")
    for r in recs:
        add_row(t, *[label(f"layer_{r[c]}", lang(), default=r[c]) if c == "layer" else _yes_no(r[c]) for c in cols])
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
        say(L("cli_rules_loaded", id=res["id"], layer=label(f"layer_{res['layer']}", lang(), default=res["layer"]),
              rules=res["rules"], start=res["effective_from"], end=res["effective_to"] or L("cli_open_ended")))


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
    from .workflow import reports

    d = services.decision_date(today) if today else date.today()
    recs = reports.deadline_list(_open(db), today=d, overdue_only=overdue)
    if as_json:
        _dump(recs)
        return
    t = Table(title=L("cli_deadlines_title", date=d), box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for c in ("cli_col_application", "code", "cli_col_state", "cli_col_deadline", "cli_col_due", "cli_col_due_status",
              "cli_col_idle_land"):  # codes and dates whole; words wrap at 80 columns
        t.add_column(L(c), no_wrap=c in ("cli_col_application", "code", "cli_col_due", "cli_col_due_status"),
                     overflow="fold", ratio=1 if c in ("cli_col_state", "cli_col_deadline", "cli_col_idle_land") else None)
    for r in recs:
        for i, item in enumerate(r["deadlines"]):  # the application's own cells on its first line only
            colour = {"overdue": "red", "due": "yellow"}.get(item["status"], "green")
            first = i == 0
            idle = (r["idle_land"] or {}).get("stage")
            add_row(t, str(r["application_id"]) if first else "", r["parcel_code"] if first else "",
                    label(f"state_{r['state']}", lang(), default=r["state"]) if first else "",
                    label(f"deadline_{item['kind']}", lang(), default=item["kind"]), item["due"],
                    lit(label(f"due_{item['status']}", lang(), default=item["status"]), colour),
                    (label(f"idle_stage_{idle}", lang(), default=idle) if idle else "–") if first else "")
    out.print(t)


@app.command("register")
@domain_errors
def register_export(out_file: Path = typer.Argument(..., help="Output .xlsx (for people) or .csv (canonical)"),
                    db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
    """Export the application register, one row per application: an .xlsx sheet named and headed in the
    CLI's language (登记簿 by default; ``--lang en``), states and verdicts in words; a .csv keeps the
    canonical columns and values."""
    from .tables import write_table
    from .workflow import reports

    store = _open(db)
    frame = reports.register_frame(store)
    if out_file.suffix.lower() == ".xlsx":
        out_file.write_bytes(reports.register_workbook(store, lang=lang()))
        path = out_file
    else:
        path = write_table(frame, out_file)
    if as_json:
        _dump({"file": str(path), "applications": len(frame)})
    else:
        say(L("cli_register_written", n=f"{len(frame):,}"), str(path))


from .cli_analysis import register as _register_analysis; _register_analysis(app)  # noqa: E402,E702 size, whatif
from .cli_promotion import register as _register_promotion; _register_promotion(app)  # noqa: E402,E702 scorecard
from .cli_chains import register as _register_chains; _register_chains(app)  # noqa: E402,E702 chains


def main():  # console-script entry point
    """Run the CLI (the ``standardland`` console script)."""
    app()


if __name__ == "__main__":
    main()
