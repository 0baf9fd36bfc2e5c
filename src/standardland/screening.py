"""Screening a project CSV in pieces: byte ranges of whole rows, read, checked, evaluated and written
in file order.

Each piece is read by Arrow and typed by the field table (:meth:`standardland.io.CsvLayout.read_range`),
checked and evaluated by :func:`standardland.rules.checks.screen_piece` and written as CSV rows by
:func:`standardland.tables.write_csv`; the output is the pieces' rows in file order under one header.

- ``local``: the pieces run one after another in this process (memory bounded by a piece);
- ``dask``: each worker reads its own pieces from the file and writes its own part file next to the
  output; only the path, the byte offsets, the rule sets and the parcel frame travel from the client,
  which joins the parts in order. The file and the output's folder must be visible to every worker
  (a LocalCluster, or a shared file system).

Both give byte-identical files: the same function writes every piece, and the columns of a piece are
fixed by the rule sets, not by its rows (:func:`standardland.rules.explain.flat`). Validation is
all-or-nothing as for a whole table: problems name the file's rows, and nothing is written.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import tables
from .errors import DataValidationError, RowProblem
from .io import PART_BYTES, CsvLayout
from .rules import checks
from .rules.catalogue import catalogue

#: the leading columns of a screening table (their labels: ``col_screen_<name>``)
_LEAD = ("id", "name", "parcel_code", "industry_label", "industry_error", "verdict")
#: suffixes of the flat table's columns and the i18n key of each one's label
_SUFFIXES = (("_required_max", "col_sfx_required_max"), ("_required", "col_sfx_required"),
             ("_status", "col_sfx_status"), ("_actual", "col_sfx_actual"), ("_layer", "col_sfx_layer"))


def header_labels(columns, lang: str = "zh") -> dict:
    """Header → label in ``lang`` for a screening table: ``col_screen_<name>`` labels (``web/i18n.json``) and
    ``<indicator>_<suffix>`` as the indicator's name and the suffix's label (``容积率·要求值``)."""
    labels = {c: tables.label(f"col_screen_{c}", lang) for c in columns if c in _LEAD}
    names = {ind.id: ind.name(lang) for ind in catalogue().indicators}
    names["land_use_class"] = tables.label("col_land_use_class", lang)
    for c in columns:
        if c in labels:
            continue
        for sfx, key in _SUFFIXES:
            if c.endswith(sfx) and c[:-len(sfx)] in names:
                labels[c] = names[c[:-len(sfx)]] + tables.label(key, lang)
                break
    return labels


@dataclass
class Piece:
    """What one piece gives back: its row count, its problems (rows from 1 within the piece) and
    stage, the verdict counts, and its rows (CSV bytes, or a frame for a workbook)."""

    rows: int
    stage: str = ""
    problems: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    data: bytes | None = None
    frame: pd.DataFrame | None = None


def worded(res: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``res`` with its verdicts and statuses in ``lang`` (通过 / 不通过 / 资料不全, 缺数据 …): the categories
    of those columns renamed, no row touched. A table for people, as its translated headers say."""
    out = {}
    for c in res.columns:
        col = res[c]
        if (c == "verdict" or c.endswith("_status")) and isinstance(col.dtype, pd.CategoricalDtype):
            out[c] = col.cat.rename_categories([tables.label(str(k), lang) if k else k for k in col.cat.categories])
    return res.assign(**out) if out else res


def write_rows(res: pd.DataFrame, fh, *, first: bool, lang: str | None = None) -> None:
    """``res`` as :func:`~standardland.tables.write_csv` writes it, into the binary file ``fh`` as the rows
    are formatted; without the BOM and header unless ``first`` (so pieces join into one file). ``lang``
    translates the headers (:func:`header_labels`) and the verdicts and statuses (:func:`worded`)."""
    frame = worded(res, lang) if lang else res
    frame = frame.rename(columns=header_labels(res.columns, lang)) if lang and first else frame
    tables.write_csv(frame, fh, header=first)


def csv_rows(res: pd.DataFrame, *, first: bool, lang: str | None = None) -> bytes:
    """The bytes :func:`write_rows` writes."""
    buf = io.BytesIO()
    write_rows(res, buf, first=first, lang=lang)
    return buf.getvalue()


def run_piece(layout: CsvLayout, start: int, end: int, rulesets, pf=None, *, checkpoint="screening",
              only=None, first=False, lang=None, sink: str | None = None, step=None) -> Piece:
    """Read, check, evaluate and write the rows in bytes ``[start, end)`` of ``layout``'s file.

    ``sink``: None keeps the CSV bytes in the answer, ``"frame"`` the table itself (for a workbook),
    a path writes the bytes there (a Dask worker's part file). ``step(name)`` is told of each stage."""
    df = layout.read_range(start, end)
    if step:
        step("read")
    res, stage, problems = checks.screen_piece(df, rulesets, pf, checkpoint=checkpoint, only=only)
    if step:
        step("evaluated")
    if res is None:
        return Piece(len(df), stage, problems)
    counts = {str(k): int(v) for k, v in res["verdict"].value_counts(sort=False).items()}
    if sink == "frame":
        return Piece(len(df), counts=counts, frame=res)
    if sink is None:
        data = csv_rows(res, first=first, lang=lang)
    else:
        data = None
        with open(sink, "wb") as fh:
            write_rows(res, fh, first=first, lang=lang)
    if step:
        step("written")
    return Piece(len(df), counts=counts, data=data)


def problems_of(pieces: list[Piece]) -> list[RowProblem]:
    """The problems of all pieces as a whole table's: rows numbered in the file, header problems once,
    the parse problems if any piece has one (else the parcel-join problems)."""
    out: dict[str, list[RowProblem]] = {"parse": [], "join": []}
    seen = set()
    offset = 0
    for p in pieces:
        for q in p.problems:
            if q.row == 0:
                if (p.stage, q.field, q.message) in seen:
                    continue
                seen.add((p.stage, q.field, q.message))
                out[p.stage].append(q)
            else:
                out[p.stage].append(RowProblem(q.row + offset, q.field, q.message))
        offset += p.rows
    found = out["parse"] or out["join"]
    return sorted(found, key=lambda q: q.row)


def screen_csv(layout: CsvLayout, out: Path, rulesets, pf=None, *, engine: str = "local", scheduler=None,
               checkpoint: str = "screening", only=None, lang: str | None = None,
               part_bytes: int = PART_BYTES, progress=None) -> dict:
    """Screen ``layout``'s file into ``out`` (.csv, or .xlsx with headers in ``lang``, zh by default).

    Returns ``{"rows", "verdicts", "pieces"}``. ``progress(done, total, stage)`` counts the pieces'
    stages (read, evaluated, written) and the final assembly. ``scheduler``: a Dask scheduler
    address or a ``distributed.Client`` (default: a LocalCluster of 2 worker processes)."""
    out = Path(out)
    xlsx = out.suffix.lower() == ".xlsx"
    ranges = layout.ranges(part_bytes) or [(layout.start, layout.start)]
    total = 3 * len(ranges) + 1
    done = 0

    def tick(stage: str, n: int = 1) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total, stage)

    kw = dict(checkpoint=checkpoint, only=only, lang=lang if not xlsx else None)
    partial = out.with_name(f".{out.name}.partial")
    parts = None
    try:
        if engine == "local":
            with open(partial, "wb") as fh:  # rows stream out as their piece is written; removed on a problem
                pieces = _local(layout, ranges, rulesets, pf, None if xlsx else fh, tick, kw)
        else:
            pieces, parts = _on_dask(layout, ranges, out, rulesets, pf, scheduler, xlsx, tick, kw)
        problems = problems_of(pieces)
        if problems:
            raise DataValidationError(problems=problems)
        if xlsx:
            frames = [p.frame for p in pieces]
            res = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            tables.write_xlsx(worded(res, lang or "zh"), partial,
                              sheet_name=tables.label("sheet_screening", lang or "zh"),
                              headers=header_labels(res.columns, lang or "zh"))
        elif parts is not None:
            with open(partial, "wb") as fh:
                for k in range(len(pieces)):
                    with open(parts / f"part-{k:05d}.csv", "rb") as src:
                        shutil.copyfileobj(src, fh, 1 << 22)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        if parts is not None:
            shutil.rmtree(parts, ignore_errors=True)
    tick("done")
    counts: dict[str, int] = {}
    for p in pieces:
        for k, v in p.counts.items():
            counts[k] = counts.get(k, 0) + v
    return {"rows": sum(p.rows for p in pieces), "pieces": len(ranges),
            "verdicts": dict(sorted(counts.items(), key=lambda kv: -kv[1]))}


def _local(layout, ranges, rulesets, pf, fh, tick, kw) -> list[Piece]:
    """The pieces one after another, their rows written to ``fh`` in order (None: a workbook, the
    pieces keep their frames). A piece's rows are written by a second thread (one: the pieces' writes
    run in file order; Arrow's writer releases the GIL) while the next piece is read and evaluated; at
    most two wait. Once a piece has a problem no more are written (the caller removes the file), but
    every piece is still checked."""
    from concurrent.futures import ThreadPoolExecutor

    lang = kw.pop("lang")
    pieces: list[Piece] = []
    writing: list = []
    failed = False

    def written(k: int) -> None:
        fut = writing[k]
        if fut is not None:
            fut.result()  # a write that failed raises here
            writing[k] = None
            tick("written")

    with ThreadPoolExecutor(1) as pool:
        for k, (a, b) in enumerate(ranges):
            p = run_piece(layout, a, b, rulesets, pf, sink="frame", step=tick, **kw)
            failed = failed or bool(p.problems)
            fut = None
            if fh is not None and p.frame is not None:
                fut = None if failed else pool.submit(write_rows, p.frame, fh, first=k == 0, lang=lang)
                p.frame = None
            elif fh is None:
                tick("written")  # a workbook's piece: kept for the one write at the end
            pieces.append(p)
            writing.append(fut)
            if k >= 2:
                written(k - 2)
        for k in range(max(0, len(ranges) - 2), len(ranges)):
            written(k)
    return pieces


def _on_dask(layout, ranges, out: Path, rulesets, pf, scheduler, xlsx: bool, tick, kw):
    """Run the pieces on Dask workers; each writes its part file into a folder next to ``out``."""
    from distributed import as_completed

    from .rules.checks import dask_client

    docs = [rs.to_dict() if hasattr(rs, "to_dict") else rs for rs in rulesets]
    parts = Path(tempfile.mkdtemp(prefix=f".{out.name}.parts-", dir=out.parent))
    try:
        with dask_client(scheduler) as client:
            pf_ = client.scatter(pf, broadcast=True) if pf is not None else None
            futs = [client.submit(run_piece, layout, a, b, docs, pf_, first=k == 0,
                                  sink="frame" if xlsx else str(parts / f"part-{k:05d}.csv"), pure=False, **kw)
                    for k, (a, b) in enumerate(ranges)]
            for _ in as_completed(futs):
                tick("piece", 3)
            pieces = [f.result() for f in futs]
    except BaseException:
        shutil.rmtree(parts, ignore_errors=True)
        raise
    return pieces, parts
