"""The summary of a check's answer that ``checks_bae3610.json`` pins (see tests/golden/README.md).

Imported by the test, and run by hand to regenerate the file with the code of another commit:
``PYTHONPATH=<that commit's src> python tests/golden/check_summary.py > tests/golden/checks_<commit>.json``.
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def summary(answer) -> dict:
    """What a client reads of a check: the verdict, each indicator's status, value, requirement,
    governing document and reason, the notes and the advice levers; or the error's class, field, message."""
    if isinstance(answer, BaseException):
        return {"error": type(answer).__name__, "field": getattr(answer, "field", None),
                "message": getattr(answer, "message", str(answer))}
    adv = answer.get("advice")
    return {
        "verdict": answer["verdict"], "checkpoint": answer["checkpoint"], "rulesets": answer["rulesets"],
        "parcel": answer["parcel"], "industry": answer["industry"], "decision_date": answer["decision_date"],
        "indicators": [[it["id"], it["status"], None if it["actual"] is None else round(it["actual"], 9),
                        it["required_text"], it["governing_ruleset"], it["title"], it["reason_code"], it["reason"],
                        len(it["layers"])] for it in answer["indicators"]],
        "notes": [[n["kind"], n["message"]] for n in answer["notes"]],
        "advice": None if adv is None else [[lv["indicator"], lv["field"], lv["action"], round(lv["to"], 6),
                                             lv["text"]] for lv in adv["levers"]],
    }


def requests() -> list[tuple[dict, str, str, str]]:
    """(project, parcel code, checkpoint, lang) of the pinned checks: the test's documents × parcels."""
    docs = json.loads((HERE / "check_docs.json").read_text("utf-8"))
    parcels = ["370613004002GB10001", "370613004002GB10003", "370613004002GB10005", "370613004001GB20001",
               "370613004001GB20010", "370613004002GB19999"]
    out = []
    for k, doc in enumerate(docs):
        for j, code in enumerate(parcels):
            out.append((copy.deepcopy(doc), code, ("screening", "acceptance", "production_review")[(k + 2 * j) % 3],
                        "en" if (k + j) % 2 else "zh"))
    return out


def main() -> None:
    from standardland import services
    from standardland.sample import load_reference_data
    from standardland.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/g.db")
        load_reference_data(store, with_sample=True)
        out = []
        for project, code, checkpoint, lang in requests():
            try:
                got = services.check_project(store, project, code, checkpoint=checkpoint, lang=lang)
            except Exception as exc:
                got = exc
            out.append(summary(got))
        store.close()
    json.dump(out, sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
