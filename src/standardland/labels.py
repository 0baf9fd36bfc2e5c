"""The one reader of ``web/i18n.json``: every zh/en label of the CLI, the map, documents and tables.

A label is ``{key: {"zh": ..., "en": ...}}``; texts may hold ``{name}`` fields filled by
:func:`label`. Keys carry a prefix naming their family (``status_*`` parcel statuses, ``unit_*``
units, ``land_use_*`` land-use classes, ``reason_*`` verdict reasons, ``field_*`` project fields,
``cli_*`` terminal messages, ``col_*`` table headers …). A leaf: it knows only where the file is
(:mod:`standardland.resources`).
"""

from __future__ import annotations

import json
import os
from functools import cache

from .resources import web

LANGS = ("zh", "en")


@cache
def _doc() -> dict[str, dict[str, str]]:
    return json.loads(web("i18n.json").read_text(encoding="utf-8"))


def _lang(lang: str | None) -> str:
    return "en" if (lang or "zh").strip().lower().startswith("en") else "zh"


def label(key: str, lang: str | None = "zh", default: str | None = None, **fmt) -> str:
    """The label ``key`` in ``lang``, its ``{name}`` fields filled from ``fmt``.

    Parameters
    ----------
    key : str
        A key of ``web/i18n.json``.
    lang : {"zh", "en"}
        Anything starting with ``en`` is English; everything else (``None`` too) is Chinese.
    default : str, optional
        Returned (formatted) when ``key`` has no label; without it an unknown key is a ``KeyError``.
    **fmt
        Values of the ``{name}`` fields of the text.

    Returns
    -------
    str

    Examples
    --------
    >>> label("status_published", "zh"), label("status_published", "en")
    ('已公告', 'published')
    >>> label("cli_parks_count", "en", n=3)
    '3 parks'
    >>> label("no_such_key", "en", default="fallback")
    'fallback'
    """
    entry = _doc().get(key)
    if entry is None:
        if default is None:
            raise KeyError(f"no label '{key}' in web/i18n.json")
        text = default
    else:
        text = entry[_lang(lang)]
    return text.format(**fmt) if fmt else text


def labels(lang: str | None = "zh") -> dict[str, str]:
    """Every label in ``lang`` (a new dict: the map page's ``i18n`` configuration).

    Examples
    --------
    >>> labels("en")["status_listed"]
    'listed'
    """
    lang = _lang(lang)
    return {k: v[lang] for k, v in _doc().items()}


def has(key: str) -> bool:
    """Whether ``web/i18n.json`` has a label ``key``.

    Examples
    --------
    >>> has("col_code"), has("col_nothing")
    (True, False)
    """
    return key in _doc()


def family(prefix: str, lang: str | None = "zh") -> dict[str, str]:
    """The labels whose key starts with ``prefix``, keyed by the rest (``status_`` → ``{"planned": "规划", …}``).

    Examples
    --------
    >>> family("status_", "en")["under_construction"]
    'under construction'
    """
    lang = _lang(lang)
    return {k[len(prefix):]: v[lang] for k, v in _doc().items() if k.startswith(prefix)}


def lang_from_env() -> str:
    """The output language of the process: ``$STANDARDLAND_LANG`` (``en…`` is English), else ``zh``.

    Examples
    --------
    >>> import os
    >>> os.environ["STANDARDLAND_LANG"] = "en_GB"; lang_from_env()
    'en'
    >>> del os.environ["STANDARDLAND_LANG"]; lang_from_env()
    'zh'
    """
    return _lang(os.environ.get("STANDARDLAND_LANG"))


def unit_names(lang: str | None = "zh") -> dict[str, str]:
    """Canonical unit (as the catalogue writes it: ``万元/亩``) → its text in ``lang`` (``unit_*`` labels).

    Examples
    --------
    >>> unit_names("en")["万元/亩"], unit_names("zh")["万元/亩"]
    ('10k CNY/mu', '万元/亩')
    """
    return dict(zip(family("unit_", "zh").values(), family("unit_", lang).values(), strict=True))


def unit_text(unit: str, lang: str | None = "zh") -> str:
    """A canonical unit in ``lang``; a unit without a label (``m²``, ``%``) is itself.

    Examples
    --------
    >>> unit_text("亩", "en"), unit_text("%", "en"), unit_text("亩", "zh")
    ('mu', '%', '亩')
    """
    return unit_names(lang).get(unit, unit)
