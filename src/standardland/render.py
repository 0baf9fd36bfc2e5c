"""One renderer for printable documents: fixed Jinja templates (autoescaped) to HTML, and that
same HTML to PDF with headless Chromium's print-to-PDF.

Why Chromium: it is already on every machine that runs the tests (Debian's ``/usr/bin/chromium``,
installed by ``.ci/run``), it needs no Python package, it renders CJK text with the system fonts
exactly as the browser preview does, and it supports CSS page-margin boxes (``@page
{ @bottom-center { content: counter(page) } }``) for page numbers. WeasyPrint would add pango and
a second layout engine whose output can differ from the HTML preview.

The HTML is written to a private temporary file and printed with ``--print-to-pdf``; the page
carries a Content-Security-Policy that allows nothing but inline styles and ``data:`` images,
and Chromium runs with networking features off, so printing never touches the network. A
missing Chromium is :class:`PdfEngineMissing` (HTTP 409, CLI exit 2) naming the fix, never a crash.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .errors import ConflictError, InputError
from .resources import web

FORMATS = ("html", "pdf")
#: seconds one print may take before it is abandoned
PDF_TIMEOUT_S = 60
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfEngineMissing(ConflictError):
    """No headless Chromium to print with: the HTML document is still available."""


@cache
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(str(web("templates"))), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)


def html(template: str, **data) -> str:
    """Render a fixed template under ``web/templates`` with ``data`` as variables (autoescaped).

    Runtime data is only ever a variable: it is never compiled as template text, so a project
    named ``{{7*7}}`` prints as those characters."""
    return _env().get_template(template).render(**data)


def chromium() -> str | None:
    """The Chromium executable: ``$STANDARDLAND_CHROMIUM`` if set, else the first on ``PATH``."""
    named = os.environ.get("STANDARDLAND_CHROMIUM")
    if named:
        return named if Path(named).is_file() and os.access(named, os.X_OK) else None
    for name in CHROMIUM_CANDIDATES:
        hit = shutil.which(name)
        if hit:
            return hit
    return None


def pdf(document_html: str, *, timeout: float = PDF_TIMEOUT_S) -> bytes:
    """Print an HTML document to PDF with headless Chromium (offline).

    Raises
    ------
    PdfEngineMissing
        When no Chromium is installed (or ``$STANDARDLAND_CHROMIUM`` names no executable), or
        it fails to print.
    """
    exe = chromium()
    if exe is None:
        raise PdfEngineMissing("no PDF engine: headless Chromium was not found", field="format",
                               expected="html, or install chromium (apt-get install chromium) or set "
                                        "STANDARDLAND_CHROMIUM to its path")
    with tempfile.TemporaryDirectory(prefix="standardland-pdf-") as tmp:
        src, out = Path(tmp) / "document.html", Path(tmp) / "document.pdf"
        src.write_text(document_html, encoding="utf-8")
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--no-first-run", "--no-default-browser-check", "--disable-extensions",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-domain-reliability", "--metrics-recording-only", "--no-pings",
               "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",  # nothing reaches a network
               f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer",
               f"--print-to-pdf={out}", src.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=tmp)
        except subprocess.TimeoutExpired as exc:
            raise PdfEngineMissing(f"Chromium did not print within {timeout:.0f} s", field="format",
                                   expected="html, or retry") from exc
        except OSError as exc:
            raise PdfEngineMissing(f"Chromium could not start ({exc.strerror})", field="format",
                                   expected="html, or a working chromium") from exc
        if not out.is_file() or out.stat().st_size == 0:
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
            raise PdfEngineMissing(f"Chromium did not print the document ({tail[0][:200]})", field="format",
                                   expected="html, or a working chromium")
        return out.read_bytes()


def output(document_html: str, fmt: str) -> bytes:
    """The document in ``fmt`` (``html`` as UTF-8 bytes, or ``pdf``)."""
    if fmt not in FORMATS:
        raise InputError(f"'{fmt}' is not a document format", field="format", expected="html or pdf")
    return document_html.encode("utf-8") if fmt == "html" else pdf(document_html)
