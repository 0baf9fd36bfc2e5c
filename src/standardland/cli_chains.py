"""``standardland chains add|import|list|show|delete``: industry chains (产业链) and their gaps (补链).

:func:`register` adds the ``chains`` group to the CLI's Typer app. Every write goes through
:func:`standardland.chains.put_chains` (the one home of chain validation), as ``init --sample`` and
``/api/v1/chains`` do; data is printed literally through the CLI's helpers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich import box
from rich.table import Table

from . import chains as chainmod
from .errors import InputError
from .store import open_store

_SEG_EXPECTED = "ID=NAME=CODES, e.g. upstream=上游：原料药=271,2730 (ID upstream/midstream/downstream sets the stage)"
_MEMBER_EXPECTED = "NAME=PARCEL=SEGMENT, e.g. 示例企业 F=370613004001GB20006=upstream (PARCEL may be empty)"


def segment_spec(text: str, i: int) -> dict:
    """A ``--segment`` value as a segment document.

    Examples
    --------
    >>> segment_spec("upstream=上游：原料药=271,2730", 0)["industry_codes"]
    ['271', '2730']
    """
    parts = [p.strip() for p in str(text).split("=")]
    if len(parts) != 3 or not all(parts):
        raise InputError(f"'{text}'", field=f"--segment[{i}]", expected=_SEG_EXPECTED)
    sid, name, codes = parts
    doc = {"id": sid, "name": name, "industry_codes": [c for c in codes.replace("，", ",").split(",") if c.strip()]}
    if sid in chainmod.STAGES:
        doc["stage"] = sid
    return doc


def member_spec(text: str, i: int) -> dict:
    """A ``--member`` value as a member document.

    Examples
    --------
    >>> member_spec("示例企业 F==upstream", 0)
    {'name': '示例企业 F', 'segment': 'upstream'}
    """
    parts = [p.strip() for p in str(text).split("=")]
    if len(parts) != 3 or not parts[0] or not parts[2]:
        raise InputError(f"'{text}'", field=f"--member[{i}]", expected=_MEMBER_EXPECTED)
    doc = {"name": parts[0], "segment": parts[2]}
    if parts[1]:
        doc["parcel_code"] = parts[1]
    return doc


def print_chain_notes(m: dict) -> None:
    """Under ``match``'s table: the chain the project belongs to and each ranked parcel's proximity note."""
    from .cli import L, say

    info = m.get("chain")
    if not info:
        return
    say((L("chain_name"), "bold cyan"), ": ", info["name"], " · ", info["segment_name"], " · ",
        L("chain_leader"), " ", info["leader"])
    for r in m["results"]:
        if r.get("chain"):
            say(f"  {r['rank']}. ", r["parcel_code"], ": ", r["chain"]["note"])


def register(app: typer.Typer) -> None:
    """Add the ``chains`` command group to the CLI's app."""
    from .cli import DbOpt, JsonOpt, L, _dump, _read_json, add_row, domain_errors, lang, out, say

    chains_app = typer.Typer(help="Industry chains (产业链): add, import, list, show, delete; gaps to fill (补链).",
                             no_args_is_help=True)
    app.add_typer(chains_app, name="chains")

    def _saved(saved: list[dict], as_json: bool) -> None:
        if as_json:
            _dump(saved)
        else:
            say(L("chain_saved"), ": ", ", ".join(d["code"] for d in saved))

    @chains_app.command("add")
    @domain_errors
    def chains_add(code: str, name: str = typer.Option(..., "--name", help="e.g. 生物医药产业链"),
                   leader: str = typer.Option(..., "--leader", help="The leader enterprise (链主), e.g. 绿叶制药"),
                   leader_segment: str = typer.Option(..., "--leader-segment", help="The leader's segment id"),
                   leader_parcel: Optional[str] = typer.Option(None, "--leader-parcel", help="The leader's parcel code"),
                   segment: list[str] = typer.Option(..., "--segment", help=f"Repeatable: {_SEG_EXPECTED}"),
                   member: Optional[list[str]] = typer.Option(None, "--member", help=f"Repeatable: {_MEMBER_EXPECTED}"),
                   name_en: Optional[str] = typer.Option(None, "--name-en"),
                   park: Optional[str] = typer.Option(None, "--park", help="The park's code"),
                   weight: Optional[float] = typer.Option(None, "--weight", help="Proximity bonus weight, 0–1 "
                                                                                 f"(default {chainmod.DEFAULT_WEIGHT})"),
                   scale: Optional[float] = typer.Option(None, "--scale-m", help="Proximity scale in metres "
                                                                                 f"(default {chainmod.DEFAULT_SCALE_M:g})"),
                   db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
        """Add or replace one chain: its leader, segments (by industry codes) and members."""
        doc = {"code": code, "name": name, "name_en": name_en, "park": park,
               "leader": {"name": leader, "segment": leader_segment,
                          **({"parcel_code": leader_parcel} if leader_parcel else {})},
               "segments": [segment_spec(s, i) for i, s in enumerate(segment)],
               "members": [member_spec(m, i) for i, m in enumerate(member or [])],
               "proximity": {k: v for k, v in (("weight", weight), ("scale_m", scale)) if v is not None}}
        chain = chainmod.parse_chain({k: v for k, v in doc.items() if v is not None})
        _saved(chainmod.put_chains(open_store(db, create=True), [chain]), as_json)

    @chains_app.command("import")
    @domain_errors
    def chains_import(file: Path, db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
        """Import chains from a JSON file (one chain, a list, or {"chains": [...]}); all or none are written."""
        chains = chainmod.read_chains(_read_json(file, "file"))
        _saved(chainmod.put_chains(open_store(db, create=True), chains, prefix=True), as_json)

    @chains_app.command("list")
    @domain_errors
    def chains_list(db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
        """List the chains: leader, members in the park and the segments without one (补链)."""
        recs = chainmod.summaries(open_store(db, create=False))
        if as_json:
            _dump(recs)
            return
        lg = lang()
        t = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=L("chain_layer") if recs else L("chain_none"))
        for key in ("chain_code", "chain_name", "chain_leader", "chain_members", "chain_gaps"):
            t.add_column(L(key), overflow="fold", no_wrap=key == "chain_code",
                         justify="right" if key == "chain_members" else "left")
        for r in recs:
            gaps = [(g.get("name_en") or g["name"]) if lg == "en" else g["name"] for g in r["gaps"]]
            add_row(t, r["code"], (r.get("name_en") or r["name"]) if lg == "en" else r["name"],
                    r["leader"]["name"], str(len(r["members"])), "; ".join(gaps) or L("chain_no_gaps"))
        out.print(t)

    @chains_app.command("show")
    @domain_errors
    def chains_show(code: str, db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
        """One chain: each segment with its members, and the gaps with the industry codes to recruit."""
        r = chainmod.summaries(open_store(db, create=False), code)[0]
        if as_json:
            _dump(r)
            return
        lg = lang()
        title = (r.get("name_en") or r["name"]) if lg == "en" else r["name"]
        say((title, "bold"), "  ", L("chain_leader"), ": ", r["leader"]["name"],
            *((" (", L("chain_illustrative"), ")") if r.get("illustrative") else ()))
        t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for key in ("chain_segment", "chain_members", "chain_recruit"):
            t.add_column(L(key), overflow="fold")
        for s in r["segments"]:
            name = (s.get("name_en") or s["name"]) if lg == "en" else s["name"]
            who = ", ".join(m["name"] + (f" ({m['parcel_code']})" if m.get("parcel_code") else "")
                            for m in s["members"])
            recruit = ", ".join(f"{x['label']}" for x in s["recruit"])
            add_row(t, name, who or "—", recruit)
        out.print(t)
        if r["gaps"]:
            say((L("chain_gaps"), "bold yellow"), ": ",
                "; ".join(((g.get("name_en") or g["name"]) if lg == "en" else g["name"])
                          + " ← " + ", ".join(x["code"] for x in g["recruit"]) for g in r["gaps"]))
        else:
            say(L("chain_gaps"), ": ", L("chain_no_gaps"))

    @chains_app.command("delete")
    @domain_errors
    def chains_delete(code: str, db: Optional[str] = DbOpt, as_json: bool = JsonOpt):
        """Delete a chain."""
        chainmod.delete_chain(open_store(db, create=False), code)
        if as_json:
            _dump({"deleted": code})
        else:
            say(L("chain_deleted"), ": ", code)
