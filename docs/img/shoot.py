"""Regenerate docs/img/promotion.png: the demo park's chain layer and 2021 scorecard in headless Chromium.

    python docs/img/shoot.py docs/img/promotion.png

It builds a throw-away SQLite store (``init --sample`` and the illustrative 2021 promotion records),
serves it on 127.0.0.1:8765 and screenshots ``/map?layer=chains#scorecard`` at 1400×900 in a zh-CN
browser (Chromium from apt at /usr/bin/chromium).
"""

import os
import subprocess
import sys
import tempfile
import time

import httpx
from playwright.sync_api import sync_playwright

PORT = 8765
CLI = os.path.join(os.path.dirname(sys.executable), "standardland")

db = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "demo.db")
subprocess.run([CLI, "init", "--sample", "--db", db], check=True, capture_output=True)
subprocess.run([sys.executable, "-c", "import sys; from standardland.store import open_store; "
                "from standardland.sample import add_sample_promotion; "
                "print(add_sample_promotion(open_store(sys.argv[1])))", db], check=True)
server = subprocess.Popen([CLI, "serve", "--db", db, "--port", str(PORT), "--no-access-log"])
try:
    for _ in range(240):
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900}).new_page()
        page.goto(f"http://127.0.0.1:{PORT}/map?layer=chains#scorecard")
        page.locator("#sl-scorecard-content tr[data-figure='foreign_share']").wait_for(timeout=60_000)
        time.sleep(1.5)  # tiles of the vector layers settle
        page.screenshot(path=sys.argv[1])
        browser.close()
finally:
    server.terminate()
